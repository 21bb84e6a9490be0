"""Recording prompts by phone in the fast tier: every branch of ivr/flows/studio.py through
the real controller on scripted channels (tests/scenarios/studio.py; the real tier,
tests/test_call_studio.py, records one prompt by phone and hears it on the next call)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ivr.testcall import CallResult
from tests.rig.fast import FastHotline
from tests.scenarios import studio as checks

DIALPLAN = Path(__file__).resolve().parents[1] / "dialplan" / "extensions.conf"


@pytest.fixture(scope="module")
def kept(fast: FastHotline) -> tuple[CallResult, CallResult]:
    return checks.record_and_keep(fast)


def test_studio_prompt_recorded_by_phone_and_kept(
    fast: FastHotline, kept: tuple[CallResult, CallResult]
) -> None:
    checks.check_kept_by_phone(fast, kept[0])


def test_studio_next_call_hears_the_recording(
    fast: FastHotline, kept: tuple[CallResult, CallResult]
) -> None:
    checks.check_next_call_hears_the_recording(fast, kept[1])


def test_studio_wrong_pin_three_times(fast: FastHotline) -> None:
    checks.check_wrong_pin_three_times(fast)


def test_studio_locked_phone_refuses_the_right_pin(fast: FastHotline) -> None:
    checks.check_locked_phone_refuses_the_right_pin(fast)


def test_studio_locked_admin_number_from_another_phone(fast: FastHotline) -> None:
    checks.check_locked_admin_number_from_another_phone(fast)


def test_studio_unknown_prompt_number(fast: FastHotline) -> None:
    checks.check_unknown_prompt_number(fast)


def test_studio_record_again_then_keep(fast: FastHotline) -> None:
    checks.check_record_again_then_keep(fast)


def test_studio_cancel_changes_nothing(fast: FastHotline) -> None:
    checks.check_cancel_changes_nothing(fast)


def test_studio_empty_take_is_not_kept(fast: FastHotline) -> None:
    checks.check_empty_take_is_not_kept(fast)


def test_studio_not_reachable_from_the_hotline(fast: FastHotline) -> None:
    """*79 is a staff phone's feature code: the callers' context has no such extension
    (its catch-all _X. matches digits only), so a caller never reaches the route."""
    contexts = re.split(r"^\[", DIALPLAN.read_text(), flags=re.M)
    holding = [c.split("]", 1)[0] for c in contexts if re.search(r"^exten => \*79,", c, re.M)]
    assert holding == ["hajj-agent-phone"]
    result = fast.call("101#123456#", number="*79")
    assert fast.record(result.call_id)[0] is None  # no call reached the controller
