"""Umrah over real calls (Local channels through the private Asterisk): a licensed, a
revoked and an unknown agency licence, placed at once, and the fraud report's counts.
Every branch, with the same checks, runs in the fast tier (tests/test_flow_umrah.py)."""

from __future__ import annotations

from itertools import zip_longest

import pytest

from ivr.testcall import CallResult
from tests.rig.fast import FastHotline
from tests.rig.hotline import Hotline
from tests.scenarios import umrah as checks
from tests.scenarios.tier import heard
from tests.scenarios.umrah import real_scenarios, scenarios
from tests.test_call_pilgrim import stop_point

pytestmark = pytest.mark.asterisk


@pytest.fixture(scope="module")
def calls(hotline: Hotline) -> dict[str, CallResult]:
    return hotline.calls(real_scenarios())


def test_umrah_licensed_agency_heard_with_spelled_name_city_and_end_date(
    hotline: Hotline, calls: dict[str, CallResult]
) -> None:
    checks.check_licensed(hotline, calls)


def test_umrah_revoked_licence_said_revoked_do_not_pay(
    hotline: Hotline, calls: dict[str, CallResult]
) -> None:
    checks.check_revoked(hotline, calls)


def test_umrah_unknown_number_said_clearly_with_advice(
    hotline: Hotline, calls: dict[str, CallResult]
) -> None:
    checks.check_unknown(hotline, calls)


def test_umrah_unknown_and_revoked_numbers_are_counted_for_the_report(
    hotline: Hotline, calls: dict[str, CallResult]
) -> None:
    checks.check_fraud_report(hotline, calls)


def test_fast_tier_umrah_transcript_equals_the_real_one(
    hotline: Hotline, calls: dict[str, CallResult], fast: FastHotline
) -> None:
    """The spelled name, the read-back and the verdict last on the line what the fast
    tier models (same lines, prompts and cuts), up to where the scenario stops."""
    table = scenarios()
    simulated = fast.calls({"licensed": table["licensed"]})["licensed"]
    real, fast_lines = heard(hotline, calls["licensed"].call_id), heard(fast, simulated.call_id)
    cut = stop_point(fast_lines, table["licensed"].until)
    for number, (r, f) in enumerate(zip_longest(real[:cut], fast_lines[:cut])):
        assert r == f, f"line {number}: real {r} != fast {f}"
