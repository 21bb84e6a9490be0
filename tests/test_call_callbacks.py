"""Callback numbers over real calls: a caller ID we may not dial is never stored, a number
is read back and confirmed, a number gets so many requests a day, and the dialplan dials
only national numbers whatever asks it to. (Serving callbacks: test_call_agents.)

Nobody is logged in during these calls, so "0" reaches the callback offer at once.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import closing
from pathlib import Path

import pytest

from ivr import secrets
from ivr.ami.client import AmiUser, session
from tests.rig import sipp
from tests.rig.hotline import Hotline, Scenario

pytestmark = pytest.mark.asterisk

OFFER_ACCEPTED = "0" + "W" * 9 + "1"  # to an officer; then, in the callback offer, 1
READBACK = "Petugas akan menelepon Anda kembali di nomor"
STORED = "Permintaan Anda telah kami catat."


def requests(hotline: Hotline, number: str) -> list[sqlite3.Row]:
    with closing(sqlite3.connect(hotline.config.calllog_path)) as db:
        db.row_factory = sqlite3.Row
        return list(db.execute("SELECT * FROM callbacks WHERE number = ?", (number,)))


@pytest.fixture(scope="module", autouse=True)
def served_afterwards(hotline: Hotline) -> Iterator[None]:
    """The requests made here are closed afterwards: no later test's agent is rung."""
    yield
    with closing(sqlite3.connect(hotline.config.calllog_path)) as db:
        db.execute(
            "UPDATE callbacks SET state = 'done' WHERE state IN ('open', 'calling') "
            "AND number IN ('081234567001', '0212345678')"
        )
        db.commit()


def said(text: str) -> Callable[[list[str]], bool]:
    return lambda lines: any(line.startswith(text) for line in lines)


def test_callback_foreign_caller_id_is_never_stored_a_keyed_number_is_after_confirmation(
    hotline: Hotline,
) -> None:
    keys = OFFER_ACCEPTED + "W" * 8 + "081234567001#" + "W" * 16 + "1"
    scenario = Scenario(keys, said(STORED), timeout=120, caller_id='"Anonim" <0099887766>')
    result = hotline.calls({"foreign": scenario})["foreign"]
    assert requests(hotline, "0099887766") == []
    lines = hotline.spoken(result.call_id)
    assert any(line.startswith("Nomor telepon Anda tidak dapat kami gunakan") for line in lines)
    [stored] = requests(hotline, "081234567001")
    assert stored["call_id"] == result.call_id and stored["state"] == "open"
    # Read back and confirmed before it was stored.
    assert lines.index(READBACK) < next(i for i, x in enumerate(lines) if x.startswith(STORED))


def test_callback_own_number_is_read_back_and_2_keys_another(hotline: Hotline) -> None:
    keys = OFFER_ACCEPTED + "W" * 16 + "2" + "W" * 6 + "0212345678#" + "W" * 14 + "1"
    scenario = Scenario(keys, said(STORED), timeout=120, caller_id='"Uji" <+6281234567002>')
    result = hotline.calls({"another": scenario})["another"]
    lines = hotline.spoken(result.call_id)
    assert lines.count(READBACK) == 2  # the caller's own (from +62...), then the one keyed
    assert requests(hotline, "081234567002") == []
    assert len(requests(hotline, "0212345678")) == 1


PER_DAY = 3  # agents.callbacks_per_day, the default the rig keeps


def test_callback_daily_limit_refuses_the_next_request(hotline: Hotline) -> None:
    number, now = "081234567003", time.time()
    with closing(sqlite3.connect(hotline.config.calllog_path)) as db:
        for _ in range(PER_DAY):  # served earlier today
            db.execute(
                "INSERT INTO callbacks (requested_at, number, waiting_since, next_at, state) "
                "VALUES (?, ?, ?, ?, 'done')",
                (now - 3600, number, now - 3600, now - 3600),
            )
        db.commit()
    keys = OFFER_ACCEPTED + "W" * 16 + "1"
    scenario = Scenario(keys, said("Maaf, permintaan telepon balik"), 120, f'"Uji" <{number}>')
    result = hotline.calls({"limit": scenario})["limit"]
    assert [r["state"] for r in requests(hotline, number)] == ["done"] * PER_DAY
    assert "callback: this number is over its daily limit" in hotline.notes(result.call_id)
    assert hotline.config.agents.callbacks_per_day == PER_DAY


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
