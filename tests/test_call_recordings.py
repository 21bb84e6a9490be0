"""Agent-call recordings over real calls: a SIPp caller presses 0 and speaks (a 1000 Hz
tone), a SIPp agent phone answers and speaks back (a 400 Hz tone); MixMonitor's mixed WAV
must hold both for as long as they were bridged, filed under the call in the call log.
Then in a real headless Chromium: the admin plays it, another agent is refused, and the
playback is logged. (The access rule's every branch: tests/test_recordings.py.)
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import stat
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.wait import WebDriverWait

from ivr import testcall
from ivr.files import run_account
from tests.rig import answer_pcap, sipp
from tests.rig.browser import browser_login
from tests.rig.hotline import AgentPasswords, Hotline
from tests.rig.sipp import AgentPhone
from tests.test_call_agents import hang_up_on, rows, state, wait_for

pytestmark = pytest.mark.asterisk

CALLER = "081277001122"
CALLER_HZ, AGENT_HZ = 1000, 400
AGENT_SPEAKS = 12.0  # seconds of the agent's tone, from a second after answering
CALLER_SPEAKS = 24.0  # the caller's tone runs from the key to the hang-up


@dataclass(frozen=True)
class Recorded:
    stay: sqlite3.Row
    recording: sqlite3.Row
    path: Path


@dataclass(frozen=True)
class People:
    admin: str  # web passwords
    gita: AgentPasswords  # answers the call (tier 1)
    joko: AgentPasswords  # another tier-1 agent: not his call
    hadi: AgentPasswords  # tier 2: takes the call gita transfers up


@pytest.fixture(scope="module")
def people(hotline: Hotline) -> Iterator[People]:
    made = People(
        hotline.add_admin("wulan"),
        hotline.add_agent("gita", 1),
        hotline.add_agent("joko", 1),
        hotline.add_agent("hadi", 2),
    )
    yield made
    for name in ("gita", "joko", "hadi"):  # leave the shared hotline's agents as they were
        hotline.cli("agents", "remove", name, check=False)
    hotline.cli("admins", "remove", "wulan", check=False)


@contextlib.contextmanager
def logged_in(hotline: Hotline, name: str, handle: sipp.AgentPhone) -> Iterator[None]:
    """``name``'s phone (``handle``) registered and in the queue for the block."""
    try:
        hotline.cli("agents", "login", name)
        wait_for(lambda: state(hotline, name) == "available", 20, f"{name} logged in")
        yield
    finally:
        hotline.cli("agents", "logout", name, check=False)
        handle.stop()


def speaking_agent(hotline: Hotline, workdir: Path, password: str) -> AgentPhone:
    """gita's phone: answers, and a second later speaks (AGENT_HZ) for AGENT_SPEAKS s."""
    pcap = workdir / "agent-voice.pcap"
    seconds = answer_pcap.voice(pcap, AGENT_HZ, AGENT_SPEAKS)
    port = hotline.config.asterisk.sip_port
    return AgentPhone.start(workdir, port, "agent-gita", password, voice=(pcap, seconds))


@pytest.fixture(scope="module")
def recorded(
    hotline: Hotline, people: People, tmp_path_factory: pytest.TempPathFactory
) -> Recorded:
    """One call: the caller keys 0 (an officer) and speaks until hanging up; gita answers."""
    workdir = tmp_path_factory.mktemp("recording")
    voice = workdir / "caller-voice.pcap"
    seconds = answer_pcap.voice(voice, CALLER_HZ, CALLER_SPEAKS, keys="0")
    port = hotline.config.asterisk.sip_port
    gita = speaking_agent(hotline, workdir, people.gita.sip)
    with logged_in(hotline, "gita", gita), ThreadPoolExecutor(1) as pool:
        caller = pool.submit(
            sipp.call_playing, workdir, port, hotline.config.ivr.hotline, voice, seconds, CALLER
        )
        result = caller.result(seconds + 150)
        assert result.ok, result.output
    stay = wait_for(
        lambda: rows(
            hotline,
            "SELECT * FROM queue_calls WHERE caller = ? AND talk IS NOT NULL",
            CALLER,
        ),
        30,
        "the stay's end",
    )[-1]
    recording = wait_for(
        lambda: rows(
            hotline,
            "SELECT * FROM recordings WHERE call_id = ? AND duration IS NOT NULL",
            stay["call_id"],
        ),
        30,
        "the recording's row",
    )[-1]
    path = hotline.config.call_recordings_dir / recording["file"]
    closed(path)
    return Recorded(stay, recording, path)


def closed(path: Path) -> None:
    """MixMonitor writes the WAV's header when its thread closes the file after the hangup."""
    wait_for(lambda: path.is_file() and length(path) > 0.5, 30, f"{path.name} closed")


def length(path: Path) -> float:
    done = subprocess.run(["soxi", "-D", str(path)], capture_output=True, text=True)
    return float(done.stdout.strip() or 0)


def band_rms(path: Path, low: int, high: int) -> float:
    """The RMS amplitude (0..1) of the recording through a band-pass filter low..high Hz."""
    argv = ["sox", str(path), "-n", "sinc", f"{low}-{high}", "stat"]
    done = subprocess.run(argv, capture_output=True, text=True, check=True)
    line = next(x for x in done.stderr.splitlines() if x.startswith("RMS     amplitude"))
    return float(line.split(":")[1])


