"""Indonesian phone numbers: which ones a callback may dial, and how a caller is counted.

Nothing a caller ID claims is trusted for dialling out: a callback goes only to a
national number in one of these forms, written as the caller would dial it inside
Indonesia (a leading 0; +62 or 62 is turned into 0):

- mobile: ``08`` then a digit 1-9, 10 to 13 digits in all (0812 3456 7890);
- landline: ``0``, an area code starting 2-7 or 9, 9 to 11 digits in all (021 1234 5678,
  0361 123456).

So no international prefix (``00``, ``001``, ``007``...), no toll-free or premium ``080x``,
no short codes. The same rules are the dialplan's ``[hajj-callback-allowed]`` patterns
(``dialplan_patterns``; a test checks both agree), so a number Python refuses is also
never dialled by Asterisk, whatever ``agents.callback_dial`` says.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ANONYMOUS = "anonymous"


@dataclass(frozen=True)
class Rule:
    name: str
    prefix: str  # an Asterisk pattern fragment and a regex alike: digits and one [class]
    prefix_digits: int
    shortest: int  # the whole number's length, leading 0 included
    longest: int


RULES = (
    Rule("mobile", "08[1-9]", 3, 10, 13),
    Rule("landline", "0[2-79]", 2, 9, 11),
)
NATIONAL = re.compile(
    "^(?:"
    + "|".join(
        rf"{r.prefix}\d{{{r.shortest - r.prefix_digits},{r.longest - r.prefix_digits}}}"
        for r in RULES
    )
    + ")$"
)
_SEPARATORS = re.compile(r"[\s\-.()]")
# What a caller ID holds when it is a number at all (then counted as that number).
_DIGITS = re.compile(r"^\d{5,15}$")


def normalise(raw: str) -> str:
    """The number as dialled inside Indonesia: separators dropped, +62 / 62 turned into 0."""
    number = _SEPARATORS.sub("", raw.strip())
    for country in ("+62", "0062", "62"):
        if number.startswith(country):
            number = "0" + number[len(country) :].lstrip("0")
            break
    return number


def national(raw: str) -> str:
    """The national number ``raw`` is, or "" when it is none we may call back."""
    number = normalise(raw)
    return number if NATIONAL.match(number) else ""


def dialplan_patterns() -> list[str]:
    """The Asterisk extension patterns of every allowed number, one per length."""
    return [
        f"_{r.prefix}{'X' * (length - r.prefix_digits)}"
        for r in RULES
        for length in range(r.shortest, r.longest + 1)
    ]


def caller_key(caller_id: str) -> str:
    """Who a caller counts as for rate limits: their number, or one shared "anonymous".

    A withheld or non-numeric caller ID is one bucket for everybody: hiding the number must
    not buy an attacker a fresh allowance (honest withheld callers over the limit reach an
    officer, who can still help them).
    """
    number = normalise(caller_id).lstrip("+")
    return number if _DIGITS.match(number) else ANONYMOUS


def mask(number: str, head: int = 2, tail: int = 2) -> str:
    """``1100123456`` -> ``11******56``: enough for staff to tell two apart, no more."""
    if len(number) <= head + tail:
        return "*" * len(number)
    return number[:head] + "*" * (len(number) - head - tail) + number[-tail:]
