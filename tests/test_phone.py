"""Which numbers a callback may dial (Python and the dialplan agree), who a caller counts as."""

from __future__ import annotations

import re

import pytest

from ivr import phone
from ivr.config import PROJECT_DIR


@pytest.mark.parametrize(
    ("raw", "national"),
    [
        ("081234567890", "081234567890"),  # mobile, 12 digits
        ("0812345678", "0812345678"),  # mobile, the shortest (10)
        ("0812345678901", "0812345678901"),  # mobile, the longest (13)
        ("+6281234567890", "081234567890"),
        ("6281234567890", "081234567890"),
        ("+62 812-3456-7890", "081234567890"),
        ("0062811000001", "0811000001"),
        ("02112345678", "02112345678"),  # Jakarta landline
        ("0361123456", "0361123456"),  # Bali landline
        ("031123456", "031123456"),  # landline, the shortest (9)
        ("0099887766", ""),  # an international prefix
        ("001123456789", ""),
        ("08001234567", ""),  # toll free 0800
        ("0809123456", ""),  # premium 0809
        ("081234567", ""),  # mobile too short
        ("08123456789012", ""),  # mobile too long
        ("02112", ""),
        ("0211234567890", ""),  # landline too long
        ("112", ""),
        ("anonymous", ""),
        ("", ""),
        ("+441632960000", ""),
    ],
)
def test_phone_national_accepts_only_indonesian_mobile_and_landline(
    raw: str, national: str
) -> None:
    assert phone.national(raw) == national


def _asterisk_regex(pattern: str) -> re.Pattern[str]:
    """An Asterisk extension pattern (``_``, X, N, Z, [...]) as a regex, for this check."""
    body = pattern.removeprefix("_")
    body = body.replace("X", "[0-9]").replace("N", "[2-9]").replace("Z", "[1-9]")
    return re.compile(f"^{body}$")


def _dialplan_allowed() -> list[str]:
    text = (PROJECT_DIR / "dialplan" / "extensions.conf").read_text()
    block = text.split("\n[hajj-callback-allowed]\n", 1)[1].split("\n[", 1)[0]
    return re.findall(r"^exten => (_\S+?),1,Return\(yes\)", block, re.M)


def test_phone_dialplan_allows_exactly_what_python_allows() -> None:
    assert _dialplan_allowed() == phone.dialplan_patterns()
    samples = [f"0{a}{'1' * n}" for a in range(10) for n in range(4, 14)]
    samples += [f"08{b}{'2' * n}" for b in range(10) for n in range(4, 14)]
    for number in samples:
        in_dialplan = any(_asterisk_regex(p).match(number) for p in _dialplan_allowed())
        assert in_dialplan == bool(phone.national(number)), number


@pytest.mark.parametrize(
    ("caller_id", "key"),
    [
        ("0811000001", "0811000001"),
        ("+62811000001", "0811000001"),
        ("", phone.ANONYMOUS),
        ("anonymous", phone.ANONYMOUS),
        ("Restricted", phone.ANONYMOUS),
        ("123", phone.ANONYMOUS),
        ("0099887766", "0099887766"),  # counted as itself, though never called back
    ],
)
def test_phone_caller_key_counts_withheld_numbers_together(caller_id: str, key: str) -> None:
    assert phone.caller_key(caller_id) == key


def test_phone_mask_keeps_the_ends_only() -> None:
    assert phone.mask("1100123456") == "11******56"
    assert phone.mask("081234567890", 4, 2) == "0812******90"
    assert phone.mask("123") == "***"
