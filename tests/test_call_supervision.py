"""Supervision over real calls: a caller talks to an agent (SIPp phone speaking a tone); a
supervisor presses Listen, Whisper and Barge on the wallboard; each leg rings the
supervisor's SIPp phone, whose media port is a socket here, so the test hears what the
supervisor hears. An agent's phone dialling the spy extensions is refused.

The branches (who may ask, the audit, the AMI fields) are in tests/test_supervision.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.wait import WebDriverWait

from ivr import testcall
from ivr.admin.audit import Audit
from ivr.ami.users import AmiUser, session
from ivr.testcall import place
from tests.rig import answer_pcap, sipp, web
from tests.rig.browser import browser_login
from tests.rig.hotline import AgentPasswords, Hotline
from tests.rig.procs import stop_process
from tests.rig.rtpear import ulaw_level
from tests.test_call_agents import state, wait_for

pytestmark = pytest.mark.asterisk

CALLER = "0811000077"
SPY_OPTIONS = {"listen": "qbES", "whisper": "qbESw", "barge": "qbESB"}


@pytest.fixture(scope="module")
def people(hotline: Hotline) -> dict[str, Any]:
    """Agent 'fajar' (tier 1) and supervisor 'indah': their printed passwords."""
    printed = hotline.cli("supervisors", "add", "indah").stdout
    found = printed.split("SIP phone: user supervisor-indah")[1].split()
    assert found[0] == "password", printed
    return {
        "fajar": hotline.add_agent("fajar", 1),
        "indah": AgentPasswords(sip=found[1], web=web.printed_password(printed)),
    }


def spawn(workdir: Path, argv: list[str], name: str) -> subprocess.Popen[str]:
    with (workdir / f"{name}.out").open("w") as out:
        return subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, text=True)


@contextlib.contextmanager
def softphone(
    hotline: Hotline, workdir: Path, user: str, password: str, calls_scenario: str
) -> Iterator[None]:
    """A SIPp phone registered as ``user`` that runs ``calls_scenario`` on each INVITE."""
    reg, ooc = workdir / f"reg-{user}.xml", workdir / f"ooc-{user}.xml"
    reg.write_text(sipp.register_scenario(user, password, hold_ms=3_600_000))
    ooc.write_text(calls_scenario)
    argv = sipp.sipp_argv(
        reg,
        hotline.config.asterisk.sip_port,
        "-oocsf",
        str(ooc),
        "-error_file",
        str(workdir / f"{user}.log"),
    )
    process = spawn(workdir, argv, user)
    try:
        yield
    finally:
        stop_process(process)


@contextlib.contextmanager
def agent_speaking(hotline: Hotline, workdir: Path, password: str) -> Iterator[None]:
    """fajar's phone: answers and speaks (a 400 Hz tone for 40 s); logged in meanwhile."""
    voice = workdir / "fajar-voice.pcap"
    seconds = answer_pcap.write(voice, "", greeting_ms=40_000, silence_ms=0)
    scenario = sipp.agent_calls_scenario(True, voice, seconds)
    with softphone(hotline, workdir, "agent-fajar", password, scenario):
        try:
            hotline.cli("agents", "login", "fajar")
            wait_for(lambda: state(hotline, "fajar") == "available", 30, "fajar available")
            yield
        finally:
            hotline.cli("agents", "logout", "fajar", check=False)


def heard(ear: socket.socket, timeout: float) -> tuple[int, int]:
    """(RTP packets, packets with a signal louder than -30 dBFS) reaching the ear."""
    packets = loud = 0
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and loud < 50:
        try:
            data = ear.recv(2048)
        except TimeoutError:
            continue
        if len(data) > 12 and data[1] & 0x7F == 0:  # PCMU
            packets += 1
            loud += ulaw_level(data[12:]) > 1000
    return packets, loud


def spy_channels(hotline: Hotline) -> list[str]:
    """`core show channels concise`: each ChanSpy's data (target, options)."""
    lines = hotline.asterisk.cli("core show channels concise").splitlines()
    return [line.split("!")[6] for line in lines if line.count("!") > 6 and "!ChanSpy!" in line]


