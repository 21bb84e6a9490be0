"""The agent desk as a call flow sees it: staffed hours, callback requests, queue stays."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from ivr.hours import Schedule
from ivr.queue.callbacks import Callbacks
from ivr.queue.records import QueueRecords

# The spoken zone of the desk's timezone (WIB unless the desk sits in WITA or WIT land).
ZONES = {"Asia/Makassar": "WITA", "Asia/Jayapura": "WIT"}


@dataclass
class Desk:
    schedules: Callable[[], Schedule]  # the staffed hours in force (admins may edit them)
    callbacks: Callbacks
    records: QueueRecords
    callbacks_per_day: int = 3  # requests one number may make in 24 hours
    clock: Callable[[], float] = field(default=time.time)

    @property
    def schedule(self) -> Schedule:
        return self.schedules()

    def now(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.clock(), dt.UTC)

    def staffed(self) -> bool:
        return self.schedule.is_open(self.now())

    def next_open(self) -> dt.datetime | None:
        """The next opening in the desk's local time (None: no staffed day ahead)."""
        when = self.schedule.next_open(self.now())
        return self.schedule.local(when) if when else None

    @property
    def zone(self) -> str:
        return ZONES.get(self.schedule.zone.key, "WIB")
