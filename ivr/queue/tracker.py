"""app_queue's AMI events -> the call log: queue stays and transcript lines.

Runs in the controller (the call log's one writer). Each event names the waiting channel
(``Uniqueid``, the call's id) and carries the HAJJ_* variables (manager.conf channelvars),
so a stay records why the call came and which porsi it is about. On a cluster's agent node
the channel came from an IVR node (HAJJ_IVR_CALL: that node's id of the call): the stay
records it, and the queue's lines go to that call's transcript (the call log is shared).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping

from ivr import chanvars, handover
from ivr.ami.events import number, variables
from ivr.calllog import CallLog
from ivr.queue.records import QueueRecords

log = logging.getLogger(__name__)

EVENTS = (
    "QueueCallerJoin",
    "AgentCalled",
    "AgentRingNoAnswer",
    "AgentConnect",
    "AgentComplete",
    "QueueCallerAbandon",
    "QueueCallerLeave",
)


class QueueTracker:
    def __init__(
        self, calllog: CallLog, records: QueueRecords, clock: Callable[[], float] = time.time
    ) -> None:
        self.calllog = calllog
        self.records = records
        self.clock = clock

    def __call__(self, event: Mapping[str, str]) -> None:
        handler = getattr(self, "_" + event.get("Event", ""), None)
        if handler is None:
            return
        try:
            handler(event, event.get("Uniqueid", ""), event.get("Queue", ""))
        except Exception:  # one odd event must not stop the record of the others
            log.exception("queue event %s not recorded", event.get("Event"))

    def _note(self, e: Mapping[str, str], call_id: str, text: str) -> None:
        """A line in the call's transcript: this node's call, or on an agent node the IVR
        node's call it was handed over from."""
        target = _ivr_call(e) or call_id
        if self.calllog.exists(target):
            self.calllog.add(target, "event", text)

    def _QueueCallerJoin(self, e: Mapping[str, str], call_id: str, queue: str) -> None:
        known = handover.from_event(e)
        position = int(number(e, "Position"))
        self.records.joined(
            call_id,
            queue,
            e.get("CallerIDNum", ""),
            known.reason,
            known.porsi,
            self.clock(),
            position,
            _ivr_call(e),
        )
        self._note(e, call_id, f"queue {queue}: waiting, position {position}")

    def _AgentCalled(self, e: Mapping[str, str], call_id: str, queue: str) -> None:
        self._note(e, call_id, f"queue {queue}: ringing agent {e.get('MemberName', '')}")

    def _AgentRingNoAnswer(self, e: Mapping[str, str], call_id: str, queue: str) -> None:
        self.records.rang(call_id, queue)
        seconds = number(e, "RingTime")
        self._note(
            e,
            call_id,
            f"queue {queue}: agent {e.get('MemberName', '')} did not answer ({seconds:.0f} s)",
        )

    def _AgentConnect(self, e: Mapping[str, str], call_id: str, queue: str) -> None:
        agent, wait = e.get("MemberName", ""), number(e, "HoldTime")
        self.records.answered(call_id, queue, agent, self.clock(), wait)
        self._note(e, call_id, f"queue {queue}: answered by {agent} after {wait:.0f} s")

    def _AgentComplete(self, e: Mapping[str, str], call_id: str, queue: str) -> None:
        reason = e.get("Reason", "")
        self.records.completed(call_id, queue, self.clock(), number(e, "TalkTime"), reason)
        self._note(
            e, call_id, f"queue {queue}: call with {e.get('MemberName', '')} ended ({reason})"
        )

    def _QueueCallerAbandon(self, e: Mapping[str, str], call_id: str, queue: str) -> None:
        wait = number(e, "HoldTime")
        self.records.abandoned(call_id, queue, self.clock(), wait)
        self._note(e, call_id, f"queue {queue}: caller hung up after waiting {wait:.0f} s")

    def _QueueCallerLeave(self, e: Mapping[str, str], call_id: str, queue: str) -> None:
        self.records.left(call_id, queue, self.clock())


def _ivr_call(event: Mapping[str, str]) -> str:
    """The IVR node's id of a call handed over to this agent node ("" elsewhere)."""
    return variables(event).get(chanvars.IVR_CALL, "")
