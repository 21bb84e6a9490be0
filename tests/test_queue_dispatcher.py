"""The callback dispatcher against a fake AMI: when it calls, what it asks Asterisk, and
how each stage the dialplan reports lands in the store. (The real thing: test_call_agents.)"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from ivr.calllog import connect
from ivr.config import AgentSettings
from ivr.hours import Schedule
from ivr.queue.callbacks import SCHEMA, Callbacks, Request
from ivr.queue.dispatcher import CallbackDispatcher
from tests.rig.clock import Clock

OPEN_SETTINGS = AgentSettings(
    hours="00:00-24:00",
    callback_attempts=2,
    callback_retry=60,
    callback_dial="PJSIP/{number}@trunk",
)


@dataclass
class FakeAmi:
    available: int = 1
    connected: bool = True
    originated: list[Mapping[str, str]] = field(default_factory=list)

    async def action_list(self, name: str, **fields: str) -> list[Mapping[str, str]]:
        assert name == "QueueSummary"
        return [
            {"Event": "QueueSummary", "Queue": fields["Queue"], "Available": str(self.available)},
            {"Event": "QueueSummaryComplete"},
        ]

    async def originate(self, **fields: str) -> Mapping[str, str]:
        self.originated.append(fields)
        return {"Response": "Success"}


Rig = tuple[CallbackDispatcher, FakeAmi, Callbacks, Clock]


@pytest.fixture
def rig(tmp_path: Path) -> Rig:
    store = Callbacks(connect(tmp_path / "calls.sqlite", SCHEMA))
    ami, clock = FakeAmi(), Clock()
    schedule = Schedule.from_settings(OPEN_SETTINGS)
    return CallbackDispatcher(ami, store, OPEN_SETTINGS, lambda: schedule, clock), ami, store, clock  # type: ignore[arg-type]


def state(store: Callbacks, callback_id: int) -> str:
    found = store.get(callback_id)
    assert found is not None, f"no callback {callback_id}"
    return found.state


def tick(d: CallbackDispatcher) -> object:
    return asyncio.run(d.tick())


def test_dispatcher_waits_for_a_free_agent(rig: Rig) -> None:
    dispatcher, ami, store, clock = rig
    store.request(Request("0811000001", "1100123456", waiting_since=clock.now - 300), clock.now)
    ami.available = 0
    assert tick(dispatcher) is None and ami.originated == []
    ami.available = 1
    served = tick(dispatcher)
    assert served is not None and len(ami.originated) == 1
    fields = ami.originated[0]
    # The agent leg first: a virtual caller in the queue; the pilgrim leg after it.
    assert fields["Channel"] == "Local/s@hajj-callback-agent/n"
    assert fields["Context"] == "hajj-callback-pilgrim"
    assert "__HAJJ_CALLBACK_DIAL=PJSIP/0811000001@trunk" in fields["Variable"]
    assert "__HAJJ_PORSI=1100123456" in fields["Variable"]
    assert "__HAJJ_REASON=callback" in fields["Variable"]
    # One at a time: nothing more while this one is in progress.
    store.request(Request("0811000002"), clock.now)
    assert tick(dispatcher) is None and len(ami.originated) == 1


def test_dispatcher_records_agent_then_pilgrim_then_done(rig: Rig) -> None:
    dispatcher, _, store, clock = rig
    cb, _ = store.request(Request("0811000001"), clock.now)
    tick(dispatcher)
    channel = {"ChanVariable": f"HAJJ_CALLBACK_ID={cb.id}\nHAJJ_REASON=callback"}
    dispatcher.on_event({"Event": "AgentConnect", "MemberName": "alice", **channel})
    clock.now += 5
    dispatcher.on_event(
        {"Event": "UserEvent", "UserEvent": "HajjCallback", "Id": str(cb.id), "Stage": "pilgrim"}
    )
    clock.now += 60
    dispatcher.on_event(
        {
            "Event": "UserEvent",
            "UserEvent": "HajjCallback",
            "Id": str(cb.id),
            "Stage": "ended",
            "DialStatus": "ANSWER",
        }
    )
    done = store.get(cb.id)
    assert done is not None and (done.state, done.agent, done.attempts) == ("done", "alice", 1)
    assert done.agent_answered_at < done.pilgrim_answered_at < done.finished_at  # type: ignore[operator]


def test_dispatcher_no_answer_is_retried_later(rig: Rig) -> None:
    dispatcher, ami, store, clock = rig
    cb, _ = store.request(Request("0811000001"), clock.now)
    tick(dispatcher)
    dispatcher.on_event(
        {
            "Event": "UserEvent",
            "UserEvent": "HajjCallback",
            "Id": str(cb.id),
            "Stage": "ended",
            "DialStatus": "NOANSWER",
        }
    )
    assert state(store, cb.id) == "open"
    assert tick(dispatcher) is None  # not before callback_retry seconds
    clock.now += 61
    assert tick(dispatcher) is not None and len(ami.originated) == 2
    dispatcher.on_event(
        {
            "Event": "UserEvent",
            "UserEvent": "HajjCallback",
            "Id": str(cb.id),
            "Stage": "ended",
            "DialStatus": "BUSY",
        }
    )
    assert state(store, cb.id) == "failed"


def test_dispatcher_agent_leg_failing_puts_the_request_back(rig: Rig) -> None:
    dispatcher, ami, store, clock = rig
    cb, _ = store.request(Request("0811000001"), clock.now)
    tick(dispatcher)
    action_id = ami.originated[0]["ActionID"]
    dispatcher.on_event(
        {"Event": "OriginateResponse", "ActionID": action_id, "Response": "Failure", "Reason": "0"}
    )
    back = store.get(cb.id)
    assert back is not None and (back.state, back.attempts, back.result) == (
        "open",
        0,
        "agent_unanswered",
    )


def test_dispatcher_off_duty_calls_nobody(tmp_path: Path) -> None:
    store = Callbacks(connect(tmp_path / "calls.sqlite", SCHEMA))
    closed = AgentSettings(hours="08:00-09:00", days="mon", timezone="Asia/Jakarta")
    ami = FakeAmi()
    clock = Clock()  # a Friday afternoon
    schedule = Schedule.from_settings(closed)
    dispatcher = CallbackDispatcher(ami, store, closed, lambda: schedule, clock)  # type: ignore[arg-type]
    store.request(Request("0811000001"), clock.now)
    assert tick(dispatcher) is None and ami.originated == []


def test_dispatcher_never_originates_a_number_we_may_not_call(rig: Rig) -> None:
    dispatcher, ami, store, clock = rig
    # Stored before numbers were checked (or by hand): the caller ID of an anonymous caller.
    foreign, _ = store.request(Request("0099887766", waiting_since=clock.now - 600), clock.now)
    national, _ = store.request(Request("0811000001", waiting_since=clock.now - 300), clock.now)
    assert tick(dispatcher) is None and ami.originated == []
    refused = store.get(foreign.id)
    assert refused is not None and (refused.state, refused.result) == ("failed", "number_refused")
    served = asyncio.run(dispatcher.tick())
    assert served is not None and served.id == national.id
    # The dialplan checks the number again before it dials (whatever callback_dial is).
    assert "__HAJJ_CALLBACK_NUMBER=0811000001" in ami.originated[0]["Variable"]
