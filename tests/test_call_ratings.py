"""Satisfaction over a real call: a caller reaches an agent's SIPp phone, the agent hangs
up first, the caller (still on the line: Queue() option c) hears the rating question and
keys 2. The rating is stored with the call, the tier and the agent as the queue recorded
them, shows in the report (HTTP to the rig's web app) and flags the call for review on
the wallboard. (Every branch of the rating flow: tests/test_flow_ratings.py.)
"""

from __future__ import annotations

import asyncio
import csv
import io
import sqlite3
from collections.abc import Mapping
from contextlib import closing
from pathlib import Path

import httpx
import pytest

from ivr import testcall
from ivr.ami.users import AmiUser, session
from ivr.calllog import CallLogReader
from ivr.testcall import CallResult, place
from tests.rig import web
from tests.rig.hotline import Hotline
from tests.test_call_agents import phone, rows, wait_for

pytestmark = pytest.mark.asterisk

ASK = "Mohon beri nilai untuk pelayanan petugas kami."
THANKS = "Terima kasih atas penilaian Anda."
CALLER = "0811000040"


def asked(hotline: Hotline, call_id: str) -> bool:
    reader = CallLogReader(hotline.config.calllog_path)
    return any(x.kind == "say" and ASK in x.text for x in reader.transcript(call_id))


def agent_hangs_up_then_caller_keys(hotline: Hotline, agent: str, key: str) -> CallResult:
    """Main menu 4 (umrah: a topic), then 0 for an officer; once ``agent`` answers and
    they have talked a moment, the agent's phone hangs up (its channel, as the phone's
    BYE would end it); when the caller has heard the rating question they key ``key``."""

    async def run() -> CallResult:
        ids: list[str] = []
        async with session(hotline.config, AmiUser.CALLS) as ami:

            def ours(e: Mapping[str, str]) -> bool:
                return bool(ids) and e.get("Uniqueid") == ids[0] and e.get("MemberName") == agent

            connected = ami.wait_event("AgentConnect", ours, 120)
            spec = testcall.TestCall(
                hotline.config.ivr.hotline, "4W0", caller_id=f'"Uji" <{CALLER}>', timeout=180
            )
            placed = asyncio.create_task(place(ami, spec, on_start=ids.append))
            event = await connected
            await asyncio.sleep(2)  # they talk
            await ami.action("Hangup", Channel=event["DestChannel"])
            await asyncio.to_thread(wait_for, lambda: asked(hotline, ids[0]), 60, "the question")
            # The caller's phone keys it: the Local channel's caller half sends the tone.
            caller_half = event["Channel"].replace(";2", ";1")
            await ami.action("PlayDTMF", Channel=caller_half, Digit=key, Duration="250")
            return await placed

    return asyncio.run(run())


def test_rating_keyed_after_the_agent_hangs_up_is_stored_reported_and_flagged(
    hotline: Hotline, tmp_path: Path
) -> None:
    passwords = hotline.add_agent("rina", 1)
    with phone(hotline, tmp_path, "rina", passwords.sip):
        result = agent_hangs_up_then_caller_keys(hotline, "rina", "2")
    assert result.ended  # thanked, then the dialplan hung up: the caller did not
    stay = rows(hotline, "SELECT * FROM queue_calls WHERE call_id = ?", result.call_id)[-1]
    assert (stay["queue"], stay["agent"]) == ("hajj-tier1", "rina")
    (rating,) = rows(hotline, "SELECT * FROM ratings WHERE call_id = ?", result.call_id)
    assert (rating["score"], rating["kind"]) == (2, "agent")
    assert (rating["queue"], rating["agent"]) == (stay["queue"], stay["agent"])
    assert rating["topics"] == "umrah"
    spoken = hotline.spoken(result.call_id)
    assert any(ASK in line for line in spoken) and THANKS in spoken[-1]
    with closing(sqlite3.connect(hotline.config.calllog_path)) as db:
        outcome = db.execute("SELECT outcome FROM calls WHERE id = ?", (result.call_id,))
        assert outcome.fetchone()[0] == "agent"  # the rating replaced nothing

    password = hotline.add_admin("citra")
    with httpx.Client(base_url=hotline.web_url, timeout=20) as admin:
        web.login(admin, "citra", password)
        report = admin.get("/admin/reports/satisfaction-agent.csv")
        board = admin.get("/admin/api/wallboard").json()
        call_page = admin.get(f"/admin/calls/{result.call_id}").text
    assert ["rina", "1", "2.0"] in list(csv.reader(io.StringIO(report.text)))
    review = [r for r in board["review"] if r["call_id"] == result.call_id]
    assert [(r["score"], r["agent"], r["queue"]) for r in review] == [(2, "rina", "hajj-tier1")]
    assert "perlu ditinjau" in call_page.split('id="ratings"', 1)[1]
