"""Limits across calls, over real calls, one per wiring path: counts other calls left in
calls.sqlite lock a porsi, and the controller refuses even the right date keyed on a real
phone (the wallboard shows the lock); a number at its hourly lookups is refused. Dates
guessed by calls at once stop exactly at the limit, and every other branch, in the fast
tier: tests/test_flow_guard.py, the same checks (tests/scenarios/guard.py). The counting
itself: test_guard."""

from __future__ import annotations

import httpx
import pytest

from ivr.testcall import CallResult
from tests.rig import web
from tests.rig.hotline import Hotline
from tests.scenarios import guard as checks
from tests.scenarios.guard import TARGET

pytestmark = pytest.mark.asterisk


@pytest.fixture(scope="module")
def calls(hotline: Hotline) -> dict[str, CallResult]:
    return hotline.calls(checks.at_once(hotline))


def test_guard_locked_porsi_refuses_even_the_right_date_and_goes_to_an_agent(
    hotline: Hotline, calls: dict[str, CallResult]
) -> None:
    checks.check_locked_porsi_refuses_the_right_date(hotline, calls["owner"])


def test_guard_wallboard_shows_the_locked_porsi_masked(
    hotline: Hotline, calls: dict[str, CallResult]
) -> None:
    password = hotline.add_admin("satpam")
    with httpx.Client(base_url=hotline.web_url, timeout=10) as client:
        web.login(client, "satpam", password)
        board = client.get("/admin/api/wallboard").json()
    masked = TARGET.nomor_porsi[:2] + "******" + TARGET.nomor_porsi[-2:]
    [alert] = [a for a in board["alerts"] if a["what"] == "porsi"]
    assert alert["subject"] == masked and TARGET.nomor_porsi not in str(board)
    assert alert["count"] == hotline.config.ivr.dob_lock_failures and alert["at"] > 0


def test_guard_number_over_its_hourly_lookups_is_refused(
    hotline: Hotline, calls: dict[str, CallResult]
) -> None:
    checks.check_number_over_its_lookups_is_refused(hotline, calls["over"])
