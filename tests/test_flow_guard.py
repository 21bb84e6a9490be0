"""Limits across calls in the fast tier: every check of tests/scenarios/guard.py (the real
tier, tests/test_call_guard.py, keeps one call per wiring path) plus what needs many calls:
dates guessed by calls at once stop exactly at the limit, a number locked across porsi.
The counting itself, table by table: tests/test_guard.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from ivr.testcall import CallResult
from tests.rig.fast import FastHotline
from tests.scenarios import guard as checks
from tests.scenarios.pilgrim import SOC
from tests.scenarios.tier import dob, guard_of


@pytest.fixture(scope="module")
def guessed(fast: FastHotline) -> dict[str, CallResult]:
    return checks.guess_at_once(fast)


@pytest.fixture(scope="module")
def calls(fast: FastHotline) -> dict[str, CallResult]:
    return fast.calls(checks.at_once(fast))


def test_guard_dob_guessed_across_parallel_calls_locks_at_the_limit(
    fast: FastHotline, guessed: dict[str, CallResult]
) -> None:
    checks.check_dob_guessed_at_once_locks_at_the_limit(fast, guessed)


def test_guard_porsi_locked_by_parallel_guessing_refuses_even_the_right_date(
    fast: FastHotline, guessed: dict[str, CallResult]
) -> None:
    checks.check_locked_porsi_refuses_the_right_date(fast, guessed["owner"])


def test_guard_locked_porsi_refuses_even_the_right_date_and_goes_to_an_agent(
    fast: FastHotline, calls: dict[str, CallResult]
) -> None:
    checks.check_locked_porsi_refuses_the_right_date(fast, calls["owner"])


def test_guard_number_over_its_hourly_lookups_is_refused(
    fast: FastHotline, calls: dict[str, CallResult]
) -> None:
    checks.check_number_over_its_lookups_is_refused(fast, calls["over"])


# --- branches only the fast tier covers ---------------------------------------------------


def test_guard_number_that_guessed_other_porsi_is_refused_the_right_date(
    fast: FastHotline,
) -> None:
    number = "081100070020"
    with guard_of(fast) as guard:
        for n in range(fast.config.ivr.dob_lock_failures):  # one wrong date each
            guard.dob_failed(f"120000000{n}", number)
    [call] = fast.place_all([checks.guesser(fast, SOC.nomor_porsi, number, dob(SOC))])
    checks.check_locked_porsi_refuses_the_right_date(fast, call)
    with guard_of(fast) as later:  # the number is locked, not SOC's porsi
        assert not later.dob_locked(SOC.nomor_porsi, "081100070021")


def test_guard_number_with_one_lookup_left_gets_it_then_is_refused(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    alone = FastHotline.start(Path(tmp_path_factory.mktemp("lookups")))  # its own counts
    try:
        over = alone.calls({"over": checks.over_the_lookups(alone, left=1)})["over"]
        checks.check_number_over_its_lookups_is_refused(alone, over, left=1)
    finally:
        alone.close()