def test_agent_call_recording_has_both_sides_for_the_bridged_time(
    hotline: Hotline, recorded: Recorded
) -> None:
    stay, rec, path = recorded.stay, recorded.recording, recorded.path
    assert stay["agent"] == "gita" and stay["outcome"] == "answered"
    # Linked to its call log row and the queue stay the agent answered.
    assert rows(hotline, "SELECT id FROM calls WHERE id = ?", stay["call_id"])
    assert (rec["agent"], rec["stay_id"], rec["queue"]) == ("gita", stay["id"], "hajj-tier1")
    assert rec["duration"] == stay["talk"]
    # From the agent's answer to the hang-up: as long as they were bridged (a second or two
    # either way: TalkTime is whole seconds, and the first frames reach the bridge late).
    assert abs(length(path) - stay["talk"]) <= 2.0, (length(path), stay["talk"])
    assert stay["talk"] > AGENT_SPEAKS
    # Mixed: the caller's 1000 Hz and the agent's 400 Hz are both in it; a band between
    # them, where neither speaks, stays near silence.
    caller, agent = band_rms(path, 950, 1050), band_rms(path, 350, 450)
    quiet = band_rms(path, 650, 750)
    assert caller > 0.02 and agent > 0.02, (caller, agent)
    assert quiet < min(caller, agent) / 5, (quiet, caller, agent)
    # Asterisk's file, its alone (written with the umask it was started with).
    info = path.stat()
    account = run_account(hotline.config)
    assert stat.S_IMODE(info.st_mode) == 0o600
    assert info.st_uid == (account.uid if account else os.geteuid())


def fetch(browser: WebDriver, path: str) -> list[Any]:
    """What the page's own fetch of ``path`` gets: [status, content type, bytes]."""
    script = """
const done = arguments[arguments.length - 1];
fetch(arguments[0], {credentials: "same-origin"})
  .then(async (r) => done(
    [r.status, r.headers.get("content-type"), (await r.arrayBuffer()).byteLength]))
  .catch((e) => done([0, String(e), 0]));
"""
    answer: list[Any] = browser.execute_async_script(script, path)
    return answer


def test_recording_plays_for_admin_refused_for_another_agent_and_play_is_logged(
    hotline: Hotline, people: People, recorded: Recorded, browser: WebDriver
) -> None:
    call_id, rec_id = recorded.stay["call_id"], recorded.recording["id"]
    source = f"/recordings/{rec_id}"
    browser_login(browser, hotline, "wulan", people.admin)
    browser.get(f"{hotline.web_url}/admin/calls/{call_id}")
    audio = browser.find_element(By.CSS_SELECTOR, f'audio[data-recording="{rec_id}"]')
    assert str(audio.get_attribute("src")).endswith(source)
    duration = WebDriverWait(browser, 20).until(
        lambda b: b.execute_script(
            "const a = arguments[0]; return a.readyState >= 1 && a.duration", audio
        )
    )
    assert abs(float(duration) - length(recorded.path)) < 1.0
    status, kind, size = fetch(browser, source)
    assert (status, kind) == (200, "audio/wav") and size == recorded.path.stat().st_size

    browser_login(browser, hotline, "joko", people.joko.web)
    browser.get(f"{hotline.web_url}/agent")
    status, _, _ = fetch(browser, source)
    assert status == 403
    browser.get(f"{hotline.web_url}/admin/calls/{call_id}")  # no call page for agents
    assert "recordings/" not in browser.page_source

    plays = rows(hotline, "SELECT who, role FROM recording_plays WHERE recording_id = ?", rec_id)
    assert {(p["who"], p["role"]) for p in plays} == {("wulan", "admin")}
    browser_login(browser, hotline, "wulan", people.admin)
    browser.get(f"{hotline.web_url}/admin/calls/{call_id}")
    log = browser.find_element(By.ID, "recording-plays").text
    assert "wulan" in log and "joko" not in log


def test_transfer_up_a_tier_records_the_next_agents_leg_under_the_same_call(
    hotline: Hotline, people: People, tmp_path: Path
) -> None:
    port = hotline.config.asterisk.sip_port
    spec = testcall.TestCall(
        hotline.config.ivr.hotline, "0", caller_id='"Uji" <0811000077>', timeout=90
    )
    # gita passes the caller up (#1, then 2); the caller hangs up a while after hadi answers.
    gita = AgentPhone.start(tmp_path, port, "agent-gita", people.gita.sip, keys="#12")
    hadi = AgentPhone.start(tmp_path, port, "agent-hadi", people.hadi.sip)
    with logged_in(hotline, "gita", gita), logged_in(hotline, "hadi", hadi):
        result = hang_up_on(
            hotline, spec, "AgentConnect", lambda e: e["MemberName"] == "hadi", after=3
        )
        # Both legs ended (AgentComplete, or the leg's own hang-up event) before the agents
        # log out and their phones stop.
        wait_for(
            lambda: rows(
                hotline,
                "SELECT id FROM recordings WHERE call_id = ? AND duration IS NOT NULL",
                result.call_id,
            )[1:],
            30,
            "both legs' recordings ended",
        )
    first, second = rows(
        hotline, "SELECT * FROM recordings WHERE call_id = ? ORDER BY id", result.call_id
    )
    tier1, tier2 = rows(
        hotline, "SELECT * FROM queue_calls WHERE call_id = ? ORDER BY id", result.call_id
    )
    assert (first["agent"], first["stay_id"]) == ("gita", tier1["id"])
    assert (second["agent"], second["stay_id"], second["queue"]) == (
        "hadi",
        tier2["id"],
        "hajj-tier2",
    )
    for leg in (first, second):
        closed(hotline.config.call_recordings_dir / leg["file"])
