"""app_queue's AMI events become queue stays and transcript lines in the call log."""

from __future__ import annotations

import pytest

from ivr.calllog import CallLog, CallLogReader
from ivr.outcomes import Outcome
from ivr.queue.records import QueueRecords
from ivr.queue.tracker import QueueTracker
from tests.rig import callstores
from tests.rig.clock import Clock
from tests.rig.postgres import Backend

CALL = "1795650000.7"
VARS = "HAJJ_REASON=caller_request\nHAJJ_PORSI=1100123456\nHAJJ_VERIFIED=no"


@pytest.fixture
def rig(backend: Backend) -> tuple[QueueTracker, QueueRecords, Clock, CallLogReader]:
    """The tracker over the call log and queue stays on either backend."""
    calllog = CallLog.over(callstores.stores(backend))
    calllog.start(CALL, "081234567890", "hotline")
    calllog.add(CALL, "say", "Mohon tunggu")
    calllog.finish(CALL, Outcome.AGENT, "caller_request")
    clock = Clock(1000.0)
    records = QueueRecords(calllog.sql)
    return QueueTracker(calllog, records, clock), records, clock, callstores.reader(backend)


def event(name: str, **fields: str) -> dict[str, str]:
    return {"Event": name, "Uniqueid": CALL, "Queue": "hajj-tier1", "ChanVariable": VARS} | fields


def test_tracker_answered_call_after_a_missed_ring(rig: tuple) -> None:  # type: ignore[type-arg]
    tracker, records, clock, reader = rig
    tracker(event("QueueCallerJoin", Position="1", CallerIDNum="081234567890"))
    tracker(event("AgentCalled", MemberName="carol"))
    tracker(event("AgentRingNoAnswer", MemberName="carol", RingTime="15"))
    tracker(event("QueueCallerLeave", Position="1"))
    clock.now = 1020.0
    tracker(event("AgentConnect", MemberName="alice", HoldTime="20", RingTime="2"))
    clock.now = 1080.0
    tracker(
        event("AgentComplete", MemberName="alice", HoldTime="20", TalkTime="60", Reason="agent")
    )
    [stay] = records.for_call(CALL)
    assert (stay.caller, stay.reason, stay.porsi) == (
        "081234567890",
        "caller_request",
        "1100123456",
    )
    assert (stay.outcome, stay.agent, stay.wait, stay.talk, stay.rings) == (
        "answered",
        "alice",
        20.0,
        60.0,
        1,
    )
    assert (stay.joined_at, stay.answered_at, stay.ended_at) == (1000.0, 1020.0, 1080.0)
    lines = [line.text for line in reader.transcript(CALL)]
    assert lines == [
        "Mohon tunggu",
        "queue hajj-tier1: waiting, position 1",
        "queue hajj-tier1: ringing agent carol",
        "queue hajj-tier1: agent carol did not answer (15 s)",
        "queue hajj-tier1: answered by alice after 20 s",
        "queue hajj-tier1: call with alice ended (agent)",
    ]


def test_tracker_abandoned_call_keeps_its_wait(rig: tuple) -> None:  # type: ignore[type-arg]
    tracker, records, clock, _ = rig
    tracker(event("QueueCallerJoin", Position="2"))
    clock.now = 1042.0
    tracker(event("QueueCallerAbandon", Position="1", OriginalPosition="2", HoldTime="42"))
    tracker(event("QueueCallerLeave", Position="1"))
    [stay] = records.for_call(CALL)
    assert (stay.outcome, stay.wait, stay.ended_at) == ("abandoned", 42.0, 1042.0)


def test_tracker_timeout_then_transfer_are_two_stays(rig: tuple) -> None:  # type: ignore[type-arg]
    tracker, records, clock, _ = rig
    tracker(event("QueueCallerJoin", Position="1"))
    clock.now = 1090.0
    tracker(event("QueueCallerLeave", Position="1"))  # waited for the callback offer
    records.called_back(CALL)
    tracker(event("QueueCallerJoin", Position="1"))
    tracker(event("AgentConnect", MemberName="alice", HoldTime="3"))
    tracker(event("AgentComplete", MemberName="alice", TalkTime="30", Reason="transfer"))
    first, second = records.for_call(CALL)
    assert (first.outcome, first.wait) == ("callback", 90.0)
    assert second.outcome == "transferred"


def test_tracker_ignores_an_event_it_cannot_read(rig: tuple) -> None:  # type: ignore[type-arg]
    tracker, records, _, _ = rig
    tracker(event("AgentConnect", MemberName="alice", HoldTime="not a number"))
    tracker({"Event": "QueueCallerJoin"})  # no Uniqueid: still no crash
    assert records.for_call(CALL) == []


def test_tracker_on_an_agent_node_files_the_stay_with_the_ivr_nodes_call_and_its_lines_there(
    rig: tuple,  # type: ignore[type-arg]
) -> None:
    """A call handed over by an IVR node: the agent node's channel has its own Uniqueid and
    carries the IVR node's id of the call (HAJJ_IVR_CALL, from X-Hajj-Ivr-Call). The stay
    keeps both; the queue's lines join the IVR node's call in the shared call log."""
    tracker, records, clock, reader = rig
    here, handed = "1795650099.3", f"{VARS}\nHAJJ_IVR_CALL={CALL}"
    tracker(event("QueueCallerJoin", Uniqueid=here, ChanVariable=handed, Position="1"))
    clock.now = 1015.0
    tracker(event("AgentConnect", Uniqueid=here, ChanVariable=handed, MemberName="alice",
                  HoldTime="15"))  # fmt: skip
    [stay] = records.for_call(CALL)
    assert (stay.call_id, stay.ivr_call, stay.agent, stay.porsi) == (here, CALL, "alice",
                                                                      "1100123456")  # fmt: skip
    assert records.for_call(here) == [stay] and records.for_call("") == []
    assert [line.text for line in reader.transcript(CALL)][1:] == [
        "queue hajj-tier1: waiting, position 1",
        "queue hajj-tier1: answered by alice after 15 s",
    ]
    assert reader.transcript(here) == []
