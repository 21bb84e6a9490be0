"""Complaints over real calls, one per wiring path: RECORD FILE writes the complaint (its
number and PIN read twice), a status call without the PIN hears nothing (the attack), a
status call with it plays the officer's recorded reply (an absolute path), a ticket locked
by guessing refuses even its PIN (the counts in calls.sqlite); then an agent handles it in
the browser. Every other branch (state and resolution, a mistyped number, tickets from
before PINs, guessing at once up to the limit, a hang-up while recording, the officer
asked for) runs in the fast tier: tests/test_flow_complaints.py, the same checks
(tests/scenarios/complaints.py)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import httpx
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.wait import WebDriverWait

from ivr.complaints.tickets import Ticket
from ivr.files import run_account
from tests.rig.browser import browser_login
from tests.rig.hotline import Hotline
from tests.scenarios import complaints as checks
from tests.scenarios.complaints import Calls

pytestmark = pytest.mark.asterisk


@pytest.fixture(scope="module")
def calls(hotline: Hotline, tmp_path_factory: pytest.TempPathFactory) -> Calls:
    prepared = checks.at_once(hotline, Path(tmp_path_factory.mktemp("complaints")))
    return hotline.calls(prepared.scenarios)


@pytest.fixture(scope="module")
def filed(hotline: Hotline, calls: Calls) -> Ticket:
    return checks.ticket_of(hotline, calls["file"].call_id)


def test_complaint_recorded_by_phone_with_its_number_and_pin_read_twice(
    hotline: Hotline, filed: Ticket
) -> None:
    checks.check_recorded_by_phone(hotline, filed)


def test_complaint_status_without_the_pin_hears_nothing_of_the_ticket(
    hotline: Hotline, calls: Calls
) -> None:
    checks.check_status_without_the_pin_hears_nothing_of_the_ticket(hotline, calls)


def test_complaint_status_plays_the_officers_recorded_reply(hotline: Hotline, calls: Calls) -> None:
    checks.check_status_plays_the_officers_reply(hotline, calls)


def test_complaint_locked_ticket_refuses_its_own_pin(hotline: Hotline, calls: Calls) -> None:
    checks.check_locked_ticket_refuses_its_own_pin(hotline, calls)


def test_browser_agent_plays_the_recording_and_escalates_tier_2_sees_it(
    hotline: Hotline, filed: Ticket, browser: WebDriver, tmp_path: Path
) -> None:
    desk = checks.desk_of(hotline)
    ticket = desk.open(source="phone", category="transport", who="caller", caller="0811000021")
    source = hotline.config.recordings_dir / filed.recording
    target = hotline.config.recordings_dir / f"{ticket.number}.wav"
    target.write_bytes(source.read_bytes())
    ticket = desk.recorded(ticket, target.name, partial=False)
    passwords = {name: hotline.add_agent(name, tier) for name, tier in (("wati", 1), ("yusuf", 2))}

    browser_login(browser, hotline, "wati", passwords["wati"].web)
    browser.get(f"{hotline.web_url}/complaints")
    browser.find_element(By.LINK_TEXT, ticket.number).click()
    # The recording plays in the browser (the page's audio element loads it).
    playing = browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "const a = document.getElementById('recording');"
        "a.muted = true;"
        "a.play().then(() => setTimeout(() => done([a.currentTime, a.duration]), 700))"
        ".catch(e => done(String(e)));"
    )
    assert isinstance(playing, list) and playing[0] > 0 and playing[1] > 0, playing
    browser.find_element(By.ID, "escalate").click()
    WebDriverWait(browser, 10).until(lambda b: b.current_url.endswith("/complaints"))
    assert ticket.number not in browser.find_element(By.ID, "tickets").text  # not tier 1's now
    assert desk.get(ticket.number).tier == 2

    browser.delete_all_cookies()
    browser_login(browser, hotline, "yusuf", passwords["yusuf"].web)
    browser.get(f"{hotline.web_url}/complaints")
    assert ticket.number in browser.find_element(By.ID, "tickets").text
    history = [c.action for c in desk.history(desk.get(ticket.number))]
    assert history[-1] == "escalated to tier 2"
    # The recording is not for anyone without a login.
    answer = httpx.get(f"{hotline.web_url}/complaints/{ticket.number}/recording")
    assert answer.status_code == 401


def test_complaint_recording_belongs_to_asterisks_user_alone(
    hotline: Hotline, filed: Ticket
) -> None:
    """Asterisk wrote it (RECORD FILE) with the umask it was started with: 0600."""
    info = (hotline.config.recordings_dir / filed.recording).stat()
    account = run_account(hotline.config)
    assert stat.S_IMODE(info.st_mode) == 0o600
    assert info.st_uid == (account.uid if account else os.geteuid())
