"""Recording a prompt by phone over a real call: an admin dials *79 from a staff phone's
context (a Local channel into hajj-agent-phone), signs in, records the prompt through
RECORD FILE and keeps it; the next call (no restart) plays the recording. Every other
branch (wrong PIN, locks, unknown prompt number, recording again, cancelling, the hotline
not reaching *79) runs in the fast tier: tests/test_flow_studio.py, the same checks
(tests/scenarios/studio.py)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from ivr.testcall import CallResult
from tests.rig import web
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


def test_studio_not_reachable_from_the_hotlines_context(hotline: Hotline) -> None:
    """A caller's channel lands in hajj-inbound, which has no *79: no route runs (the
    controller never sees the call, so it has no call-log row), nobody is put through."""
    result = hotline.call("101#", number=checks.RECORD, timeout=20)
    assert hotline.record(result.call_id)[0] is None
    assert not any(e.get("UserEvent") == "HajjToAgent" for e in result.events)
