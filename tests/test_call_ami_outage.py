"""An Asterisk outage while a caller waits in the queue: the controller logs in to AMI
again by itself and closes the queue stay whose end it could not see."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sqlite3
import time
from collections.abc import Callable
from contextlib import closing

import pytest

from ivr import testcall
from ivr.ami.users import AmiUser, session
from tests.rig.hotline import Hotline

pytestmark = pytest.mark.asterisk

# A member who is logged in but paused: the queue counts as staffed, so the caller waits
# in it (callback_after seconds) instead of being offered a callback at once.
MEMBER = {
    "Queue": "hajj-tier1",
    "Interface": "Local/ops-nobody@hajj-nowhere",
    "StateInterface": "Custom:hajj-ops-test",
    "MemberName": "ops-test",
    "Paused": "true",
}


async def until(condition: Callable[[], bool], what: str, within: float = 30.0) -> None:
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, f"never happened: {what}"
        await asyncio.sleep(0.1)


def stay_outcome(hotline: Hotline, call_id: str) -> str:
    with closing(sqlite3.connect(hotline.config.calllog_path)) as db:
        row = db.execute(
            "SELECT outcome FROM queue_calls WHERE call_id = ? ORDER BY id DESC LIMIT 1",
            (call_id,),
        ).fetchone()
    return str(row[0]) if row else ""


def logins(hotline: Hotline) -> int:
    text = (hotline.config.state_dir / "serve.log").read_text(errors="replace")
    return text.count("AMI logged in")


async def member(hotline: Hotline, action: str) -> None:
    async with session(hotline.config, AmiUser.DESK) as ami:
        fields = MEMBER if action == "QueueAdd" else {k: MEMBER[k] for k in ("Queue", "Interface")}
        await ami.action(action, **fields)


def test_asterisk_killed_while_a_caller_waits_controller_logs_in_again_and_closes_the_stay(
    hotline: Hotline,
) -> None:
    async def main() -> str:
        ids: list[str] = []
        async with session(hotline.config, AmiUser.CALLS) as ami:
            # Key 0: an officer, please. The caller waits in hajj-tier1.
            call = testcall.TestCall(hotline.config.ivr.hotline, "0", timeout=60)
            placed = asyncio.create_task(testcall.place(ami, call, on_start=ids.append))
            try:
                await until(
                    lambda: bool(ids) and stay_outcome(hotline, ids[0]) == "waiting", "queued"
                )
                before = logins(hotline)
                pid = hotline.asterisk.pid()
                assert pid is not None
                os.kill(pid, signal.SIGKILL)  # an outage: no hang-up or queue events at all
                await until(lambda: hotline.asterisk.pid() is None, "Asterisk gone")
                await asyncio.to_thread(hotline.asterisk.start)
                await until(lambda: logins(hotline) > before, "the controller logs in again")
                await until(lambda: stay_outcome(hotline, ids[0]) != "waiting", "the resync")
                return stay_outcome(hotline, ids[0])
            finally:
                placed.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await placed

    asyncio.run(member(hotline, "QueueAdd"))
    try:
        assert asyncio.run(main()) == "unknown"
    finally:
        asyncio.run(member(hotline, "QueueRemove"))
