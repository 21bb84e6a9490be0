"""Agents over real calls: SIPp phones for agents and callers, the queue, callbacks.
(The callback offer's branches, outside staffed hours included: test_flow_callbacks.)

Agents are created with the CLI an admin uses; their phones are SIPp processes that
register with the printed credentials and answer (or ignore) what Asterisk rings. The
tests run in order: each leaves agents logged out and phones stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from pathlib import Path
from typing import Any

import httpx
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.wait import WebDriverWait

from ivr import chanvars, testcall
from ivr.ami.events import variables
from ivr.ami.users import AmiUser, session
from ivr.data.sample import FIXED_PILGRIMS
from ivr.testcall import CallResult, place
from tests.rig import sipp, web
from tests.rig.browser import browser_login
from tests.rig.hotline import AgentPasswords, Hotline
from tests.scenarios import callbacks

pytestmark = pytest.mark.asterisk

SOC = FIXED_PILGRIMS[0]


def found(porsi: str) -> str:
    """Main menu 1, key the porsi, confirm the read-back: the information menu follows."""
    return f"1{porsi}#{'W' * 12}1{'W' * 16}"


@pytest.fixture(scope="module")
def agents(hotline: Hotline) -> dict[str, AgentPasswords]:
    """alice (tier 1), bob (tier 2), carol (tier 1, her phone never answers): passwords."""
    made = {}
    for name, tier in [("alice", 1), ("bob", 2), ("carol", 1)]:
        made[name] = hotline.add_agent(name, tier)
    return made


@contextlib.contextmanager
def phone(
    hotline: Hotline,
    workdir: Path,
    name: str,
    password: str,
    answer: bool = True,
    keys: str = "",
) -> Iterator[sipp.AgentPhone]:
    """The agent's softphone, registered and logged in to the queue for the block; with
    ``keys`` the agent keys them on every answered call."""
    handle = sipp.AgentPhone.start(
        workdir, hotline.config.asterisk.sip_port, f"agent-{name}", password, answer, keys
    )
    try:
        hotline.cli("agents", "login", name)
        # Available, or already taking a call (a waiting callback goes out at once).
        ready = ("available", "ringing", "on call")
        wait_for(lambda: state(hotline, name) in ready, 20, f"{name} registered, logged in")
        yield handle
    finally:
        hotline.cli("agents", "logout", name, check=False)
        handle.stop()


def state(hotline: Hotline, name: str) -> str:
    listing = json.loads(hotline.cli("agents", "list", "--json").stdout)
    return str(next(a["state"] for a in listing if a["name"] == name))


def wait_for(predicate: Callable[[], object], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def rows(hotline: Hotline, sql: str, *args: object) -> list[sqlite3.Row]:
    with closing(sqlite3.connect(hotline.config.calllog_path)) as db:
        db.row_factory = sqlite3.Row
        return list(db.execute(sql, args))


def stays(hotline: Hotline, call_id: str) -> list[sqlite3.Row]:
    return rows(hotline, "SELECT * FROM queue_calls WHERE call_id = ? ORDER BY id", call_id)


def hang_up_on(
    hotline: Hotline,
    spec: testcall.TestCall,
    event: str,
    match: Callable[[Mapping[str, str]], bool] = lambda e: True,
    after: float = 0.0,
) -> CallResult:
    """Place a Local call; the caller hangs up ``after`` seconds past the first ``event``
    of this call that ``match`` accepts (QueueCallerJoin: it waits in a queue)."""

    async def run() -> CallResult:
        stop, ids = asyncio.Event(), list[str]()
        async with session(hotline.config, AmiUser.CALLS) as ami:
            seen = ami.wait_event(
                event, lambda e: bool(ids) and e.get("Uniqueid") == ids[0] and match(e), 90
            )
            placed = asyncio.create_task(place(ami, spec, stop, ids.append))
            await seen
            await asyncio.sleep(after)
            stop.set()
            return await placed

    return asyncio.run(run())


# --- agents from the command line -----------------------------------------------------


def test_agents_add_prints_credentials_and_list_shows_each_state(
    hotline: Hotline, agents: dict[str, AgentPasswords], tmp_path: Path
) -> None:
    assert state(hotline, "alice") == "logged out"
    again = hotline.cli("agents", "add", "alice", check=False)
    assert again.returncode == 1 and "already exists" in again.stderr
    # The password is printed once and never stored: the store holds hashes only.
    with closing(sqlite3.connect(hotline.config.agents_path)) as db:
        stored = " ".join(str(v) for row in db.execute("SELECT * FROM agents") for v in row)
    assert agents["alice"].sip not in stored and agents["alice"].web not in stored
    pjsip = (hotline.config.asterisk_dir / "etc" / "pjsip_agents.conf").read_text()
    assert "md5_cred" in pjsip and agents["alice"].sip not in pjsip

    with phone(hotline, tmp_path, "alice", agents["alice"].sip):
        assert state(hotline, "alice") == "available"
        hotline.cli("agents", "pause", "alice", "--reason", "istirahat")
        listing = json.loads(hotline.cli("agents", "list", "--json").stdout)
        alice = next(a for a in listing if a["name"] == "alice")
        assert alice["state"] == "paused" and alice["pause_reason"] == "istirahat"
        hotline.cli("agents", "unpause", "alice")
        assert state(hotline, "alice") == "available"
    assert state(hotline, "alice") == "logged out"
    assert "not logged in" in hotline.cli("agents", "pause", "alice", check=False).stderr


def test_agent_feature_code_logs_in_from_the_phone(
    hotline: Hotline, agents: dict[str, AgentPasswords], tmp_path: Path
) -> None:
    port = hotline.config.asterisk.sip_port
    done = sipp.feature_code(tmp_path, port, "agent-bob", agents["bob"].sip, "*71")
    assert done.ok, done.output
    try:
        wait_for(lambda: state(hotline, "bob") != "logged out", 10, "bob logged in")
        members = hotline.cli("asterisk", "cli", "queue show hajj-tier2").stdout
        assert "bob (PJSIP/agent-bob)" in members
    finally:
        assert sipp.feature_code(tmp_path, port, "agent-bob", agents["bob"].sip, "*72").ok
    assert state(hotline, "bob") == "logged out"


# --- a caller reaches an agent ---------------------------------------------------------


def test_sip_caller_presses_0_and_is_bridged_to_the_agent_with_a_screen_pop(
    hotline: Hotline, agents: dict[str, AgentPasswords], tmp_path: Path, browser: WebDriver
) -> None:
    with phone(hotline, tmp_path, "alice", agents["alice"].sip), ThreadPoolExecutor(1) as pool:
        caller = pool.submit(
            sipp.call,
            tmp_path,
            hotline.config.asterisk.sip_port,
            hotline.config.ivr.hotline,
            found(SOC.nomor_porsi) + "0",
            caller="081299887766",
            hangup_after_ms=12000,
        )
        # While they talk, the admin sees alice on a call.
        wait_for(lambda: state(hotline, "alice") == "on call", 90, "alice on call")
        result = caller.result(120)
        assert result.ok, result.output
    stay = rows(hotline, "SELECT * FROM queue_calls WHERE caller = '081299887766'")[-1]
    assert stay["outcome"] == "answered" and stay["agent"] == "alice"
    assert stay["porsi"] == SOC.nomor_porsi and stay["reason"] == "caller_request"
    assert stay["wait"] is not None and stay["wait"] < 10 and stay["talk"] > 0
    notes = hotline.notes(stay["call_id"])
    assert any(n.startswith("queue hajj-tier1: answered by alice") for n in notes), notes

    with console(hotline, "alice", agents["alice"].web) as client:
        pop = client.get("/agent/api/current").json()
    assert pop["call_id"] == stay["call_id"] and pop["caller"] == "081299887766"
    assert pop["porsi"] == SOC.nomor_porsi and pop["reason"] == "caller_request"
    assert pop["verified"] is False and pop["state"] == "ended"
    assert "tekan 0" in pop["path"] and pop["waited"] is not None
    # No date of birth keyed: the public status and estimate, no personal data.
    assert pop["pilgrim"]["status"] == SOC.status_porsi
    assert not {"name", "kloter", "passport", "payment"} & set(pop["pilgrim"])
    browser_login(browser, hotline, "alice", agents["alice"].web)
    shown = WebDriverWait(browser, 10).until(
        lambda b: (
            b.find_element(By.ID, "pop").get_attribute("data-call-id") == stay["call_id"]
            and b.find_element(By.ID, "pop").text
        )
    )
    assert SOC.status_porsi in shown and SOC.nama not in shown and str(SOC.kloter) not in shown
    assert browser.find_element(By.ID, "private-note").is_displayed()


@contextlib.contextmanager
def console(hotline: Hotline, name: str, password: str) -> Iterator[httpx.Client]:
    """A browser session of the agent console, logged in as ``name``."""
    with httpx.Client(base_url=hotline.web_url, timeout=10) as client:
        login(client, name, password)
        yield client


def login(client: httpx.Client, name: str, password: str) -> None:
    assert web.login(client, name, password).headers["location"] == "/agent"


def test_web_console_refuses_without_login_and_wrong_passwords(
    hotline: Hotline, agents: dict[str, AgentPasswords]
) -> None:
    with httpx.Client(base_url=hotline.web_url, timeout=10) as anonymous:
        refused_without_login(anonymous, agents["alice"].web)
    with console(hotline, "alice", agents["alice"].web) as client:
        assert client.get("/agent").status_code == 200


def refused_without_login(anonymous: httpx.Client, password: str) -> None:
    assert anonymous.get("/agent/api/current").status_code == 401
    assert anonymous.get("/agent/events").status_code == 401
    page = anonymous.get("/agent")
    assert page.status_code == 303 and page.headers["location"].startswith("/login")
    # No CSRF token: refused before the password is even looked at.
    no_csrf = anonymous.post("/login", data={"name": "alice", "password": password})
    assert no_csrf.status_code == 403
    token = web.csrf(anonymous.get("/login").text)
    wrong = anonymous.post("/login", data={"name": "alice", "password": "salah", "csrf": token})
    assert wrong.headers["location"] == "/login?failed=1"
    assert anonymous.get("/agent/api/current").status_code == 401


def test_agent_not_answering_is_recorded_and_the_caller_keeps_waiting(
    hotline: Hotline, agents: dict[str, AgentPasswords], tmp_path: Path
) -> None:
    with phone(hotline, tmp_path, "carol", agents["carol"].sip, answer=False):
        spec = testcall.TestCall(hotline.config.ivr.hotline, "0", caller_id='"Uji" <0811000001>')
        result = hang_up_on(hotline, spec, "QueueCallerJoin", after=7)
    stay = stays(hotline, result.call_id)[-1]
    assert stay["rings"] >= 1 and stay["outcome"] == "abandoned"
    assert any("agent carol did not answer" in n for n in hotline.notes(result.call_id))


def test_abandoned_call_is_recorded_with_its_wait(
    hotline: Hotline, agents: dict[str, AgentPasswords], tmp_path: Path
) -> None:
    with phone(hotline, tmp_path, "alice", agents["alice"].sip):
        hotline.cli("agents", "pause", "alice")  # logged in, nobody free: the caller waits
        spec = testcall.TestCall(hotline.config.ivr.hotline, "0", caller_id='"Uji" <0811000002>')
        result = hang_up_on(hotline, spec, "QueueCallerJoin", after=3)
    stay = stays(hotline, result.call_id)[-1]
    assert stay["outcome"] == "abandoned" and stay["reason"] == "caller_request"
    assert 2.0 <= stay["wait"] <= 6.0
    assert any("caller hung up after waiting" in n for n in hotline.notes(result.call_id))


def test_agent_transfers_the_caller_up_to_tier_2_with_the_context(
    hotline: Hotline, agents: dict[str, AgentPasswords], tmp_path: Path
) -> None:
    spec = testcall.TestCall(
        hotline.config.ivr.hotline, "0", caller_id='"Uji" <0811000009>', timeout=90
    )
    with (
        phone(hotline, tmp_path, "alice", agents["alice"].sip, keys="#12"),
        phone(hotline, tmp_path, "bob", agents["bob"].sip),
    ):
        # The caller hangs up once bob answers: the call went up a tier to him.
        result = hang_up_on(hotline, spec, "AgentConnect", lambda e: e["MemberName"] == "bob")
    first, second = stays(hotline, result.call_id)
    assert (first["queue"], first["agent"], first["outcome"]) == (
        "hajj-tier1",
        "alice",
        "transferred",
    )
    assert (second["queue"], second["agent"], second["reason"]) == (
        "hajj-tier2",
        "bob",
        "caller_request",
    )
    with console(hotline, "bob", agents["bob"].web) as client:
        pop = client.get("/agent/api/current").json()
    assert pop["call_id"] == result.call_id and pop["queue"] == "hajj-tier2"
    assert pop["caller"] == "0811000009" and pop["reason"] == "caller_request"


# --- callbacks -------------------------------------------------------------------------


def test_no_agent_logged_in_offers_a_callback_stored_once(hotline: Hotline) -> None:
    """Through [hajj-agent] into the AGI callback route (its own session on the channel);
    the request is what the next test's dispatcher serves."""
    calls = callbacks.twice_at_once(hotline, "0811000003")
    callbacks.check_offered_when_nobody_is_logged_in_stored_once(hotline, calls)


