"""Times as the hotline's staff read them: in one zone (config agents.timezone, Asia/Jakarta
by default) with its label, whatever zone the server runs in (often UTC)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo


def zone_label(moment: dt.datetime) -> str:
    """The zone as people read it: its abbreviation (WIB, WITA, WIT, UTC) where the zone
    database has one, else the offset (+03:00: Asia/Riyadh's name is only "+03")."""
    name = moment.tzname() or ""
    if name.isalpha():
        return name
    offset = moment.strftime("%z")
    return f"{offset[:3]}:{offset[3:5]}"


class Clock:
    """Unix times as the hotline's staff read them: in one zone, with its label."""

    def __init__(self, zone: dt.tzinfo) -> None:
        self.zone = zone

    @classmethod
    def for_zone(cls, name: str) -> Clock:
        return cls(ZoneInfo(name))

    def local(self, ts: float) -> dt.datetime:
        return dt.datetime.fromtimestamp(ts, self.zone)

    def when(self, ts: float | None) -> str:
        """Date and time, e.g. "2026-04-10 21:03:05 WIB"; empty for no time."""
        return "" if ts is None else self._format(ts, "%Y-%m-%d %H:%M:%S")

    def time_of_day(self, ts: float | None) -> str:
        """The time only, e.g. "21:03:05 WIB" (the wallboard's calls of today)."""
        return "" if ts is None else self._format(ts, "%H:%M:%S")

    def _format(self, ts: float, pattern: str) -> str:
        moment = self.local(ts)
        return f"{moment.strftime(pattern)} {zone_label(moment)}"

    def label_now(self, now: float) -> str:
        return zone_label(self.local(now))
