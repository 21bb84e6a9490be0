"""The umrah flow in the fast tier: every branch of tests/scenarios/umrah.py through the
real controller on scripted channels (the real tier, tests/test_call_umrah.py, keeps a
licensed, a revoked and an unknown number), and a hotline whose export had no ppiu.csv."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ivr import config as config_mod
from ivr.admin import overrides
from ivr.data.importer import import_export
from ivr.data.ppiu import PPIU_CSV
from ivr.data.sample_umrah import LICENSED
from ivr.testcall import CallResult
from tests.rig.fast import FastHotline
from tests.scenarios import umrah as checks
from tests.scenarios.umrah import asked, no_list_scenarios, scenarios


@pytest.fixture(scope="module")
def calls(fast: FastHotline) -> dict[str, CallResult]:
    return fast.calls(scenarios())


EDITED = "Manasik umrah gratis setiap Sabtu di kantor Kementerian Agama kabupaten."


@pytest.fixture(scope="module")
def unlisted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastHotline]:
    """A hotline whose live export came without ppiu.csv (it imports all the same), and
    whose umrah announcements an admin edited on the dashboard."""
    state_dir = Path(tmp_path_factory.mktemp("unlisted"))
    config = config_mod.load(file=None, env={}, overrides={"state_dir": state_dir})
    overrides.save_announcements(config, [EDITED], overrides.UMRAH)
    running = FastHotline.start(state_dir)
    try:
        export = running.config.state_dir / "sample"
        (export / PPIU_CSV).unlink()
        import_export(export, running.config.mirror_path, imported_by="tests")
        yield running
    finally:
        running.close()


def test_umrah_licensed_agency_heard_with_spelled_name_city_and_end_date(
    fast: FastHotline, calls: dict[str, CallResult]
) -> None:
    checks.check_licensed(fast, calls)


def test_umrah_frozen_licence_said_frozen(fast: FastHotline, calls: dict[str, CallResult]) -> None:
    checks.check_frozen(fast, calls)


def test_umrah_revoked_licence_said_revoked_do_not_pay(
    fast: FastHotline, calls: dict[str, CallResult]
) -> None:
    checks.check_revoked(fast, calls)


def test_umrah_unknown_number_said_clearly_with_advice(
    fast: FastHotline, calls: dict[str, CallResult]
) -> None:
    checks.check_unknown(fast, calls)


def test_umrah_unknown_and_revoked_numbers_are_counted_for_the_report(
    fast: FastHotline, calls: dict[str, CallResult]
) -> None:
    checks.check_fraud_report(fast, calls)


def test_umrah_readback_in_groups_rejected_asks_again(
    fast: FastHotline, calls: dict[str, CallResult]
) -> None:
    checks.check_readback_rejected(fast, calls)


def test_umrah_malformed_thrice_goes_to_agent(
    fast: FastHotline, calls: dict[str, CallResult]
) -> None:
    checks.check_malformed_thrice(fast, calls)


@pytest.mark.parametrize("menu", ["umrah", "confirm"])
def test_umrah_zero_reaches_agent(
    fast: FastHotline, calls: dict[str, CallResult], menu: str
) -> None:
    checks.check_zero_reaches_agent(fast, calls, menu)


def test_umrah_zero_after_a_verdict_hands_the_licence_to_the_agent(
    fast: FastHotline, calls: dict[str, CallResult]
) -> None:
    checks.check_agent_sees_the_licence(fast, calls)


def test_umrah_nine_repeats_the_menu(fast: FastHotline, calls: dict[str, CallResult]) -> None:
    checks.check_repeat(fast, calls)


def test_umrah_announcements_played(fast: FastHotline, calls: dict[str, CallResult]) -> None:
    checks.check_announcements(fast, calls)


def test_umrah_export_without_ppiu_list_says_not_available(unlisted: FastHotline) -> None:
    checks.check_no_list(unlisted, unlisted.calls(no_list_scenarios()))


def test_umrah_announcements_edited_on_the_dashboard_are_heard(unlisted: FastHotline) -> None:
    result = unlisted.call("42")
    lines = unlisted.spoken(result.call_id)
    assert EDITED in lines
    assert not any(line.startswith("Sebelum mendaftar umrah") for line in lines)
    # The menu-2 announcements are not touched by the umrah ones.
    general = unlisted.spoken(unlisted.call("2").call_id)
    assert any(line.startswith("Jadwal musim haji") for line in general)


def test_umrah_mirror_unreadable_says_so_and_hands_to_agent(tmp_path: Path) -> None:
    running = FastHotline.start(tmp_path)
    try:
        running.config.mirror_path.unlink()
        result = running.call(asked(LICENSED[0]))
        assert "Maaf, data sedang tidak dapat dibuka." in running.spoken(result.call_id)
        row, _ = running.record(result.call_id)
        assert row is not None and (row.outcome, row.reason) == ("agent", "lookup_error")
    finally:
        running.close()
