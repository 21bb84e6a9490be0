"""The agent desk over a real hotline: the console's queue buttons change app_queue's
member (QueueStatus) for a desk-phone (SIPp) agent, and in a real browser the desk shows
the state, pops the call when the SIPp phone rings, and saves the disposition that the
call page then shows. (The browser phone's own test is the phone helper's.)
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.select import Select
from selenium.webdriver.support.wait import WebDriverWait

from ivr import testcall
from ivr.agents.members import queue_members
from ivr.ami.users import AmiUser, session
from tests.rig import sipp, web
from tests.rig.browser import browser_login, console_errors
from tests.rig.hotline import AgentPasswords, Hotline
from tests.test_call_agents import hang_up_on, state, wait_for

pytestmark = pytest.mark.asterisk

AGENT, ADMIN = "kartika", "purnomo"
DESK_PHONE = f"PJSIP/agent-{AGENT}"


@pytest.fixture(scope="module")
def kartika(hotline: Hotline) -> AgentPasswords:
    return hotline.add_agent(AGENT, 1)


@pytest.fixture(scope="module")
def admin(hotline: Hotline) -> str:
    return hotline.add_admin(ADMIN)


@contextlib.contextmanager
def desk_phone(hotline: Hotline, workdir: Path, password: str) -> Iterator[sipp.AgentPhone]:
    """kartika's SIPp desk phone, registered, not logged in: the console logs her in.
    Leaves her logged out whatever happens."""
    handle = sipp.AgentPhone.start(
        workdir, hotline.config.asterisk.sip_port, f"agent-{AGENT}", password
    )
    try:
        yield handle
    finally:
        hotline.cli("agents", "logout", AGENT, check=False)
        handle.stop()


def member(hotline: Hotline) -> Mapping[str, str] | None:
    """kartika's queue member as app_queue lists it (QueueStatus), None when not in."""

    async def ask() -> Mapping[str, str] | None:
        async with session(hotline.config, AmiUser.DESK) as ami:
            members = await queue_members(ami)
        # QueueStatus's QueueMember calls the member's name "Name" (events: MemberName).
        return next((m for m in members.values() if m.get("Name") == AGENT), None)

    return asyncio.run(ask())


def test_desk_buttons_change_the_queue_member_of_a_desk_phone_agent(
    hotline: Hotline, kartika: AgentPasswords, tmp_path: Path
) -> None:
    with (
        desk_phone(hotline, tmp_path, kartika.sip),
        httpx.Client(base_url=hotline.web_url, timeout=20) as client,
    ):
        web.login(client, AGENT, kartika.web)
        token = web.csrf(client.get("/agent").text)
        json = {"Accept": "application/json"}

        def press(path: str, **form: str) -> int:
            return client.post(path, data={"csrf": token} | form, headers=json).status_code

        assert press("/agent/login", phone="desk") == 200
        joined = wait_for(lambda: member(hotline), 20, "kartika in the queue")
        assert joined["Location"] == DESK_PHONE and joined["Queue"] == "hajj-tier1"
        assert joined["StateInterface"] == DESK_PHONE and joined["Paused"] == "0"
        wait_for(lambda: state(hotline, AGENT) == "available", 20, "kartika available")
        assert client.get("/agent/api/state").json()["phone"] == "desk"

        assert press("/agent/pause", reason="salat") == 200
        paused = member(hotline)
        assert paused is not None and paused["Paused"] == "1"
        assert paused["PausedReason"] == "salat"
        shown = client.get("/agent/api/state").json()
        assert (shown["state"], shown["reason"]) == ("paused", "salat")
        assert shown["paused_for"] is not None  # app_queue's LastPause: the page's timer

        assert press("/agent/unpause") == 200
        assert (member(hotline) or {}).get("Paused") == "0"
        assert press("/agent/logout") == 200
        assert member(hotline) is None
        assert client.get("/agent/api/state").json()["state"] == "logged out"
        assert press("/agent/pause", reason="salat") == 409  # not in the queue now


def badge(browser: WebDriver) -> str | None:
    """The state bar's state, as the page last polled it."""
    return browser.find_element(By.ID, "agent-state").get_attribute("data-state")


def test_desk_page_shows_state_pops_the_ringing_call_and_saves_the_disposition(
    hotline: Hotline, kartika: AgentPasswords, admin: str, tmp_path: Path, browser: WebDriver
) -> None:
    browser.delete_all_cookies()
    browser_login(browser, hotline, AGENT, kartika.web)
    browser.get(f"{hotline.web_url}/agent")
    WebDriverWait(browser, 20).until(lambda b: badge(b) == "logged out")
    spec = testcall.TestCall(hotline.config.ivr.hotline, "0", caller_id='"Uji" <0811000088>')
    mine = lambda e: e.get("MemberName") == AGENT  # noqa: E731
    with desk_phone(hotline, tmp_path, kartika.sip), ThreadPoolExecutor(1) as pool:
        Select(browser.find_element(By.ID, "login-phone")).select_by_value("desk")
        browser.find_element(By.ID, "login-button").click()
        WebDriverWait(browser, 20).until(lambda b: badge(b) == "available")
        placed = pool.submit(hang_up_on, hotline, spec, "AgentConnect", mine, 4)
        card = browser.find_element(By.ID, "pop")
        WebDriverWait(browser, 60).until(
            lambda b: card.get_attribute("data-state") in ("ringing", "connected")
        )
        assert "0811000088" in card.text and "Penelepon meminta petugas" in card.text
        call_id = placed.result(timeout=120).call_id
    WebDriverWait(browser, 30).until(lambda b: card.get_attribute("data-call-id") == call_id)
    assert browser.find_element(By.ID, "disposition-call").get_attribute("value") == call_id
    Select(browser.find_element(By.ID, "disposition-topic")).select_by_value("kloter")
    browser.find_element(By.ID, "resolved-no").click()
    browser.find_element(By.ID, "disposition-note").send_keys("tanya jadwal kloter ibunya")
    browser.find_element(By.ID, "disposition-save").click()
    saved = browser.find_element(By.ID, "disposition-saved")
    WebDriverWait(browser, 10).until(lambda b: "Tersimpan" in saved.text)
    # No phone.js yet is fine (a desk-phone agent's page); a CSP refusal is not.
    assert not [e for e in console_errors(browser) if "Content Security Policy" in e]

    browser.delete_all_cookies()
    browser_login(browser, hotline, ADMIN, admin)
    browser.get(f"{hotline.web_url}/admin/calls/{call_id}")
    notes = browser.find_element(By.ID, "dispositions").text
    assert AGENT in notes and "Kloter" in notes and "tanya jadwal kloter ibunya" in notes
    assert "belum" in notes
