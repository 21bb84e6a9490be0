"""The dialplan owns failure: with the controller down, callers still reach a person; a
restarted controller closes the calls its predecessor left open."""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Callable

import httpx
import pytest

from ivr import testcall
from ivr.ami.client import AmiClient
from ivr.ami.users import AmiUser, session
from ivr.testcall import CallResult, place
from tests.rig import web
from tests.rig.hotline import Hotline

pytestmark = pytest.mark.asterisk


def test_hotline_controller_stopped_caller_reaches_agent_queue(hotline: Hotline) -> None:
    hotline.stop_controller()
    try:
        result = hotline.call("", end_on="QueueCallerJoin", timeout=30)
    finally:
        hotline.start_controller()

    joined = [e for e in result.events if e.get("Event") == "QueueCallerJoin"]
    assert joined and joined[0]["Queue"] == "hajj-tier1"
    reasons = [e.get("Reason") for e in result.events if e.get("UserEvent") == "HajjToAgent"]
    assert reasons == ["controller_unreachable"]


async def until(condition: Callable[[], bool], what: str, within: float = 30.0) -> None:
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, f"never happened: {what}"
        await asyncio.sleep(0.2)


def test_controller_killed_mid_call_restart_closes_the_calls_it_left_in_progress(
    hotline: Hotline,
) -> None:
    """SIGKILL mid-call: one caller goes on to the queue and is still there at the restart,
    the other hangs up before it. Neither stays "in the IVR" on the wallboard."""
    password = hotline.add_admin("pengawas")

    def outcome(call_id: str) -> tuple[str, str] | None:
        row = hotline.record(call_id)[0]
        return (row.outcome, row.reason) if row else None

    async def start(ami: AmiClient, stop: asyncio.Event) -> tuple[str, asyncio.Task[CallResult]]:
        ids: list[str] = []
        task = asyncio.create_task(
            place(ami, testcall.TestCall(hotline.config.ivr.hotline), stop, ids.append)
        )
        await until(lambda: bool(ids) and len(hotline.spoken(ids[0])) > 0, "the IVR speaks")
        return ids[0], task

    async def main() -> dict[str, tuple[str, str] | None]:
        async with session(hotline.config, AmiUser.CALLS) as ami:
            stay, leave = asyncio.Event(), asyncio.Event()
            (queued, queued_call), (cut, cut_call) = await asyncio.gather(
                start(ami, stay), start(ami, leave)
            )
            joined = ami.wait_event("QueueCallerJoin", lambda e: e.get("Uniqueid") == queued, 30)
            await asyncio.to_thread(hotline.stop_controller, signal.SIGKILL)
            leave.set()  # this caller hangs up while the controller is down
            await cut_call
            await joined  # the other reached the queue: its channel is still up
            try:
                await asyncio.to_thread(hotline.start_controller)
                await until(
                    lambda: (
                        outcome(queued) != ("in_progress", "")
                        and outcome(cut) != ("in_progress", "")
                    ),
                    "the restarted controller closes both calls",
                )
                return {"queued": outcome(queued), "cut": outcome(cut)}
            finally:
                stay.set()
                await queued_call

    found = asyncio.run(main())
    assert found == {
        "queued": ("agent", "controller_restart"),
        "cut": ("failed", "controller_restart"),
    }
    with httpx.Client(base_url=hotline.web_url) as client:
        web.login(client, "pengawas", password)
        assert client.get("/admin/api/wallboard").json()["in_ivr"] == 0