def test_supervisor_listens_whispers_and_barges_on_an_agents_call(
    hotline: Hotline, people: dict[str, Any], tmp_path: Path, browser: WebDriver
) -> None:
    ear = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    ear.bind(("127.0.0.1", 0))
    ear.settimeout(0.5)
    # The supervisor's phone answers with the ear's port as its media address.
    answering = sipp.agent_calls_scenario(True).replace("[media_port]", str(ear.getsockname()[1]))
    with (
        ear,
        agent_speaking(hotline, tmp_path, people["fajar"].sip),
        softphone(hotline, tmp_path, "supervisor-indah", people["indah"].sip, answering),
        httpx.Client(base_url=hotline.web_url, timeout=30) as client,
    ):
        web.login(client, "indah", people["indah"].web)
        token = web.csrf(client.get("/admin").text)
        browser_login(browser, hotline, "indah", people["indah"].web)
        legs: dict[str, Any] = {}

        def supervise() -> None:
            # fajar's call (the shared hotline may list other modules' agents as well)
            board = wait_for(
                lambda: [
                    c
                    for c in client.get("/admin/api/wallboard").json()["agent_calls"]
                    if c["agent"] == "fajar"
                ],
                60,
                "the call",
            )
            assert [(c["agent"], c["tier"]) for c in board] == [("fajar", 1)]
            assert board[0]["caller"] == "08******77"
            for mode in SPY_OPTIONS:
                if mode == "barge":  # pressed on the wallboard in Chromium
                    legs["row"] = press(browser, hotline, "fajar", mode)
                else:
                    answer = client.post(
                        "/admin/api/supervise", data={"csrf": token, "agent": "fajar", "mode": mode}
                    )
                    assert answer.status_code == 200, answer.text
                    assert answer.json()["mode"] == mode
                if mode == "listen":  # the supervisor hears the agent's voice
                    legs["heard"] = heard(ear, 30)
                wanted = f",{SPY_OPTIONS[mode]}"
                legs[f"{mode}-app"] = wait_for(
                    lambda w=wanted: [s for s in spy_channels(hotline) if s.endswith(w)],  # type: ignore[misc]
                    30,
                    f"the {mode} leg's ChanSpy",
                )

        call = asyncio.run(caller_while(hotline, supervise))
    packets, loud = legs["heard"]
    assert loud >= 50, (packets, loud)
    for mode, options in SPY_OPTIONS.items():
        (data,) = legs[f"{mode}-app"]
        target = data.removesuffix(f",{options}")
        assert (
            target.startswith("PJSIP/agent-fajar-") and len(target) == len("PJSIP/agent-fajar-") + 8
        )
    assert "fajar" in legs["row"] and "08******77" in legs["row"] and CALLER not in legs["row"]
    rows = [r for r in Audit.for_config(hotline.config).supervisions() if r.agent == "fajar"]
    assert sorted((r.who, r.mode, r.ok, r.call_id) for r in rows) == sorted(
        ("indah", mode, True, call) for mode in SPY_OPTIONS
    )
    # The agent's channel ended: every leg with it (ChanSpy's E).
    wait_for(lambda: spy_channels(hotline) == [], 30, "the legs to end")


def press(browser: WebDriver, hotline: Hotline, agent: str, mode: str) -> str:
    """On the wallboard, press ``mode`` beside ``agent``'s call (the list is redrawn every
    2 s: a button found may be replaced before the click); the row's text."""
    browser.get(f"{hotline.web_url}/admin")
    button = f"#agent-calls button.supervise-{mode}[data-agent='{agent}']"

    def pressed(b: WebDriver) -> str | bool:
        try:
            row = b.find_element(By.CSS_SELECTOR, button).find_element(By.XPATH, "./../..")
            text = row.text
            b.find_element(By.CSS_SELECTOR, button).click()
        except (NoSuchElementException, StaleElementReferenceException):
            return False
        return text

    row = WebDriverWait(browser, 30).until(pressed)
    result = WebDriverWait(browser, 30).until(
        lambda b: b.find_element(By.ID, "supervise-result").text
    )
    assert result == f"{mode} {agent}: telepon Anda berdering", result
    return str(row)


async def caller_while(hotline: Hotline, work: Callable[[], None]) -> str:
    """A caller asks for an agent (0) and stays on while ``work`` runs; its call id."""
    spec = testcall.TestCall(
        hotline.config.ivr.hotline, "0", caller_id=f'"Uji" <{CALLER}>', timeout=240
    )
    stop, ids = asyncio.Event(), list[str]()
    async with session(hotline.config, AmiUser.CALLS) as ami:
        placed = asyncio.create_task(place(ami, spec, stop, ids.append))
        try:
            await asyncio.to_thread(work)
        finally:
            stop.set()
            await placed
    return ids[0]


AUTH_INVITE_ACK = """ACK sip:{code}@[remote_ip]:[remote_port] SIP/2.0
[last_Via:]
[last_From:]
[last_To:]
Call-ID: [call_id]
CSeq: 2 ACK
Max-Forwards: 70
Content-Length: 0
"""


def send(text: str, retrans: bool = False) -> str:
    attr = ' retrans="500"' if retrans else ""
    return f"<send{attr}><![CDATA[\n{text}\n]]></send>"


def dial_refused(hotline: Hotline, workdir: Path, user: str, password: str, code: str) -> Any:
    """Dial ``code`` from the phone ``user`` (digest auth); ok when Asterisk says 404."""
    auth = f"[authentication username={user} password={password}]\n"
    fmt = {"code": code, "user": user}
    xml = workdir / f"refused-{user}-{code}.xml"
    steps = [
        send(sipp.AUTH_INVITE.format(cseq=1, auth="", **fmt), retrans=True),
        '<recv response="100" optional="true"/>',
        '<recv response="401" auth="true"/>',
        send(sipp.ACK_CHALLENGE.format(**fmt)),
        send(sipp.AUTH_INVITE.format(cseq=2, auth=auth, **fmt), retrans=True),
        '<recv response="100" optional="true"/>',
        '<recv response="404"/>',
        send(AUTH_INVITE_ACK.format(**fmt)),
    ]
    head = '<?xml version="1.0" encoding="ISO-8859-1"?>\n<scenario name="refused">\n'
    xml.write_text(head + "\n".join(steps) + "\n</scenario>\n")
    argv = [*sipp.sipp_argv(xml, hotline.config.asterisk.sip_port), "-timeout", "30s"]
    return subprocess.run(argv, capture_output=True, text=True, cwd=workdir, timeout=60)


@pytest.mark.parametrize("code", ["listen", "whisper", "barge"])
def test_agent_phone_dialling_a_spy_extension_is_refused(
    hotline: Hotline, people: dict[str, Any], tmp_path: Path, code: str
) -> None:
    done = dial_refused(hotline, tmp_path, "agent-fajar", people["fajar"].sip, code)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert spy_channels(hotline) == []