def test_callback_is_served_agent_leg_first_then_the_pilgrim(
    hotline: Hotline, agents: dict[str, AgentPasswords], tmp_path: Path
) -> None:
    pilgrim = sipp.AgentPhone.listen(tmp_path, hotline.pilgrim_port)
    try:
        with phone(hotline, tmp_path, "alice", agents["alice"].sip):
            row = wait_for(
                lambda: [
                    r
                    for r in rows(hotline, "SELECT * FROM callbacks WHERE number = '0811000003'")
                    if r["pilgrim_answered_at"]
                ],
                60,
                "the pilgrim to answer the callback",
            )[0]
            hang_up_agent(hotline, "alice")
            done = wait_for(
                lambda: rows(
                    hotline, "SELECT * FROM callbacks WHERE id = ? AND state = 'done'", row["id"]
                ),
                15,
                "the callback to be recorded done",
            )[0]
    finally:
        pilgrim.stop()
    assert done["agent"] == "alice" and done["attempts"] == 1 and done["result"] == "ANSWER"
    assert done["agent_answered_at"] < done["pilgrim_answered_at"] <= done["finished_at"]
    # The virtual caller waited in the queue like any caller, and alice took it.
    callback_stays = rows(hotline, "SELECT * FROM queue_calls WHERE reason = 'callback'")
    assert callback_stays and callback_stays[-1]["agent"] == "alice"


def hang_up_agent(hotline: Hotline, name: str) -> None:
    async def run() -> None:
        async with session(hotline.config, AmiUser.CALLS) as ami:
            await ami.action("Hangup", Channel=f"/^PJSIP\\/agent-{name}-.*$/")

    asyncio.run(run())


# --- failure paths ---------------------------------------------------------------------


def test_controller_killed_mid_call_caller_reaches_the_queue(hotline: Hotline) -> None:
    async def run() -> CallResult:
        async with session(hotline.config, AmiUser.CALLS) as ami:
            spec = testcall.TestCall(
                hotline.config.ivr.hotline, "1", end_on="QueueCallerJoin", timeout=60
            )
            placed = asyncio.create_task(place(ami, spec))
            await asyncio.sleep(4)  # in the porsi prompt
            assert hotline.controller is not None
            hotline.controller.kill()
            return await placed

    try:
        result = asyncio.run(run())
    finally:
        hotline.stop_controller()
        hotline.start_controller()
    joined = [e for e in result.events if e.get("Event") == "QueueCallerJoin"]
    assert joined, [e.get("Event") for e in result.events]
    reason = variables(joined[0]).get(chanvars.REASON)
    assert reason in ("controller_unreachable", "controller_incomplete")
