"""Putting event-fed records right after each AMI login.

The queue records (tracker.py) and the agents' screen pops follow app_queue's events. Events
sent while the controller was stopped, or while AMI was down (an Asterisk restart), are lost
for good: a stay stays "waiting" and a call "in progress" forever. After every login we read
what Asterisk has now (QueueStatus, CoreShowChannels) and close what it no longer has.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from ivr.ami.client import AmiClient
from ivr.calllog import CallLog
from ivr.errors import HajjIvrError
from ivr.queue.records import QueueRecords

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Live:
    """Asterisk's channels and queue callers, as read at ``taken_at``."""

    taken_at: float  # before asking: records made later are not judged by this snapshot
    channels: frozenset[str]  # Uniqueid of every channel up
    waiting: frozenset[str]  # Uniqueid of every caller waiting in a queue


async def snapshot(ami: AmiClient, clock: Callable[[], float] = time.time) -> Live:
    taken_at = clock()
    # Events and answers share one ordered stream: a caller who joins after Asterisk listed
    # the queue shows up as a QueueCallerJoin after this answer, never lost between them.
    entries = await ami.action_list("QueueStatus")
    channels = await ami.action_list("CoreShowChannels")
    return Live(
        taken_at,
        frozenset(c["Uniqueid"] for c in channels if c.get("Uniqueid")),
        frozenset(e["Uniqueid"] for e in entries if e.get("Event") == "QueueEntry"),
    )


class ControllerResync:
    """The controller's ``on_connect`` hook: once, the calls a previous controller left in
    progress; after every login, the queue stays whose end was missed."""

    def __init__(
        self,
        calllog: CallLog,
        records: QueueRecords,
        started: float,
        clock: Callable[[], float] = time.time,
        node: str | None = None,
    ) -> None:
        """``node``: reconcile only this node's calls (nodes sharing PostgreSQL)."""
        self.calllog = calllog
        self.node = node
        self.records = records
        self.started = started  # calls from then on are this controller's own
        self.clock = clock
        self.reconciled = False

    async def __call__(self, ami: AmiClient) -> None:
        try:
            live = await snapshot(ami, self.clock)
        except HajjIvrError as e:  # the next login tries again
            log.warning("AMI resync skipped: %s", e)
            return
        self.apply(live)

    def apply(self, live: Live) -> None:
        if not self.reconciled:
            handed, cut = self.calllog.reconcile(self.started, live.channels, self.node)
            self.reconciled = True
            if handed or cut:
                log.warning(
                    "calls left in progress by a stopped controller: %d now with the queue, "
                    "%d ended unrecorded (controller_restart)",
                    handed,
                    cut,
                )
        closed = self.records.resync(live.taken_at, live.waiting, self.clock(), self.node)
        if closed:
            log.warning("queue stays whose end was missed while AMI was down: %d closed", closed)
