"""The carrier trunk over real SIP, SIPp playing the carrier at CARRIER (127.0.0.3, the
rig's trunk.addresses): each number form the carrier sends reaches the IVR and the caller
ID stored is the carrier's P-Asserted-Identity; a callback leaves through the trunk with
the hotline's caller ID; a call from anywhere else is not the carrier's (its PAI is not
believed) and, with trunk.anonymous = false, is refused. Rendering and validation: the
fast tier, tests/test_trunk.py.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import re
import time
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from ivr import secrets
from ivr.ami.users import AmiUser, session
from ivr.asterisk import trunk
from ivr.calllog import CallLogReader, CallRow
from tests.rig import carrier, sipp
from tests.rig.hotline import CARRIER, Hotline
from tests.rig.procs import stop_process

pytestmark = pytest.mark.asterisk

GREETING = "Selamat datang di layanan informasi haji, Kementerian Agama."


def _calls_from(hotline: Hotline, callers: set[str], since: float) -> dict[str, CallRow]:
    recent = CallLogReader(hotline.config.calllog_path).recent(50)
    return {c.caller: c for c in recent if c.caller in callers and c.started_at >= since}


def _trust_marks(hotline: Hotline, prefix: str, count: int) -> dict[str, str]:
    """HAJJ_CALLER_TRUST of the live channels named ``prefix``..., read from Asterisk's CLI
    while they last, until ``count`` of them were seen ("" for a channel without one)."""
    marks: dict[str, str] = {}
    deadline = time.monotonic() + 30
    while len(marks) < count and time.monotonic() < deadline:
        concise = hotline.cli("asterisk", "cli", "core show channels concise").stdout
        for name in re.findall(rf"^({re.escape(prefix)}[^!]+)!", concise, re.M):
            if name not in marks:
                shown = hotline.cli("asterisk", "cli", f"core show channel {name}").stdout
                found = re.search(r"HAJJ_CALLER_TRUST=(\w*)", shown)
                marks[name] = found[1] if found else ""
        time.sleep(0.3)
    return marks


def test_trunk_each_number_form_from_the_carrier_reaches_the_ivr_caller_id_from_pai(
    hotline: Hotline, tmp_path: Path
) -> None:
    forms = hotline.config.trunk.number_list(hotline.config.ivr.hotline)
    assert forms == ["500425", "+62500425", "62500425", "0500425"]
    port, started = hotline.config.asterisk.sip_port, time.time()
    # From says one number, the carrier asserts another: the asserted one is the caller.
    # One more call sends no PAI: its From is the caller, and nobody vouches for it.
    calls = [(form, f"08123450000{i}") for i, form in enumerate(forms)] + [("500425", "")]

    def dial(call: tuple[str, str]) -> sipp.SippResult:
        number, pai = call
        caller = "0899000001" if pai else "0899000004"
        return carrier.call(tmp_path, port, number, CARRIER, caller, pai, hangup_after_ms=10000)

    with ThreadPoolExecutor(len(calls)) as pool:
        running = pool.map(dial, calls)
        marks = _trust_marks(hotline, "PJSIP/hajj-trunk-", len(calls))
        results = list(running)

    assert all(r.ok for r in results), [r.output for r in results if not r.ok]
    assert sorted(marks.values()) == ["carrier"] * len(forms) + ["none"], marks
    asserted = {pai for _, pai in calls if pai}
    found = _calls_from(hotline, asserted | {"0899000001", "0899000004"}, started)
    assert sorted(found) == sorted([*asserted, "0899000004"])  # never the From beside a PAI
    for row in found.values():
        assert row.route == "hotline"
        assert hotline.spoken(row.id)[0].startswith(GREETING)


def test_trunk_call_from_another_address_is_anyones_its_pai_not_believed(
    hotline: Hotline, tmp_path: Path
) -> None:
    """127.0.0.1 is not the carrier: the anonymous endpoint takes the call (it is on in the
    rig, as in `make run`), and the caller ID is its From, not the PAI it claims."""
    started = time.time()
    with ThreadPoolExecutor(1) as pool:
        running = pool.submit(
            carrier.call,
            tmp_path,
            hotline.config.asterisk.sip_port,
            "500425",
            "127.0.0.1",
            "0899000002",
            pai="081234500009",
            hangup_after_ms=5000,
        )
        marks = _trust_marks(hotline, "PJSIP/anonymous-", 1)
        done = running.result(60)
    assert done.ok, done.output
    assert list(marks.values()) == ["none"]  # beside a trunk, a From vouches for nothing
    found = _calls_from(hotline, {"0899000002", "081234500009"}, started)
    assert list(found) == ["0899000002"]
    # The carrier's own numbers only from the carrier: +62500425 is no number of anyone's.
    refused = carrier.refused(
        tmp_path, hotline.config.asterisk.sip_port, "+62500425", "127.0.0.1", 404
    )
    assert refused.ok, refused.output


@pytest.fixture
def anonymous_off(hotline: Hotline) -> Iterator[None]:
    """The rig's pjsip.conf as trunk.anonymous = false renders it, for one test; then back."""
    pjsip = hotline.asterisk.layout.etc / "pjsip.conf"
    original = pjsip.read_text()
    config = hotline.config
    off = dataclasses.replace(config, trunk=dataclasses.replace(config.trunk, anonymous=False))
    on_block = trunk.dialplan_values(config)["anonymous_endpoint"]
    off_block = trunk.dialplan_values(off)["anonymous_endpoint"]
    assert on_block in original
    pjsip.write_text(original.replace(on_block, off_block))
    try:
        hotline.cli("asterisk", "cli", "module reload res_pjsip.so")
        _wait_for_endpoint(hotline, present=False)
        yield
    finally:
        pjsip.write_text(original)
        hotline.cli("asterisk", "cli", "module reload res_pjsip.so")
        _wait_for_endpoint(hotline, present=True)


