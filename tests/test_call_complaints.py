"""Complaints over real calls: record one and hear its number, ask its status, hang up
while recording; then an agent handles it in the browser."""

from __future__ import annotations

import os
import stat
import wave
from pathlib import Path

import httpx
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.wait import WebDriverWait

from ivr import speech
from ivr.complaints import replies
from ivr.complaints import tickets as tickets_mod
from ivr.complaints.tickets import Ticket
from ivr.files import run_account
from ivr.prompts.catalog import Catalog
from tests.rig import web
from tests.rig.browser import browser_login
from tests.rig.hotline import Hotline, Scenario

pytestmark = pytest.mark.asterisk

# Main menu 3 (complaints), 1 (new), category 3 (catering), 2 (no porsi); then the caller
# speaks (music) through the beep until record_max_seconds, keys nothing more: sent.
FILE = "3W1W3W2"
NUMBER_SAID = "Pengaduan Anda telah kami terima. Nomor pengaduan Anda adalah"


def ticket_of(hotline: Hotline, call_id: str) -> Ticket:
    found = [t for t in tickets_mod.for_config(hotline.config).search() if t.call_id == call_id]
    assert found, f"no ticket for {call_id}"
    return found[0]


def digits_spoken(hotline: Hotline, number: str) -> list[str]:
    catalog = Catalog.load(hotline.config.prompts_dir)
    return [catalog[speech.DIGITS[d]].text for d in number]


@pytest.fixture(scope="module")
def filed(hotline: Hotline) -> Ticket:
    result = hotline.call(FILE, caller_id='"Uji" <0811000020>', timeout=90, audio=True)
    return ticket_of(hotline, result.call_id)


def test_complaint_recorded_by_phone_with_its_number_read_twice(
    hotline: Hotline, filed: Ticket
) -> None:
    assert (filed.category, filed.source, filed.caller, filed.partial) == (
        "catering",
        "phone",
        "0811000020",
        False,
    )
    recording = hotline.config.recordings_dir / filed.recording
    with wave.open(str(recording)) as w:  # a real WAV file Asterisk wrote
        assert w.getframerate() == 8000 and w.getnframes() > 0
    said = hotline.spoken(filed.call_id)
    first = said.index(NUMBER_SAID)
    digits = digits_spoken(hotline, filed.number)
    assert said[first + 1 : first + 9] == digits  # one digit per utterance: slowly
    again = said.index("Sekali lagi, nomor pengaduan Anda adalah")
    assert said[again + 1 : again + 9] == digits


def test_complaint_status_by_phone_says_its_state_and_resolution(
    hotline: Hotline, filed: Ticket
) -> None:
    ask = "3W2WWWWWWW" + filed.number
    result = hotline.call(ask, timeout=60)
    assert "Pengaduan Anda sudah kami terima dan menunggu untuk diperiksa." in hotline.spoken(
        result.call_id
    )
    desk = tickets_mod.for_config(hotline.config)
    desk.resolve(desk.get(filed.number), "siti", "resolution-refund")
    result = hotline.call(ask, timeout=60)
    said = hotline.spoken(result.call_id)
    assert "Pengaduan Anda telah selesai ditangani." in said
    assert any(line.startswith("Pengembalian dana Anda telah diproses") for line in said)


def test_complaint_status_plays_the_officers_recorded_reply(
    hotline: Hotline, tmp_path: Path
) -> None:
    desk = tickets_mod.for_config(hotline.config)
    ticket = desk.open(source="agent", category="payment", who="siti", caller="0811000021")
    spoken = web.tone_wav(tmp_path / "balasan.wav", 2)  # the officer's voice
    reply = replies.store(hotline.config.recordings_dir, ticket.number, spoken, "b.wav", 90)
    desk.resolve(ticket, "rahmat", "", reply=reply)
    result = hotline.call("3W2WWWWWWW" + ticket.number, timeout=60)
    said = hotline.spoken(result.call_id)
    # One utterance: the introduction, then the recording (its transcript stand-in).
    at = said.index(f"Berikut balasan dari petugas kami. {replies.HEARD}")
    # Asterisk played the file (a missing one fails the call to an agent): the flow went on.
    assert Catalog.load(hotline.config.prompts_dir)["complaint-officer"].text in said[at:]
    row, _ = hotline.record(result.call_id)
    assert row is not None and row.outcome == "served"


def test_complaint_caller_asks_for_an_officer_who_sees_the_ticket_number(
    hotline: Hotline, filed: Ticket
) -> None:
    keys = "3W2WWWWWWW" + filed.number + "W" * 8 + "0"
    result = hotline.call(keys, timeout=60, end_on="UserEvent")  # HajjToAgent
    handed = [e for e in result.events if e.get("UserEvent") == "HajjToAgent"]
    assert handed and handed[0]["Ticket"] == filed.number
    assert handed[0]["Reason"] == "complaint_request"


def test_complaint_wrong_number_is_not_found(hotline: Hotline, filed: Ticket) -> None:
    wrong = filed.number[:-1] + str((int(filed.number[-1]) + 1) % 10)
    result = hotline.call("3W2WWWWWWW" + wrong + "WWWWWW", timeout=30)
    assert "Maaf, nomor pengaduan tersebut tidak kami temukan." in hotline.spoken(result.call_id)


def test_complaint_hang_up_while_recording_still_makes_a_flagged_ticket(
    hotline: Hotline,
) -> None:
    def recording(lines: list[str]) -> bool:
        return any(
            line.startswith("Silakan sampaikan pengaduan Anda setelah nada") for line in lines
        )

    result = hotline.calls({"hangup": Scenario("3W1W5W2", recording)})["hangup"]
    ticket = ticket_of(hotline, result.call_id)
    assert ticket.partial and ticket.recording == f"{ticket.number}.wav"
    assert ticket.category == "documents"
    assert "complaint recording: caller hung up (kept, flagged)" in hotline.notes(result.call_id)


def test_browser_agent_plays_the_recording_and_escalates_tier_2_sees_it(
    hotline: Hotline, filed: Ticket, browser: WebDriver, tmp_path: Path
) -> None:
    desk = tickets_mod.for_config(hotline.config)
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
