"""The agent desk end to end, as an agent works it: headless Chromium with fake media logs
in, its browser phone registers webrtc-NAME through the web app's proxy, the state bar
puts it in tier 1's queue; a SIPp caller presses 0, the desk pops the call, Jawab answers
it and audio flows both ways (DTLS-SRTP); hold, a key and mute work from their buttons;
"Alihkan ke tier 2" passes the caller to a SIPp agent who answers there; the desk is in
after-call work, the disposition and note are saved, Siap makes the agent available, and
the call page shows the note."""

from __future__ import annotations

import hashlib
import os
import ssl
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.select import Select
from selenium.webdriver.support.wait import WebDriverWait

from ivr.asterisk import tls
from tests.rig import answer_pcap, sipp
from tests.rig.browser import browser_login
from tests.rig.hotline import AgentPasswords, Hotline
from tests.rig.rtpear import RtpEar
from tests.rig.webphone import agent_browser_phone, events, media_counts
from tests.rig.wsphone import contacts
from tests.test_call_agents import phone, rows, state, wait_for

pytestmark = pytest.mark.asterisk
CALLER = "081277665544"


# A screenshot of the desk during the call is written here when set (docs/agent-desk.png).
SCREENSHOT = os.environ.get("HAJJ_IVR_DESK_SCREENSHOT", "")


@pytest.fixture(scope="module")
def wendi(hotline: Hotline) -> AgentPasswords:
    return hotline.add_agent("wendi", 1)


@pytest.fixture(scope="module")
def wiratmo(hotline: Hotline) -> AgentPasswords:
    return hotline.add_agent("wiratmo", 2)


@pytest.fixture(scope="module")
def wulandari(hotline: Hotline) -> str:
    return hotline.add_admin("wulandari")


def rtp_counts(hotline: Hotline, endpoint: str) -> tuple[int, int]:
    """(received, sent) RTP packets of ``endpoint``'s channel, as Asterisk counts them
    (`pjsip show channelstats`: Receive Count, Transmit Count); (0, 0) with no channel."""
    for line in hotline.asterisk.cli("pjsip show channelstats").splitlines():
        # BridgeId ChannelId UpTime Codec, then Count Lost Pct Jitter per direction
        fields = line.split()
        if len(fields) > 8 and fields[1].startswith(f"{endpoint}-"[:18]):
            return int(fields[4]), int(fields[8])
    return 0, 0


def cert_fingerprint(hotline: Hotline) -> str:
    pem = tls.files_for(hotline.config).cert.read_text()
    digest = hashlib.sha256(ssl.PEM_cert_to_DER_cert(pem)).hexdigest().upper()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def click(browser: WebDriver, element_id: str) -> None:
    button = browser.find_element(By.ID, element_id)
    WebDriverWait(browser, 20).until(lambda b: button.is_enabled())
    button.click()


def phone_is(browser: WebDriver, wanted: str) -> bool:
    return bool(browser.execute_script("return window.deskPhone.state") == wanted)


def badge(browser: WebDriver) -> str:
    return str(browser.find_element(By.ID, "agent-state").get_attribute("data-state"))


# Every key the pad sends, with what DeskPhone answered (true: sent as RFC 4733).
RECORD_KEYS = """
const p = window.deskPhone, send = p.sendDtmf.bind(p);
window.keysSent = [];
p.sendDtmf = (d) => { const ok = send(d); window.keysSent.push([d, ok]); return ok; };
"""