def _wait_for_endpoint(hotline: Hotline, present: bool) -> None:
    deadline = time.monotonic() + 20
    while True:
        listed = hotline.cli("asterisk", "cli", "pjsip show endpoints").stdout
        if (" anonymous " in listed) == present:
            return
        assert time.monotonic() < deadline, f"anonymous endpoint present={present}: {listed}"
        time.sleep(0.3)


def test_trunk_anonymous_off_a_call_from_elsewhere_is_refused_the_carrier_still_reaches(
    hotline: Hotline, tmp_path: Path, anonymous_off: None
) -> None:
    port, started = hotline.config.asterisk.sip_port, time.time()
    refused = carrier.refused(tmp_path, port, "500425", "127.0.0.1", 401)
    assert refused.ok, refused.output
    done = carrier.call(tmp_path, port, "0500425", CARRIER, "0899000003", hangup_after_ms=2000)
    assert done.ok, done.output
    found = _calls_from(hotline, {"0811000077", "0899000003"}, started)
    assert list(found) == ["0899000003"]  # the refused call never reached the IVR


async def _originate_out(
    hotline: Hotline, number: str, context: str = "hajj-callback-out"
) -> list[str]:
    """What a callback's pilgrim leg dials (Local/NUMBER@hajj-callback-out), until it
    ends; the names of its events (UserEvents by their own name)."""
    prefix = f"Local/{number}@{context}-"
    seen: list[str] = []
    async with session(hotline.config, AmiUser.CALLS) as ami:

        def mine(event: Mapping[str, str]) -> bool:
            return event.get("Channel", "").startswith(prefix)

        ami.on_event(
            "*", lambda e: seen.append(e.get("UserEvent", e["Event"])) if mine(e) else None
        )
        ended = ami.wait_event("Hangup", lambda e: mine(e) and e["Channel"].endswith(";2"), 30)
        await ami.originate(
            Channel=f"Local/{number}@{context}",
            Application="Wait",
            Data="1",
            CallerID='"Callback" <0811000099>',  # not what the carrier may see
            Timeout="10000",
        )
        await ended
    return seen


