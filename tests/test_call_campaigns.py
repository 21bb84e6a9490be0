"""Schedule-change calls over real calls: an import moves kloter SOC-01, the controller
makes a campaign of it, an admin starts it from the command line, and the dialer calls the
one pilgrim with a number through the outbound route, a SIPp phone: the first time it
rings unanswered (no answer, tried again retry_after later), the second time voicemail
answers (a long greeting: AMD says machine, the short message, tried again), the third
time it answers like a person (AMD hears "Halo?" then silence), hears who is calling and
the new dates, and keys 8 (no more schedule calls). The dashboard's campaign page, in a
browser, shows the progress.

Every branch of the answered call runs in the fast tier (tests/test_flow_campaigns.py,
the same checks: tests/scenarios/campaigns.py); the dialer's pacing, hours and retries run
against a fake AMI (tests/test_campaign_dialer.py).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path
from typing import TypeVar

import httpx
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from ivr.campaigns import store
from ivr.campaigns.store import Campaign, CampaignCall, Campaigns
from ivr.data.importer import import_export
from tests.rig import answer_pcap, sipp, web
from tests.rig.browser import browser_login
from tests.rig.hotline import Hotline
from tests.scenarios import campaigns as checks

pytestmark = pytest.mark.asterisk
T = TypeVar("T")


def _until(found: Callable[[], T | None], seconds: float, what: str) -> T:
    deadline = time.monotonic() + seconds
    while (value := found()) is None:
        assert time.monotonic() < deadline, f"waited {seconds:.0f} s for {what}"
        time.sleep(0.3)
    return value


def _store(hotline: Hotline) -> closing[sqlite3.Connection]:
    return closing(sqlite3.connect(hotline.config.calllog_path, isolation_level=None))


def _campaign(hotline: Hotline, kloter: str) -> Campaign | None:
    with _store(hotline) as db:
        found = [c for c in Campaigns(db).all() if c.kloter == kloter and c.state == "ready"]
    return found[0] if found else None


def _call(hotline: Hotline, campaign_id: int) -> CampaignCall:
    with _store(hotline) as db:
        (k,) = Campaigns(db).calls(campaign_id)
    return k


def _when(
    hotline: Hotline, campaign_id: int, ready: Callable[[CampaignCall], bool]
) -> CampaignCall | None:
    k = _call(hotline, campaign_id)
    return k if ready(k) else None


@pytest.fixture(scope="module")
def moved(hotline: Hotline, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Campaign]:
    """The sample with SOC-01 moved a day later, imported; the campaign the controller
    made of it. Afterwards the sample is back and no campaign runs."""
    sample = hotline.config.state_dir / "sample"
    into = tmp_path_factory.mktemp("campaign") / "moved"
    checks.import_moved(sample, hotline.config.mirror_path, into, only=checks.PORSI)
    try:
        yield _until(lambda: _campaign(hotline, checks.KLOTER), 30, "the campaign")
    finally:
        with _store(hotline) as db:
            db.execute("UPDATE campaigns SET state = 'paused' WHERE state = 'running'")
        import_export(sample, hotline.config.mirror_path, imported_by="tests", force=True)


def _attempt(
    hotline: Hotline,
    workdir: Path,
    scenario: str,
    campaign_id: int,
    then: Callable[[], object] = lambda: None,
) -> CampaignCall:
    """One call to the pilgrim's SIPp phone, played out; the campaign call after it.
    ``then`` runs once the phone listens (starting the campaign: a call dialled before
    the phone is there would fail, and be retried, before the scripted one)."""
    before = _call(hotline, campaign_id).attempts
    phone = sipp.AgentPhone.listen(workdir, hotline.pilgrim_port, scenario)
    try:
        then()
        assert phone.wait(150) == 0, "the phone's call did not go as scripted"
    finally:
        phone.stop()

    def settled(k: CampaignCall) -> bool:
        return k.attempts > before and k.state != store.DIALING

    return _until(lambda: _when(hotline, campaign_id, settled), 20, "the attempt's outcome")


def test_campaign_after_an_import_retries_no_answer_and_a_machine_then_heard_and_opt_out(
    hotline: Hotline, moved: Campaign, tmp_path: Path
) -> None:
    def start() -> None:
        hotline.cli("campaigns", "start", str(moved.id))

    ignored = _attempt(hotline, tmp_path, sipp.pilgrim_scenario(answer=False), moved.id, start)
    assert (ignored.state, ignored.outcome, ignored.attempts) == (store.WAITING, "no_answer", 1)
    # Answered by voicemail: a long greeting, AMD hears a machine; it gets the short
    # message, and the pilgrim is tried again.
    greeting = tmp_path / "voicemail.pcap"
    seconds = answer_pcap.write(greeting, "", greeting_ms=3000, silence_ms=3000)
    voicemail = sipp.pilgrim_scenario(answer=True, pcap=greeting, seconds=seconds)
    machine = _attempt(hotline, tmp_path, voicemail, moved.id)
    assert (machine.state, machine.outcome, machine.attempts) == (store.WAITING, "machine", 2)
    pcap = tmp_path / "answer.pcap"
    seconds = answer_pcap.write(pcap, checks.OPT_OUT)
    scenario = sipp.pilgrim_scenario(answer=True, pcap=pcap, seconds=seconds)
    done = _attempt(hotline, tmp_path, scenario, moved.id)
    assert (done.state, done.attempts) == (store.DONE, 3) and done.call_id
    with _store(hotline) as db:
        checks.check_opted_out(hotline.spoken(done.call_id), done, Campaigns(db))


def test_browser_campaign_page_shows_the_progress(
    hotline: Hotline, moved: Campaign, browser: WebDriver
) -> None:
    """After the calls above: one pilgrim, done, heard and opted out (numbers masked)."""
    password = hotline.add_admin("nurul")
    browser_login(browser, hotline, "nurul", password)
    browser.get(f"{hotline.web_url}/admin/campaigns")
    browser.find_element(By.LINK_TEXT, f"#{moved.id}").click()

    def tile(name: str) -> str:
        return browser.find_element(By.ID, name).text

    assert (tile("state"), tile("total"), tile("done"), tile("opted_out")) == (
        "selesai",
        "1",
        "1",
        "1",
    )
    row = browser.find_element(By.CSS_SELECTOR, "#calls tbody tr").text
    assert checks.PORSI in row and "0812******56" in row and checks.NUMBER not in row
    with httpx.Client(base_url=hotline.web_url, timeout=10) as client:
        web.login(client, "nurul", password)
        csv = client.get(f"/admin/campaigns/{moved.id}/calls.csv").text
    assert csv.splitlines()[1].startswith(f"{checks.PORSI},0812******56,SOC-01,")
