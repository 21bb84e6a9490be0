"""Offices and refunds over real calls (issue 13): the office of a pilgrim's district and a
cancelled porsi's refund stage through the private Asterisk on Local channels, and the
office once more from a SIP phone keying over RFC 4733. Every branch, with the same checks,
runs in the fast tier (tests/test_flow_services.py)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx
import pytest

from ivr.calllog import CallLogReader
from ivr.testcall import CallResult
from tests.rig import sipp, web
from tests.rig.hotline import Hotline, Scenario
from tests.scenarios import services as checks
from tests.scenarios.pilgrim import SOC, found

pytestmark = pytest.mark.asterisk

SIP_CALLER = "081355500425"
SIP: list[sipp.SippResult] = []


@pytest.fixture(scope="module")
def calls(hotline: Hotline, tmp_path_factory: pytest.TempPathFactory) -> dict[str, CallResult]:
    """The Local-channel scenarios and the SIP phone's call, side by side."""
    workdir = Path(tmp_path_factory.mktemp("sipp-services"))
    port = hotline.config.asterisk.sip_port
    keys = found(SOC.nomor_porsi) + "W" * 16 + "6"  # hang up once the office was said
    phone = threading.Thread(
        target=lambda: SIP.append(
            sipp.call(workdir, port, "500425", keys, caller=SIP_CALLER, hangup_after_ms=40000)
        )
    )
    phone.start()
    results = hotline.calls(checks.real_scenarios())
    phone.join(300)
    return results


def test_services_office_of_the_pilgrims_district_is_spoken(
    hotline: Hotline, calls: dict[str, CallResult]
) -> None:
    checks.check_office_info(hotline, calls)


def test_services_cancelled_porsi_hears_its_refund_stage(
    hotline: Hotline, calls: dict[str, CallResult]
) -> None:
    checks.check_refund_stage(hotline, calls)


def test_services_sip_phone_hears_the_office_of_the_pilgrims_district(
    hotline: Hotline, calls: dict[str, CallResult]
) -> None:
    assert SIP and SIP[0].ok, SIP[0].output if SIP else "the SIP phone's call did not finish"
    reader = CallLogReader(hotline.config.calllog_path)
    rows = [c for c in reader.recent(100) if c.caller == SIP_CALLER]
    assert rows
    checks.check_office_info(hotline, {"sip": CallResult(rows[0].id, True)}, "sip")


def test_services_how_to_cancel_edited_on_the_dashboard_is_heard_on_the_next_call(
    hotline: Hotline, calls: dict[str, CallResult]
) -> None:
    """Like the announcements: saved on /admin/actions, built, heard (menu 2, key 3)."""
    text = "Pembatalan porsi kini dapat diajukan di PLHUT setiap hari kerja."
    password = hotline.add_admin("sinta")
    with httpx.Client(base_url=hotline.web_url, timeout=120) as client:
        web.login(client, "sinta", password)
        token = web.csrf(client.get("/admin/actions").text)
        answer = client.post(
            "/admin/actions/procedures/pembatalan", data={"csrf": token, "entry": [text, ""]}
        )
        assert 'class="result ok"' in answer.text, answer.text
    time.sleep(1.5)  # the controller looks at the catalog's files at most once a second
    cancel = Scenario("23", lambda lines: text in lines, timeout=60)
    result = hotline.calls({"cancel": cancel})["cancel"]
    lines = hotline.spoken(result.call_id)
    assert text in lines and not any(line.startswith("Pembatalan porsi diajukan") for line in lines)