def press_controls(browser: WebDriver) -> dict[str, object]:
    """Tahan (a re-INVITE Asterisk accepts), again to resume, the pad's 5 (RFC 4733), Bisu
    and again: the buttons as the agent presses them, and what the phone said after each."""
    seen: dict[str, object] = {}
    click(browser, "hold")
    WebDriverWait(browser, 20).until(lambda b: phone_is(b, "held"))
    seen["held"] = browser.find_element(By.ID, "hold").get_attribute("aria-pressed")
    click(browser, "hold")
    WebDriverWait(browser, 20).until(lambda b: phone_is(b, "talking"))
    browser.execute_script(RECORD_KEYS)
    browser.find_element(By.CSS_SELECTOR, "#dtmf button[data-digit='5']").click()
    seen["keys"] = browser.execute_script("return window.keysSent")
    click(browser, "mute")
    WebDriverWait(browser, 10).until(lambda b: b.execute_script("return window.deskPhone.muted"))
    seen["muted"] = browser.find_element(By.ID, "mute").get_attribute("aria-pressed")
    click(browser, "mute")
    WebDriverWait(browser, 10).until(
        lambda b: not b.execute_script("return window.deskPhone.muted")
    )
    return seen


def log_in_on_the_browser_phone(browser: WebDriver) -> None:
    """The state bar: in tier 1's queue on this browser phone, available."""
    Select(browser.find_element(By.ID, "login-phone")).select_by_value("browser")
    click(browser, "login-button")
    WebDriverWait(browser, 30).until(lambda b: badge(b) == "available")


def answer_when_popped(browser: WebDriver) -> str:
    """Wait for the pop of the ringing call, answer with Jawab; the pop's text."""
    card = browser.find_element(By.ID, "pop")
    WebDriverWait(browser, 90).until(lambda b: card.get_attribute("data-state") == "ringing")
    wait_for(lambda: "incoming" in events(browser), 30, "the browser phone ringing")
    popped = card.text
    click(browser, "answer")
    wait_for(lambda: "connected" in events(browser), 30, "the call connected")
    return popped


def media_both_ways(browser: WebDriver, hotline: Hotline, ear: RtpEar) -> dict[str, Any]:
    """RTP both ways, as the browser, Asterisk (both legs) and the caller's socket count it."""
    seen: dict[str, Any] = {}
    seen["browser"] = wait_for(
        lambda: (
            (c := media_counts(browser))["received"] > 50
            and c["sent"] > 50
            and c["energy"] > 0
            and c
        ),
        30,
        "RTP both ways in the browser, the caller's voice decoded",
    )
    # Asterisk's side of both legs: the browser's voice in and on to the caller, the
    # caller's in and on to the browser.
    seen["browser_leg"] = wait_for(
        lambda: (n := rtp_counts(hotline, "webrtc-wendi"))[0] > 50 and n[1] > 50 and n,
        30,
        "Asterisk exchanging RTP with the browser",
    )
    seen["caller_leg"] = rtp_counts(hotline, "anonymous")
    # The browser's voice (Chromium's fake microphone beeps) reaches the caller.
    before = ear.loud
    wait_for(lambda: ear.loud > before + 10, 30, "the agent's voice at the caller")
    seen["sdp"] = browser.execute_script(
        "return window.deskPhone._session.sessionDescriptionHandler"
        ".peerConnection.remoteDescription.sdp"
    )
    return seen


def after_call_work(browser: WebDriver) -> tuple[str, str]:
    """Paused for after-call work by the server; the disposition and note saved, then Siap
    and out of the queue. The state bar's text while paused, and the call's id."""
    WebDriverWait(browser, 30).until(lambda b: badge(b) == "paused")
    shown = browser.find_element(By.ID, "agent-state").text
    call_id = str(browser.find_element(By.ID, "disposition-call").get_attribute("value"))
    Select(browser.find_element(By.ID, "disposition-topic")).select_by_value("kloter")
    browser.find_element(By.ID, "resolved-no").click()
    browser.find_element(By.ID, "disposition-note").send_keys("dialihkan ke tier 2: kloter")
    click(browser, "disposition-save")
    saved = browser.find_element(By.ID, "disposition-saved")
    WebDriverWait(browser, 10).until(lambda b: "Tersimpan" in saved.text)
    click(browser, "unpause-button")
    WebDriverWait(browser, 30).until(lambda b: badge(b) == "available")
    click(browser, "logout-button")
    WebDriverWait(browser, 30).until(lambda b: badge(b) == "logged out")
    return shown, call_id


