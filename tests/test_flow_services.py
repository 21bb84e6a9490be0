"""Offices, cancellation and delegation in the fast tier: every scenario of
tests/scenarios/services.py through the real controller on scripted channels."""

from __future__ import annotations

import pytest

from ivr.testcall import CallResult
from tests.rig.fast import FastHotline
from tests.scenarios import services as checks


@pytest.fixture(scope="module")
def calls(fast: FastHotline) -> dict[str, CallResult]:
    return fast.calls(checks.scenarios())


def test_services_info_menu_6_speaks_the_district_office(
    fast: FastHotline, calls: dict[str, CallResult]
) -> None:
    checks.check_office_info(fast, calls)


def test_services_district_without_an_office_is_said_clearly(
    fast: FastHotline, calls: dict[str, CallResult]
) -> None:
    checks.check_office_none(fast, calls)


def test_services_general_menu_office_by_any_porsi_in_its_zone(
    fast: FastHotline, calls: dict[str, CallResult]
) -> None:
    checks.check_general_office(fast, calls)


def test_services_general_menu_how_to_cancel(
    fast: FastHotline, calls: dict[str, CallResult]
) -> None:
    checks.check_general_cancel(fast, calls)


def test_services_general_menu_how_to_delegate(
    fast: FastHotline, calls: dict[str, CallResult]
) -> None:
    checks.check_general_delegate(fast, calls)


def test_services_general_menu_back_agent_and_invalid_keys(
    fast: FastHotline, calls: dict[str, CallResult]
) -> None:
    checks.check_general_back_agent_invalid(fast, calls)


def test_services_cancelled_porsi_hears_its_refund_stage(
    fast: FastHotline, calls: dict[str, CallResult]
) -> None:
    checks.check_refund_stage(fast, calls)


def test_services_cancelled_porsi_without_a_stage_hears_the_status_alone(
    fast: FastHotline, calls: dict[str, CallResult]
) -> None:
    checks.check_refund_none(fast, calls)


def test_services_delegated_porsi_names_only_the_heir_and_the_new_porsi(
    fast: FastHotline, calls: dict[str, CallResult]
) -> None:
    checks.check_heir(fast, calls)
