"""Complaints in the fast tier: every check of tests/scenarios/complaints.py (the real tier,
tests/test_call_complaints.py, keeps the ones that prove a wiring path) through the real
controller on scripted channels, plus branches a real call would cost too much for."""

from __future__ import annotations

from pathlib import Path

import pytest

from ivr.complaints.tickets import Ticket
from ivr.data.mirror import Mirror
from tests.rig.fast import FastHotline
from tests.scenarios import complaints as checks
from tests.scenarios.complaints import Calls, Guesses


@pytest.fixture(scope="module")
def calls(fast: FastHotline, tmp_path_factory: pytest.TempPathFactory) -> Calls:
    prepared = checks.at_once(fast, Path(tmp_path_factory.mktemp("complaints")))
    return fast.calls(prepared.scenarios)


@pytest.fixture(scope="module")
def filed(fast: FastHotline, calls: Calls) -> Ticket:
    return checks.ticket_of(fast, calls["file"].call_id)


@pytest.fixture(scope="module")
def guesses(fast: FastHotline) -> Guesses:
    return checks.guess(fast)


def test_complaint_recorded_by_phone_with_its_number_and_pin_read_twice(
    fast: FastHotline, filed: Ticket
) -> None:
    checks.check_recorded_by_phone(fast, filed)


def test_complaint_status_without_the_pin_hears_nothing_of_the_ticket(
    fast: FastHotline, calls: Calls
) -> None:
    checks.check_status_without_the_pin_hears_nothing_of_the_ticket(fast, calls)


def test_complaint_status_with_the_pin_says_its_state_and_resolution(fast: FastHotline) -> None:
    checks.check_status_with_the_pin_says_state_and_resolution(fast)


def test_complaint_status_plays_the_officers_recorded_reply(
    fast: FastHotline, calls: Calls
) -> None:
    checks.check_status_plays_the_officers_reply(fast, calls)


def test_complaint_caller_asks_for_an_officer_who_sees_the_ticket_number(
    fast: FastHotline, filed: Ticket
) -> None:
    checks.check_officer_sees_the_ticket_number(fast, filed)


def test_complaint_mistyped_number_is_caught_by_its_check_digits(
    fast: FastHotline, filed: Ticket
) -> None:
    checks.check_mistyped_number_caught_by_its_check_digits(fast, filed)


def test_complaint_ticket_from_before_pins_is_told_by_an_officer(fast: FastHotline) -> None:
    checks.check_ticket_from_before_pins_is_told_by_an_officer(fast)


@pytest.mark.parametrize("owner", ["pin-owner", "num-owner"])
def test_complaint_guessing_at_once_locks_the_ticket_and_the_number_at_the_limit(
    fast: FastHotline, guesses: Guesses, owner: str
) -> None:
    checks.check_guessing_locks_at_the_limit(fast, guesses, owner)


def test_complaint_locked_ticket_refuses_its_own_pin(fast: FastHotline, calls: Calls) -> None:
    checks.check_locked_ticket_refuses_its_own_pin(fast, calls)


def test_complaint_hang_up_while_recording_still_makes_a_flagged_ticket(
    fast: FastHotline, filed: Ticket
) -> None:
    checks.check_hang_up_while_recording_keeps_a_flagged_ticket(fast, filed)


# --- branches only the fast tier covers ---------------------------------------------------


def test_complaint_about_a_porsi_with_its_birth_date_files_a_verified_ticket(
    fast: FastHotline,
) -> None:
    soc = checks.SOC
    keys = f"3W1W3W1W{soc.nomor_porsi}#{'W' * 12}1WWW{soc.tgl_lahir:%d%m%Y}"
    result = fast.call(keys, caller_id='"Uji" <0811000022>', timeout=120, audio=True)
    ticket = checks.ticket_of(fast, result.call_id)
    assert (ticket.porsi, ticket.porsi_verified) == (soc.nomor_porsi, True)
    pilgrim = Mirror(fast.config.mirror_path).lookup(soc.nomor_porsi)
    assert pilgrim is not None and ticket.kabupaten == pilgrim.kabupaten and not ticket.partial
    assert "date of birth verified" in fast.notes(result.call_id)


def test_complaint_recorded_again_when_the_caller_keys_2_at_the_review(
    fast: FastHotline,
) -> None:
    keys = checks.FILE + "W" * 11 + "2"  # "2" in the review menu: record again
    result = fast.call(keys, caller_id='"Uji" <0811000023>', timeout=120, audio=True)
    assert fast.notes(result.call_id).count("complaint recorded") == 2
    ticket = checks.ticket_of(fast, result.call_id)
    assert not ticket.partial and (fast.config.recordings_dir / ticket.recording).exists()


def test_complaint_invalid_category_then_zero_goes_to_an_officer(fast: FastHotline) -> None:
    result = fast.call("3W1W90", timeout=60, end_on="UserEvent")
    row, lines = fast.record(result.call_id)
    assert any(x.prompts == "menu-invalid" for x in lines)
    assert row is not None and (row.outcome, row.reason) == ("agent", "complaint_request")
    filed = checks.desk_of(fast).search()
    assert not [t for t in filed if t.call_id == result.call_id]  # no category: no ticket
