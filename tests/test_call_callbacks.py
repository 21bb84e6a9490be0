"""Callback numbers over real calls: a caller ID we may not dial is never stored (the
caller keys a number, hears it read back, confirms it), and the dialplan dials only
national numbers whatever asks it to. Every other branch of the number's confirmation
(the caller's own read back, 2 for another, a daily limit per number) runs in the fast
tier: tests/test_flow_callbacks.py, the same checks (tests/scenarios/callbacks.py).
Serving callbacks: test_call_agents.

Nobody is logged in during these calls, so "0" reaches the callback offer at once.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Iterator, Mapping
from contextlib import closing
from pathlib import Path

import pytest

from ivr import secrets
from ivr.ami.users import AmiUser, session
from tests.rig import sipp
from tests.rig.hotline import Hotline
from tests.scenarios import callbacks as checks

pytestmark = pytest.mark.asterisk


@pytest.fixture(scope="module", autouse=True)
def served_afterwards(hotline: Hotline) -> Iterator[None]:
    """The requests made here are closed afterwards: no later test's agent is rung."""
    yield
    with closing(sqlite3.connect(hotline.config.calllog_path)) as db:
        db.execute(
            "UPDATE callbacks SET state = 'done' WHERE state IN ('open', 'calling') "
            "AND number = '081234567001'"
        )
        db.commit()


def test_callback_foreign_caller_id_is_never_stored_a_keyed_number_is_after_confirmation(
    hotline: Hotline,
) -> None:
    result = checks.from_a_foreign_caller_id(hotline)
    checks.check_foreign_caller_id_never_stored_a_keyed_number_is(hotline, result)


async def _originate_out(hotline: Hotline, number: str) -> list[Mapping[str, str]]:
    """AMI Originate of Local/NUMBER@hajj-callback-out; its events until both halves end."""
    seen: list[Mapping[str, str]] = []
    prefix = f"Local/{number}@hajj-callback-out-"
    async with session(hotline.config, AmiUser.CALLS) as ami:

        def mine(event: Mapping[str, str]) -> bool:
            return event.get("Channel", "").startswith(prefix)

        ami.on_event("*", lambda e: seen.append(e) if mine(e) else None)
        ended = ami.wait_event("Hangup", lambda e: mine(e) and e["Channel"].endswith(";2"), 30)
        await ami.originate(
            Channel=f"Local/{number}@hajj-callback-out",
            Application="Wait",
            Data="1",
            CallerID='"Callback" <500425>',
            Timeout="6000",  # the phone rings unanswered: give up after 6 s
        )
        await ended
        await asyncio.sleep(0.5)
    return seen


def _pilgrim_phone(hotline: Hotline, workdir: Path) -> sipp.AgentPhone:
    """The demo softphone 'pilgrim' that [hajj-callback-out] rings, registered (rings on)."""
    password = secrets.load_or_create(hotline.config.secrets_path).pilgrim_password
    phone = sipp.AgentPhone.start(
        workdir, hotline.config.asterisk.sip_port, "pilgrim", password, answer=False
    )
    deadline = time.monotonic() + 20
    while "pilgrim/sip:" not in hotline.cli("asterisk", "cli", "pjsip show contacts").stdout:
        assert time.monotonic() < deadline, "the pilgrim phone did not register"
        time.sleep(0.3)
    return phone


def test_callback_out_dials_a_national_number_never_a_foreign_one(
    hotline: Hotline, tmp_path: Path
) -> None:
    phone = _pilgrim_phone(hotline, tmp_path)
    try:
        foreign = asyncio.run(_originate_out(hotline, "0099887766"))
        national = asyncio.run(_originate_out(hotline, "081234567004"))
    finally:
        phone.stop()

    def names(events: list[Mapping[str, str]]) -> list[str]:
        return [e.get("UserEvent", e.get("Event", "")) for e in events]

    assert "DialBegin" not in names(foreign) and "HajjCallbackRefused" in names(foreign)
    assert "DialBegin" in names(national) and "HajjCallbackRefused" not in names(national)
