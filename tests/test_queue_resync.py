"""After each AMI login the event-fed records are put right from QueueStatus and
CoreShowChannels (a scripted AMI peer; real SQLite)."""

from __future__ import annotations

import asyncio

import pytest

from ivr.calllog import CallLog
from ivr.queue.records import QueueRecords
from ivr.queue.resync import ControllerResync, Live, snapshot
from ivr.queue.tracker import QueueTracker
from tests.rig import callstores
from tests.rig.postgres import Backend
from tests.test_ami_client import FakeAmi, Peer, client_for


@pytest.fixture
def calllog(backend: Backend) -> CallLog:
    """The call log and the queue stays on either backend (SQLite, PostgreSQL)."""
    return CallLog.over(callstores.stores(backend))


def join(records: QueueRecords, call_id: str, at: float) -> None:
    records.joined(call_id, "hajj-tier1", "0812", "caller_request", "", at, 1)


def test_records_resync_stay_whose_caller_is_gone_is_closed_unknown(calllog: CallLog) -> None:
    records = QueueRecords(calllog.sql)
    join(records, "gone", 100.0)
    join(records, "still", 100.0)
    join(records, "new", 205.0)  # joined after the snapshot was asked for
    assert records.resync(200.0, waiting={"still"}, at=210.0) == 1
    outcome = {s.call_id: (s.outcome, s.ended_at) for s in records.recent()}
    assert outcome == {
        "gone": ("unknown", 210.0),
        "still": ("waiting", None),
        "new": ("waiting", None),
    }


def test_records_resync_a_late_event_still_tells_how_the_stay_ended(calllog: CallLog) -> None:
    records = QueueRecords(calllog.sql)
    tracker = QueueTracker(calllog, records, clock=lambda: 230.0)
    join(records, "c1", 100.0)
    records.resync(200.0, waiting=set(), at=210.0)
    tracker(
        {
            "Event": "AgentConnect",
            "Uniqueid": "c1",
            "Queue": "hajj-tier1",
            "MemberName": "siti",
            "HoldTime": "25",
        }
    )
    [stay] = records.for_call("c1")
    assert (stay.outcome, stay.agent, stay.wait) == ("answered", "siti", 25.0)


def test_controller_resync_reconciles_calls_once_and_stays_after_every_login(
    calllog: CallLog,
) -> None:
    records = QueueRecords(calllog.sql)
    calllog.start("old", "0812", "hotline")
    calllog.sql.run("UPDATE calls SET started_at = 1")
    resync = ControllerResync(calllog, records, started=10.0, clock=lambda: 300.0)
    resync.apply(Live(100.0, frozenset(), frozenset()))  # the first login
    # A call of this controller's that looks as old: a later login must leave it be.
    calllog.start("mine", "0812", "hotline")
    calllog.sql.run("UPDATE calls SET started_at = 2 WHERE id = 'mine'")
    join(records, "mine", 150.0)
    resync.apply(Live(200.0, frozenset(), frozenset()))  # a reconnect
    outcomes = {row[0]: row[1] for row in calllog.sql.all("SELECT id, outcome FROM calls")}
    assert outcomes == {"old": "failed", "mine": "in_progress"}
    assert [(s.outcome, s.ended_at) for s in records.for_call("mine")] == [("unknown", 300.0)]


def queue_status(peer: Peer, action: dict[str, str]) -> None:
    peer.reply(action, EventList="start", Message="Queue status will follow")
    for event in (
        {"Event": "QueueParams", "Queue": "hajj-tier1", "Calls": "1"},
        {"Event": "QueueMember", "Queue": "hajj-tier1", "Name": "siti", "InCall": "0"},
        {"Event": "QueueEntry", "Queue": "hajj-tier1", "Uniqueid": "waiting-1"},
    ):
        peer.send(**event, ActionID=action["ActionID"])
    peer.send(Event="QueueStatusComplete", ActionID=action["ActionID"], EventList="Complete")


def core_show_channels(peer: Peer, action: dict[str, str]) -> None:
    peer.reply(action, EventList="start", Message="Channels will follow")
    for uniqueid in ("waiting-1", "talking-2"):
        peer.send(Event="CoreShowChannel", ActionID=action["ActionID"], Uniqueid=uniqueid)
    peer.send(Event="CoreShowChannelsComplete", ActionID=action["ActionID"], EventList="Complete")


def test_snapshot_reads_waiting_callers_and_live_channels_from_ami() -> None:
    async def main() -> Live:
        async with FakeAmi() as fake:
            fake.handlers["QueueStatus"] = queue_status
            fake.handlers["CoreShowChannels"] = core_show_channels
            client = client_for(fake)
            await client.connect()
            try:
                return await snapshot(client, clock=lambda: 42.0)
            finally:
                await client.close()

    live = asyncio.run(main())
    assert live == Live(42.0, frozenset({"waiting-1", "talking-2"}), frozenset({"waiting-1"}))


def test_controller_resync_of_a_named_node_reconciles_only_its_calls(calllog: CallLog) -> None:
    records = QueueRecords(calllog.sql)
    for call_id, node in (("ours", "ivr1:4573"), ("theirs", "ivr2:4573")):
        calllog.node = node
        calllog.start(call_id, "0812", "hotline")
    calllog.sql.run("UPDATE calls SET started_at = 1")
    resync = ControllerResync(calllog, records, 10.0, clock=lambda: 300.0, node="ivr1:4573")
    resync.apply(Live(100.0, frozenset(), frozenset()))
    outcomes = {row[0]: row[1] for row in calllog.sql.all("SELECT id, outcome FROM calls")}
    assert outcomes == {"ours": "failed", "theirs": "in_progress"}


def test_records_resync_of_a_named_node_closes_only_the_stays_it_recorded(
    calllog: CallLog,
) -> None:
    """The agent node's stays stay waiting when an IVR node (whose Asterisk has no queue
    callers) logs in to AMI."""
    QueueRecords(calllog.sql, node="agent1:4573").joined(
        "at-the-agent-node", "hajj-tier1", "0812", "", "", 100.0, 1
    )
    QueueRecords(calllog.sql, node="ivr1:4573").joined(
        "ivr-node-own", "hajj-tier1", "0813", "", "", 100.0, 1
    )
    records = QueueRecords(calllog.sql, node="ivr1:4573")
    assert records.resync(200.0, waiting=set(), at=210.0, node="ivr1:4573") == 1
    stays = {s.call_id: (s.outcome, s.node) for s in records.recent()}
    assert stays == {
        "at-the-agent-node": ("waiting", "agent1:4573"),
        "ivr-node-own": ("unknown", "ivr1:4573"),
    }
