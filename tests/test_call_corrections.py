"""Data corrections over real calls (Local channels): a case filed from information menu 7
and routed to the district office, and one about a kloter, after the date of birth, with
a message RECORD FILE wrote and a confirmed callback number, routed to the embarkation.
Every other branch runs in the fast tier: tests/test_flow_corrections.py, the same checks
(tests/scenarios/corrections.py)."""

from __future__ import annotations

import pytest

from ivr.testcall import CallResult
from tests.rig.hotline import Hotline
from tests.scenarios import corrections as checks

pytestmark = pytest.mark.asterisk


@pytest.fixture(scope="module")
def calls(hotline: Hotline) -> dict[str, CallResult]:
    return hotline.calls(checks.real_scenarios())


def test_correction_estimate_is_filed_for_the_district_office(
    hotline: Hotline, calls: dict[str, CallResult]
) -> None:
    checks.check_estimate_filed_for_the_district(hotline, calls)


def test_correction_kloter_after_the_date_of_birth_goes_to_the_embarkation(
    hotline: Hotline, calls: dict[str, CallResult]
) -> None:
    checks.check_kloter_goes_to_the_embarkation(hotline, calls)
