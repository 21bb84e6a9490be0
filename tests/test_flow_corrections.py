"""Data corrections in the fast tier: every branch of information menu 7 through the real
controller on scripted channels (tests/test_call_corrections.py keeps one real call)."""

from __future__ import annotations

import pytest

from ivr.corrections.cases import CaseError, NewCase
from ivr.testcall import CallResult
from tests.rig.fast import FastHotline
from tests.rig.hotline import Scenario
from tests.scenarios import corrections as checks
from tests.scenarios.corrections import scenarios
from tests.scenarios.pilgrim import TO_AGENT
from tests.scenarios.tier import said


@pytest.fixture(scope="module")
def calls(fast: FastHotline) -> dict[str, CallResult]:
    return fast.calls(scenarios())


def test_correction_estimate_is_filed_for_the_district_office(
    fast: FastHotline, calls: dict[str, CallResult]
) -> None:
    checks.check_estimate_filed_for_the_district(fast, calls)


def test_correction_kloter_after_the_date_of_birth_goes_to_the_embarkation(
    fast: FastHotline, calls: dict[str, CallResult]
) -> None:
    checks.check_kloter_goes_to_the_embarkation(fast, calls)


def test_correction_documents_of_a_verified_caller_go_to_the_province(
    fast: FastHotline, calls: dict[str, CallResult]
) -> None:
    checks.check_documents_go_to_the_province(fast, calls)


def test_correction_kloter_of_a_pilgrim_without_kloter_goes_to_the_district(
    fast: FastHotline, calls: dict[str, CallResult]
) -> None:
    checks.check_no_kloter_goes_to_the_district(fast, calls)


def test_correction_name_with_a_wrong_date_of_birth_files_nothing(
    fast: FastHotline, calls: dict[str, CallResult]
) -> None:
    checks.check_name_needs_the_date_of_birth(fast, calls)


def test_correction_invalid_key_then_other(fast: FastHotline, calls: dict[str, CallResult]) -> None:
    checks.check_invalid_key_then_other(fast, calls)


def test_correction_zero_after_filing_hears_the_number_then_an_officer(
    fast: FastHotline, calls: dict[str, CallResult]
) -> None:
    checks.check_officer_after_filing_hears_the_number_first(fast, calls)


def test_correction_zero_in_the_field_menu_reaches_an_officer(
    fast: FastHotline, calls: dict[str, CallResult]
) -> None:
    checks.check_officer_from_the_field_menu(fast, calls)


def test_correction_no_answer_goes_back_to_the_information_menu(
    fast: FastHotline, calls: dict[str, CallResult]
) -> None:
    checks.check_no_answer_back_to_the_menu(fast, calls)


def test_correction_resolved_is_told_on_the_next_call_for_the_porsi(
    fast: FastHotline, calls: dict[str, CallResult]
) -> None:
    checks.check_resolved_is_told_on_the_next_call(fast, calls)


def test_correction_store_refusing_the_case_hands_the_caller_to_an_officer(
    fast: FastHotline, monkeypatch: pytest.MonkeyPatch
) -> None:
    def locked(new: NewCase) -> None:
        raise CaseError(f"correction case {new.number} not stored: database is locked")

    monkeypatch.setattr(fast.controller.services.corrections.cases, "open", locked)
    dtmf = checks.menu7(checks.RESERVE.nomor_porsi) + "1"  # estimate: no date of birth
    call_id = fast.calls({"x": Scenario(dtmf, said(TO_AGENT))})["x"].call_id
    assert "Maaf, laporan Anda belum dapat kami simpan saat ini." in fast.spoken(call_id)
    assert "correction case could not be stored" in fast.notes(call_id)
    row, _ = fast.record(call_id)
    assert row is not None and (row.outcome, row.reason) == ("agent", "controller_error")
