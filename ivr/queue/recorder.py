"""Agent-call recordings -> the call log: the dialplan's HajjRecording UserEvent (MixMonitor
started on an agent's leg) makes a row; AgentComplete gives it its length.

Runs in the controller (the call log's one writer), beside ivr.queue.tracker.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping

from ivr.ami.events import number
from ivr.queue.recordings import Recordings
from ivr.queue.records import QueueRecords

log = logging.getLogger(__name__)

EVENTS = ("UserEvent", "AgentComplete")
USER_EVENT = "HajjRecording"  # dialplan [hajj-record]
END_EVENT = "HajjRecordingEnd"  # dialplan [hajj-record-end]: the agent's leg hung up


class RecordingTracker:
    def __init__(
        self,
        recordings: Recordings,
        stays: QueueRecords,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.recordings = recordings
        self.clock = clock
        self.stays = stays

    def __call__(self, event: Mapping[str, str]) -> None:
        try:
            if event.get("Event") == "AgentComplete":
                call_id, agent = event.get("Uniqueid", ""), event.get("MemberName", "")
                self.recordings.ended(call_id, agent, number(event, "TalkTime"))
            elif event.get("UserEvent") == USER_EVENT:
                self._started(event)
            elif event.get("UserEvent") == END_EVENT:
                self._closed(event)
        except Exception:  # one odd event must not stop the record of the others
            log.exception("recording event %s not recorded", event.get("Event"))

    def _closed(self, e: Mapping[str, str]) -> None:
        seconds = number(e, "Seconds")
        stay = self.recordings.closed(e.get("File", ""), seconds)
        if stay is not None:
            self.stays.leg_ended(stay, self.clock(), seconds)

    def _started(self, e: Mapping[str, str]) -> None:
        call_id, file = e.get("Call", ""), e.get("File", "")
        made = self.recordings.started(
            call_id, e.get("Queue", ""), e.get("Agent", ""), file, self.clock()
        )
        if made is None:
            log.warning("recording event with a file name not ours: ignored")