def test_desk_answers_transfers_up_a_tier_and_saves_the_note_with_audio_both_ways(
    hotline: Hotline,
    wendi: AgentPasswords,
    wiratmo: AgentPasswords,
    wulandari: str,
    tmp_path: Path,
) -> None:
    # The caller keys 0, then speaks (a 400 Hz tone) from the test's own RTP socket, which
    # also counts what reaches the caller.
    voice = tmp_path / "caller-voice.pcap"
    seconds = answer_pcap.voice(voice, 400, 40, keys="0")
    sip_port = hotline.config.asterisk.sip_port
    with (
        agent_browser_phone(hotline, "wendi", wendi.web) as browser,
        phone(hotline, tmp_path, "wiratmo", wiratmo.sip),  # tier 2's SIPp agent answers
        RtpEar(voice) as ear,
        ThreadPoolExecutor(1) as pool,
    ):
        browser.set_window_size(1366, 768)
        assert contacts(hotline, "webrtc-wendi")
        log_in_on_the_browser_phone(browser)
        caller = pool.submit(
            sipp.call_with_media_at,
            tmp_path,
            sip_port,
            hotline.config.ivr.hotline,
            ear.port,
            seconds,
            CALLER,
        )
        popped = answer_when_popped(browser)
        media = media_both_ways(browser, hotline, ear)
        timer = browser.find_element(By.ID, "call-timer")
        WebDriverWait(browser, 10).until(lambda b: timer.text not in ("", "00:00"))
        if SCREENSHOT:
            browser.save_screenshot(SCREENSHOT)
        controls = press_controls(browser)
        # Up a tier: a blind REFER to 2; the phone's own leg ends once the caller moved,
        # and tier 2's agent answers.
        click(browser, "transfer")
        wait_for(lambda: "ended" in events(browser), 30, "the browser's leg ended")
        taken = "SELECT * FROM queue_calls WHERE caller = ? AND agent = 'wiratmo'"
        tier2 = wait_for(lambda: rows(hotline, taken, CALLER), 60, "tier 2's agent answering")
        shown, call_id = after_call_work(browser)
        caller.result(120)  # the caller hangs up once it has spoken
        # queue_log is read into calls.sqlite every few seconds.
        paused = (
            "SELECT * FROM queue_log WHERE agent = 'wendi' AND event IN ('PAUSE', 'PAUSEALL')"
            " AND data1 = 'pascapanggilan'"
        )
        wait_for(lambda: rows(hotline, paused), 30, "the after-call pause in queue_log")
        # The note on the call page, for an admin (the agent's own phone is off by now).
        browser.delete_all_cookies()
        browser_login(browser, hotline, "wulandari", wulandari)
        browser.get(f"{hotline.web_url}/admin/calls/{call_id}")
        notes = browser.find_element(By.ID, "dispositions").text
    assert "Penelepon meminta petugas" in popped and CALLER[-4:] in popped, popped
    # DTLS with the local certificate `make setup` made (the SDP's fingerprint is its hash).
    assert f"a=fingerprint:sha-256 {cert_fingerprint(hotline)}" in media["sdp"]
    assert controls == {"held": "true", "keys": [["5", True]], "muted": "true"}, controls
    assert media["browser"]["received"] > 50 and media["browser"]["sent"] > 50, media
    assert min(media["browser_leg"] + media["caller_leg"]) > 50, media
    assert ear.packets > 100, ear.packets
    stay = rows(hotline, "SELECT * FROM queue_calls WHERE caller = ?", CALLER)[0]
    assert (stay["queue"], stay["agent"], stay["outcome"]) == ("hajj-tier1", "wendi", "transferred")
    assert (tier2[0]["queue"], stay["call_id"]) == ("hajj-tier2", call_id)
    assert "pascapanggilan" in shown, shown
    assert state(hotline, "wendi") == "logged out"
    assert "wendi" in notes and "dialihkan ke tier 2: kloter" in notes and "belum" in notes
