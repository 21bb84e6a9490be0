"""Staffed hours: when agents are on duty, and the next time they will be.

Pure: every function takes the time it reasons about, so tests use any clock. The IVR
serves 24/7; only the human queue keeps these hours.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
SPAN = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")


class HoursSettings(Protocol):
    @property
    def hours(self) -> str: ...
    @property
    def days(self) -> str: ...
    @property
    def holidays(self) -> str: ...
    @property
    def timezone(self) -> str: ...


@dataclass(frozen=True)
class Schedule:
    opens: dt.time
    closes: dt.time
    days: frozenset[int]  # weekday numbers, Monday = 0
    holidays: frozenset[dt.date]
    zone: ZoneInfo

    @classmethod
    def from_settings(cls, settings: HoursSettings) -> Schedule:
        """Parse the config; ValueError names what is wrong."""
        match = SPAN.match(settings.hours.strip())
        if not match:
            raise ValueError(f"hours = {settings.hours!r}: use HH:MM-HH:MM, e.g. 08:00-20:00")
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        try:
            opens = dt.time(h1, m1)
            closes = dt.time.max if (h2, m2) == (24, 0) else dt.time(h2, m2)  # 24:00: midnight
        except ValueError:
            raise ValueError(f"hours = {settings.hours!r}: not a time of day") from None
        if closes <= opens:
            raise ValueError(f"hours = {settings.hours!r}: closing must come after opening")
        days = set()
        for name in filter(None, (d.strip().lower() for d in settings.days.split(","))):
            if name not in DAYS:
                raise ValueError(f"days: {name!r} is not one of {', '.join(DAYS)}")
            days.add(DAYS.index(name))
        holidays = set()
        for text in filter(None, (h.strip() for h in settings.holidays.split(","))):
            try:
                holidays.add(dt.date.fromisoformat(text))
            except ValueError:
                raise ValueError(f"holidays: {text!r} is not a date (YYYY-MM-DD)") from None
        try:
            zone = ZoneInfo(settings.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"timezone = {settings.timezone!r} is not a known zone") from None
        return cls(opens, closes, frozenset(days), frozenset(holidays), zone)

    def local(self, now: dt.datetime) -> dt.datetime:
        return now.astimezone(self.zone)

    def staffed_day(self, day: dt.date) -> bool:
        return day.weekday() in self.days and day not in self.holidays

    def is_open(self, now: dt.datetime) -> bool:
        local = self.local(now)
        return self.staffed_day(local.date()) and self.opens <= local.time() < self.closes

    def next_open(self, now: dt.datetime) -> dt.datetime | None:
        """When agents are next on duty (``now`` if they are); None if never in a year."""
        if self.is_open(now):
            return now
        local = self.local(now)
        for ahead in range(0, 370):
            day = local.date() + dt.timedelta(days=ahead)
            start = dt.datetime.combine(day, self.opens, self.zone)
            if self.staffed_day(day) and start > local:
                return start
        return None
