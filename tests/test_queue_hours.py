"""Staffed hours: parsing the config, open or closed at a given moment, the next opening."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from ivr.hours import Schedule

JAKARTA = dt.timezone(dt.timedelta(hours=7))


@dataclass(frozen=True)
class Hours:
    hours: str = "08:00-20:00"
    days: str = "mon,tue,wed,thu,fri"
    holidays: str = "2026-12-25"
    timezone: str = "Asia/Jakarta"


def at(text: str) -> dt.datetime:
    """A moment in Jakarta local time ("2026-11-26 09:30")."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=JAKARTA)


SCHEDULE = Schedule.from_settings(Hours())


@pytest.mark.parametrize(
    ("moment", "open_"),
    [
        ("2026-11-26 08:00", True),  # Thursday, opening minute
        ("2026-11-26 19:59", True),
        ("2026-11-26 20:00", False),  # closing is exclusive
        ("2026-11-26 07:59", False),
        ("2026-11-28 10:00", False),  # Saturday
        ("2026-12-25 10:00", False),  # a holiday on a Friday
    ],
)
def test_hours_open_or_closed(moment: str, open_: bool) -> None:
    assert SCHEDULE.is_open(at(moment)) is open_


def test_hours_open_in_utc_is_judged_in_local_time() -> None:
    # 01:30 UTC is 08:30 in Jakarta.
    assert SCHEDULE.is_open(dt.datetime(2026, 11, 26, 1, 30, tzinfo=dt.UTC))


@pytest.mark.parametrize(
    ("moment", "opening"),
    [
        ("2026-11-26 07:00", "2026-11-26 08:00"),  # later the same day
        ("2026-11-27 21:00", "2026-11-30 08:00"),  # Friday night -> Monday
        ("2026-12-24 20:30", "2026-12-28 08:00"),  # skips the holiday and the weekend
    ],
)
def test_hours_next_open(moment: str, opening: str) -> None:
    assert SCHEDULE.next_open(at(moment)) == at(opening)


def test_hours_next_open_is_now_while_open() -> None:
    now = at("2026-11-26 10:00")
    assert SCHEDULE.next_open(now) == now


def test_hours_round_the_clock() -> None:
    always = Schedule.from_settings(Hours(hours="00:00-24:00", days="mon,tue,wed,thu,fri,sat,sun"))
    assert always.is_open(at("2026-11-28 23:59"))
    assert always.is_open(at("2026-11-29 00:00"))


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("hours", "8-20", "use HH:MM-HH:MM"),
        ("hours", "20:00-08:00", "closing must come after opening"),
        ("hours", "08:00-25:00", "not a time of day"),
        ("days", "mon,funday", "'funday' is not one of"),
        ("holidays", "2026-13-01", "'2026-13-01' is not a date"),
        ("timezone", "Mars/Olympus", "not a known zone"),
    ],
)
def test_hours_bad_config_says_what_is_wrong(field: str, value: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Schedule.from_settings(Hours(**{field: value}))
