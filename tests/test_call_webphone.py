"""The console's browser phone end to end: headless Chromium with fake media registers
webrtc-NAME through the web app's proxy, takes a queue call a SIPp caller made by
pressing 0, answers it from window.deskPhone, audio flows both ways (DTLS-SRTP), hold,
keys and mute work, and a blind transfer moves the caller up to tier 2."""

from __future__ import annotations

import hashlib
import ssl
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from selenium.webdriver.remote.webdriver import WebDriver

from ivr.asterisk import tls
from tests.rig import answer_pcap, sipp
from tests.rig.hotline import AgentPasswords, Hotline
from tests.rig.rtpear import RtpEar
from tests.rig.webphone import agent_browser_phone, browser_phone_in_queue, events, media_counts
from tests.rig.wsphone import contacts
from tests.test_call_agents import rows, wait_for

pytestmark = pytest.mark.asterisk
CALLER = "081277665544"


@pytest.fixture(scope="module")
def wendi(hotline: Hotline) -> AgentPasswords:
    return hotline.add_agent("wendi", 1)


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


def call_controls(browser: WebDriver) -> dict[str, object]:
    """Hold (a re-INVITE Asterisk accepts), resume, a key (RFC 4733), mute and unmute, as
    the console's buttons will press them; what the phone said after each."""
    script = """
const done = arguments[0];
const phone = window.deskPhone;
(async () => {
  const seen = {};
  await phone.setHeld(true);
  seen.held = phone.state;
  await phone.setHeld(false);
  seen.resumed = phone.state;
  seen.dtmf = phone.sendDtmf("5");
  phone.setMuted(true);
  seen.muted = phone.muted;
  phone.setMuted(false);
  return seen;
})().then(done, (error) => done({error: String(error)}));
"""
    result: dict[str, object] = browser.execute_async_script(script)
    return result


def test_browser_phone_answers_a_queue_call_and_audio_flows_both_ways(
    hotline: Hotline, wendi: AgentPasswords, tmp_path: Path
) -> None:
    # The caller keys 0, then speaks (a 400 Hz tone) from the test's own RTP socket, which
    # also counts what reaches the caller.
    voice = tmp_path / "caller-voice.pcap"
    seconds = answer_pcap.voice(voice, 400, 40, keys="0")
    with (
        agent_browser_phone(hotline, "wendi", wendi.web) as browser,
        browser_phone_in_queue(hotline, "wendi", 1),
        RtpEar(voice) as ear,
        ThreadPoolExecutor(1) as pool,
    ):
        assert contacts(hotline, "webrtc-wendi")
        caller = pool.submit(
            sipp.call_with_media_at,
            tmp_path,
            hotline.config.asterisk.sip_port,
            hotline.config.ivr.hotline,
            ear.port,
            seconds,
            CALLER,
        )
        wait_for(lambda: "incoming" in events(browser), 90, "the browser phone ringing")
        browser.execute_async_script(
            "const done = arguments[0]; window.deskPhone.answer().then(() => done(), done);"
        )
        wait_for(lambda: "connected" in events(browser), 30, "the call connected")
        counts = wait_for(
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
        browser_leg = wait_for(
            lambda: (n := rtp_counts(hotline, "webrtc-wendi"))[0] > 50 and n[1] > 50 and n,
            30,
            "Asterisk exchanging RTP with the browser",
        )
        caller_leg = rtp_counts(hotline, "anonymous")
        # The browser's voice (Chromium's fake microphone beeps) reaches the caller.
        before = ear.loud
        wait_for(lambda: ear.loud > before + 10, 30, "the agent's voice at the caller")
        offered = browser.execute_script(
            "return window.deskPhone._session.sessionDescriptionHandler"
            ".peerConnection.remoteDescription.sdp"
        )
        controls = call_controls(browser)
        # Up a tier: a blind REFER to 2; the phone's own leg ends once the caller moved.
        transferred = browser.execute_async_script(
            "const done = arguments[0];"
            "window.deskPhone.transfer('2').then(() => done(window.deskPhone.state),"
            " (error) => done(String(error)));"
        )
        wait_for(lambda: "ended" in events(browser), 30, "the browser's leg ended")
        tier2 = wait_for(
            lambda: rows(hotline, "SELECT * FROM queue_calls WHERE caller = ?", CALLER)[1:],
            60,
            "the caller in tier 2's queue",
        )
        caller.result(120)  # the caller hangs up (or tier 2 does, with nobody there)
    # DTLS with the local certificate `make setup` made (the SDP's fingerprint is its hash).
    assert f"a=fingerprint:sha-256 {cert_fingerprint(hotline)}" in offered
    assert controls == {"held": "held", "resumed": "talking", "dtmf": True, "muted": True}
    assert transferred == "registered"
    assert tier2[0]["queue"] == "hajj-tier2"
    assert counts["received"] > 50 and counts["sent"] > 50, counts
    assert browser_leg[0] > 50 and browser_leg[1] > 50, browser_leg
    assert caller_leg[0] > 50 and caller_leg[1] > 50, caller_leg
    assert ear.packets > 100, ear.packets
    stay = rows(hotline, "SELECT * FROM queue_calls WHERE caller = ?", CALLER)[0]
    assert (stay["queue"], stay["agent"], stay["outcome"]) == ("hajj-tier1", "wendi", "transferred")
