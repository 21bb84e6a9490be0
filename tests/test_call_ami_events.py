"""Each AMI user hears only the events its code reads (manager.conf eventfilter), checked
on a real call: the controller's and the test caller's connections get no per-step flood
(Newexten, VarSet, Newstate) yet still every event they act on."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from ivr import testcall
from ivr.ami.client import AmiClient
from ivr.ami.users import AmiUser, for_config
from tests.rig.hotline import Hotline

pytestmark = pytest.mark.asterisk

FLOOD = {"Newexten", "VarSet", "Newstate", "NewConnectedLine", "LocalBridge", "BridgeEnter"}


def _listen(client: AmiClient) -> list[str]:
    heard: list[str] = []
    client.on_event("*", lambda e: heard.append(e.get("Event", "")))
    return heard


def test_ami_filters_during_a_queued_call_controller_hears_only_what_it_acts_on(
    hotline: Hotline,
) -> None:
    async def run() -> tuple[list[str], list[str], str]:
        controller = for_config(hotline.config, AmiUser.CONTROLLER)
        calls = for_config(hotline.config, AmiUser.CALLS)
        heard, caller_heard = _listen(controller), _listen(calls)
        await controller.connect()
        await calls.connect()
        try:
            # Key 0: an officer. The dialplan says HajjToAgent (UserEvent), the caller
            # waits in the queue (QueueCallerJoin), and hangs up there.
            spec = testcall.TestCall(
                hotline.config.ivr.hotline, "0", end_on="QueueCallerJoin", timeout=60
            )
            result = await testcall.place(calls, spec)
            action_id = f"filters-{uuid.uuid4().hex}"
            outcome = controller.wait_event(
                "OriginateResponse", lambda e: e.get("ActionID") == action_id, 20
            )
            await controller.originate(
                Channel="Local/s@hajj-doctor", Application="Wait", Data="1", ActionID=action_id
            )
            response = (await outcome).get("Response", "")
            await asyncio.sleep(1)  # the queue's leave event after the caller's hang-up
        finally:
            await calls.close()
            await controller.close()
        assert result.saw("QueueCallerJoin"), [e.get("Event") for e in result.events]
        return heard, caller_heard, response

    heard, caller_heard, response = asyncio.run(run())
    assert response == "Success"
    assert {"UserEvent", "QueueCallerJoin", "OriginateResponse"} <= set(heard), heard
    assert not FLOOD & set(heard), sorted(set(heard))
    assert "Newchannel" not in heard and "Hangup" not in heard
    assert {"Newchannel", "Hangup", "UserEvent", "QueueCallerJoin"} <= set(caller_heard)
    assert not FLOOD & set(caller_heard), sorted(set(caller_heard))
