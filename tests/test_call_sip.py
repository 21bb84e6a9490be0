"""A real SIP phone (SIPp) calls the hotline and keys digits over RFC 4733."""

from __future__ import annotations

import random
import re
import threading
import time
from pathlib import Path

import pytest

from ivr.calllog import CallLogReader
from tests.rig import sip_requests, sipp, udp
from tests.rig.hotline import Hotline

pytestmark = pytest.mark.asterisk


def test_sip_call_keys_digits_over_rfc4733_hears_them_read_back(
    hotline: Hotline, tmp_path: Path
) -> None:
    caller = f"08{random.randrange(10**9, 10**10)}"
    started = time.time()

    done = sipp.call(tmp_path, hotline.config.asterisk.sip_port, "*500", "2113", caller=caller)

    assert done.ok, done.output
    calls = [c for c in CallLogReader(hotline.config.calllog_path).recent(20) if c.caller == caller]
    assert len(calls) == 1 and calls[0].started_at >= started
    spoken = hotline.spoken(calls[0].id)
    assert "Nomor yang Anda tekan adalah dua satu satu tiga" in spoken
    assert calls[0].outcome == "served"


def test_sip_asterisk_and_controller_may_open_files_for_max_calls(hotline: Hotline) -> None:
    """Asterisk sets the open-file limit asterisk.conf gives it (sized from max_calls:
    RTP, RTCP, FastAGI, a sound file each); the controller has one per AGI session."""
    conf = (hotline.asterisk.layout.etc / "asterisk.conf").read_text()
    found = re.search(r"^maxfiles = (\d+)$", conf, re.M)
    assert found, "asterisk.conf sets no maxfiles"
    pid, controller = hotline.asterisk.pid(), hotline.controller
    assert pid is not None and controller is not None
    assert open_files(pid) == int(found[1]) >= 6 * hotline.config.asterisk.max_calls
    assert open_files(controller.pid) > hotline.config.agi.max_sessions


def open_files(pid: int) -> int:
    """The soft limit on open files of process ``pid``."""
    line = next(
        x for x in Path(f"/proc/{pid}/limits").read_text().splitlines() if "open files" in x
    )
    return int(line.split()[3])


# --- what a caller's phone may not do (issue 11.9) ---------------------------------------


def test_sip_caller_refer_is_refused_rtp_stays_on_the_sip_address_call_goes_on(
    hotline: Hotline, tmp_path: Path
) -> None:
    """In-dialog REFER from the anonymous caller: 603 (it was 202, and the IVR's side of
    the call was transferred); the RTP Asterisk opened meanwhile listens on 127.0.0.1,
    the SIP address, not on every interface; the keys still reach the IVR."""
    ast = hotline.config.asterisk
    done: list[sipp.SippResult] = []
    caller = threading.Thread(
        target=lambda: done.append(
            sip_requests.refer_in_call(
                tmp_path, ast.sip_port, "*500", hotline.config.ivr.hotline, "42", refused=603
            )
        )
    )
    caller.start()
    rtp = rtp_bindings(hotline, caller)
    caller.join(120)

    assert rtp and {address for address, _ in rtp} == {"127.0.0.1"}, rtp
    assert done and done[0].ok, done[0].output if done else "no result"
    calls = CallLogReader(hotline.config.calllog_path).recent(5)
    call = next(c for c in calls if c.caller == "081200000011")
    assert "Nomor yang Anda tekan adalah empat dua" in hotline.spoken(call.id)


def test_sip_caller_subscribe_is_refused_by_policy(hotline: Hotline, tmp_path: Path) -> None:
    """603 Decline: the endpoint may not subscribe at all (before: 489, only because no
    module for the package happened to be loaded)."""
    port = hotline.config.asterisk.sip_port
    for event in ("presence", "dialog", "message-summary"):
        done = sip_requests.subscribe(tmp_path, port, "500425", event, refused=603)
        assert done.ok, (event, done.output)


def rtp_bindings(hotline: Hotline, caller: threading.Thread) -> list[tuple[str, int]]:
    """Asterisk's UDP sockets in the RTP range, once the call has opened some."""
    pid = hotline.asterisk.pid()
    assert pid is not None
    ast = hotline.config.asterisk
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and caller.is_alive():
        found = [(a, p) for a, p in udp.bound(pid) if ast.rtp_start <= p <= ast.rtp_end]
        if found:
            return found
        time.sleep(0.05)
    return []
