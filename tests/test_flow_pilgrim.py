"""The pilgrim flow in the fast tier: every scenario of tests/test_call_pilgrim.py through
the real controller on scripted channels, with the same checks, in milliseconds."""

from __future__ import annotations

import pytest

from ivr.testcall import CallResult
from tests.rig.fast import FastHotline
from tests.scenarios import pilgrim as checks
from tests.scenarios.pilgrim import AGENT_MENUS, STATUS_WORDING, scenarios


@pytest.fixture(scope="module")
def calls(fast: FastHotline) -> dict[str, CallResult]:
    return fast.calls(scenarios())


@pytest.mark.parametrize(("status", "wording"), STATUS_WORDING)
def test_pilgrim_found_each_status_hears_its_wording_and_estimate(
    fast: FastHotline, calls: dict[str, CallResult], status: str, wording: str
) -> None:
    checks.check_status(fast, calls, status, wording)


def test_pilgrim_unknown_porsi_is_said_clearly(
    fast: FastHotline, calls: dict[str, CallResult]
) -> None:
    checks.check_unknown(fast, calls)


def test_pilgrim_malformed_entry_three_times_goes_to_agent(
    fast: FastHotline, calls: dict[str, CallResult]
) -> None:
    checks.check_malformed_thrice(fast, calls)


def test_pilgrim_readback_in_groups_rejected_asks_again(
    fast: FastHotline, calls: dict[str, CallResult]
) -> None:
    checks.check_readback_rejected(fast, calls)


def test_pilgrim_dob_right_hears_kloter_documents_and_payment(
    fast: FastHotline, calls: dict[str, CallResult]
) -> None:
    checks.check_dob_right(fast, calls)


def test_pilgrim_dob_wrong_three_times_goes_to_agent(
    fast: FastHotline, calls: dict[str, CallResult]
) -> None:
    checks.check_dob_wrong(fast, calls)


@pytest.mark.parametrize("menu", AGENT_MENUS)
def test_pilgrim_zero_from_each_menu_reaches_agent(
    fast: FastHotline, calls: dict[str, CallResult], menu: str
) -> None:
    checks.check_zero_reaches_agent(fast, calls, menu)


def test_pilgrim_another_porsi_in_the_same_call(
    fast: FastHotline, calls: dict[str, CallResult]
) -> None:
    checks.check_another_porsi(fast, calls)


def test_pilgrim_general_information_plays_announcements(
    fast: FastHotline, calls: dict[str, CallResult]
) -> None:
    checks.check_general(fast, calls)
