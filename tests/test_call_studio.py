"""Recording a prompt by phone over a real call: an admin dials *79 from a staff phone's
context (a Local channel into hajj-agent-phone), signs in, records the prompt through
RECORD FILE and keeps it; the next call (no restart) plays the recording. Every other
branch (wrong PIN, locks, unknown prompt number, recording again, cancelling, the hotline
not reaching *79) runs in the fast tier: tests/test_flow_studio.py, the same checks
(tests/scenarios/studio.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from ivr.calllog import CallLogReader
from ivr.testcall import CallResult
from tests.rig import sipp, web
from tests.rig.browser import browser_login, console_errors
from tests.rig.hotline import Hotline
from tests.scenarios import studio as checks

pytestmark = pytest.mark.asterisk


@pytest.fixture(scope="module")
def kept(hotline: Hotline) -> Iterator[tuple[CallResult, CallResult]]:
    try:
        yield checks.record_and_keep(hotline)
    finally:
        checks.forget(hotline)  # the session's other tests hear the built prompt again


def test_studio_prompt_recorded_by_phone_and_kept(
    hotline: Hotline, kept: tuple[CallResult, CallResult]
) -> None:
    checks.check_kept_by_phone(hotline, kept[0])


def test_studio_next_call_hears_the_recording(
    hotline: Hotline, kept: tuple[CallResult, CallResult]
) -> None:
    checks.check_next_call_hears_the_recording(hotline, kept[1])


def test_studio_dashboard_lists_and_plays_the_recording(
    hotline: Hotline, kept: tuple[CallResult, CallResult]
) -> None:
    """The running web app lists the prompt recorded by phone, with its number, and serves
    its WAV to a logged-in admin only."""
    number = checks.number_of(hotline)
    password = hotline.add_admin("perekam-web")
    with httpx.Client(base_url=hotline.web_url, timeout=10) as client:
        assert client.get(f"/admin/prompts/{number}.wav").status_code == 401
        web.login(client, "perekam-web", password)
        page = client.get("/admin/prompts").text
        recorded = page.split('id="recorded"')[1].split("</table>")[0]
        assert checks.PROMPT in recorded and str(number) in recorded
        audio = client.get(f"/admin/prompts/{number}.wav")
        assert audio.status_code == 200 and audio.content[:4] == b"RIFF"


def test_browser_admin_plays_the_prompt_recorded_by_phone(
    hotline: Hotline, kept: tuple[CallResult, CallResult], browser: WebDriver
) -> None:
    """The Prompt page's audio element plays the recording in Chromium (CSP allowing)."""
    number = checks.number_of(hotline)
    password = hotline.add_admin("perekam-browser")
    browser.delete_all_cookies()
    browser_login(browser, hotline, "perekam-browser", password)
    browser.get(f"{hotline.web_url}/admin/prompts")
    assert checks.PROMPT in browser.find_element(By.ID, "recorded").text
    playing = browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        f"const a = document.getElementById('audio-{number}');"
        "a.muted = true;"
        "a.play().then(() => setTimeout(() => done([a.currentTime, a.duration]), 700))"
        ".catch(e => done(String(e)));"
    )
    assert isinstance(playing, list) and playing[0] > 0 and playing[1] > 1, playing
    assert [e for e in console_errors(browser) if "favicon" not in e] == []  # no CSP refusal


def test_studio_not_reachable_from_the_hotlines_context(hotline: Hotline) -> None:
    """A caller's channel lands in hajj-inbound, which has no *79: no route runs (the
    controller never sees the call, so it has no call-log row), nobody is put through."""
    result = hotline.call("101#", number=checks.RECORD, timeout=20)
    assert hotline.record(result.call_id)[0] is None
    assert not any(e.get("UserEvent") == "HajjToAgent" for e in result.events)


def test_studio_staff_sip_phone_signs_in_records_and_cancels(
    hotline: Hotline, tmp_path: Path
) -> None:
    """An agent's softphone (SIPp: its endpoint, digest auth, keys over RFC 4733) dials
    *79: the admin signs in, records and cancels (SIPp sends keys, no voice: the take is
    empty). The call's caller ID is the endpoint's name (what the PIN lock counts per
    phone), not a number the phone claims."""
    phone = hotline.add_agent("telepon", 1).sip
    admin = checks.admin_of(hotline)
    keys = checks.keyed(hotline, admin, "*")
    sip_port = hotline.config.asterisk.sip_port
    done = sipp.staff_call(tmp_path, sip_port, checks.RECORD, keys, "agent-telepon", phone)
    assert done.ok, done.output
    calls = [
        c for c in CallLogReader(hotline.config.calllog_path).recent(20) if c.caller == "telepon"
    ]
    assert len(calls) == 1, calls
    notes = hotline.notes(calls[0].id)
    assert f"studio: admin {admin.number} signed in" in notes
    assert "studio: take empty" in notes
    assert f"studio: prompt {checks.number_of(hotline)} ({checks.PROMPT}) unchanged" in notes


def test_studio_anonymous_sip_caller_cannot_dial_it(hotline: Hotline, tmp_path: Path) -> None:
    """The anonymous endpoint's calls land in hajj-inbound: *79 is not found there."""
    sip_port = hotline.config.asterisk.sip_port
    done = sipp.call(tmp_path, sip_port, checks.RECORD, "", caller="0811000050", timeout=30)
    assert not done.ok and "404" in done.output, done.output
    reader = CallLogReader(hotline.config.calllog_path)
    assert not [c for c in reader.recent(50) if c.caller == "0811000050"]