def test_trunk_callback_leaves_through_the_trunk_with_the_hotlines_caller_id(
    hotline: Hotline, tmp_path: Path
) -> None:
    process, messages = carrier.answering(tmp_path, hotline.carrier_port, CARRIER)
    try:
        time.sleep(0.5)  # SIPp's socket is bound before the INVITE comes
        # The trunk's own context checks the number too (it may be named in a Dial string).
        foreign = asyncio.run(_originate_out(hotline, "0099887766", "hajj-trunk-out"))
        national = asyncio.run(_originate_out(hotline, "081234567005"))
        assert process.wait(30) == 0, tmp_path / f"carrier-uas-{hotline.carrier_port}.out"
    finally:
        stop_process(process)
    assert "HajjCallbackRefused" in foreign and "DialBegin" not in foreign, foreign
    assert "DialBegin" in national and "HajjCallbackRefused" not in national, national
    seen = messages.read_text().replace("\r\n", "\n")
    invite = seen[seen.index("INVITE sip:") :].split("\n\n", 1)[0]
    assert invite.startswith(f"INVITE sip:081234567005@{hotline.config.trunk.host} SIP/2.0")
    headers = {
        line.split(":", 1)[0].lower(): line.split(":", 1)[1].strip()
        for line in invite.splitlines()[1:]
        if ":" in line
    }
    assert "<sip:500425@" in headers["from"], headers
    assert "<sip:500425@" in headers["p-asserted-identity"], headers
    assert "0811000099" not in invite


def _md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()  # SIP digest auth is MD5


def test_trunk_registers_with_the_carrier_answering_its_challenge_with_the_secret(
    hotline: Hotline, tmp_path: Path
) -> None:
    """trunk.register with trunk.username, trunk_password in the secrets file: the rig's
    pjsip_trunk.conf rendered so for this test (then back), res_pjsip reloaded."""
    config = hotline.config
    on = dataclasses.replace(
        config, trunk=dataclasses.replace(config.trunk, register=True, username="kemenag")
    )
    password = "c4rr13r-pw"
    keys = dataclasses.replace(secrets.load_or_create(config.secrets_path), trunk_password=password)
    conf = hotline.asterisk.layout.etc / trunk.FILENAME
    original = conf.read_text()
    process, messages = carrier.registrar(tmp_path, hotline.carrier_port, CARRIER)
    try:
        time.sleep(0.5)  # SIPp's socket is bound before the REGISTER comes
        conf.write_text(trunk.pjsip_text(on, keys))
        try:
            hotline.cli("asterisk", "cli", "module reload res_pjsip.so")
            _wait_for(hotline, "pjsip show registrations", "Registered")
        finally:
            conf.write_text(original)
            hotline.cli("asterisk", "cli", "module reload res_pjsip.so")
        status = process.wait(30)
    finally:
        stop_process(process)
    assert status == 0, (tmp_path / f"carrier-registrar-{hotline.carrier_port}.out").read_text()
    seen = messages.read_text().replace("\r\n", "\n")
    second = seen.split("REGISTER sip:")[2].split("\n\n", 1)[0]
    auth = dict(re.findall(r'(\w+)="?([^",]+)"?', second.split("Authorization: Digest", 1)[1]))
    assert (auth["username"], auth["realm"], auth["nonce"]) == (
        "kemenag",
        carrier.REALM,
        carrier.NONCE,
    )
    ha1 = _md5(f"kemenag:{carrier.REALM}:{password}")
    ha2 = _md5(f"REGISTER:{auth['uri']}")
    assert auth["response"] == _md5(f"{ha1}:{carrier.NONCE}:{ha2}")
    assert password not in seen


def _wait_for(hotline: Hotline, command: str, text: str) -> None:
    deadline = time.monotonic() + 20
    while text not in (shown := hotline.cli("asterisk", "cli", command).stdout):
        assert time.monotonic() < deadline, f"{command}: no {text!r} in {shown}"
        time.sleep(0.3)
