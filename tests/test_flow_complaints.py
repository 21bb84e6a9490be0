"""Complaints in the fast tier: the checks of tests/test_call_complaints.py (but the
browser's) through the real controller on scripted channels, plus branches a real call
would cost too much for."""

from __future__ import annotations

from pathlib import Path

import pytest

from ivr.complaints import tickets as tickets_mod
from ivr.complaints.tickets import Ticket
from ivr.data.mirror import Mirror
from tests.rig.fast import FastHotline
from tests.scenarios import complaints as checks


@pytest.fixture(scope="module")
def filed(fast: FastHotline) -> Ticket:
    return checks.file_one(fast)


def test_complaint_recorded_by_phone_with_its_number_read_twice(
    fast: FastHotline, filed: Ticket
) -> None:
    checks.check_recorded_by_phone(fast, filed)


def test_complaint_status_by_phone_says_its_state_and_resolution(
    fast: FastHotline, filed: Ticket
) -> None:
    checks.check_status_says_state_and_resolution(fast, filed)


def test_complaint_status_plays_the_officers_recorded_reply(
    fast: FastHotline, tmp_path: Path
) -> None:
    checks.check_status_plays_the_officers_reply(fast, tmp_path)


def test_complaint_caller_asks_for_an_officer_who_sees_the_ticket_number(
    fast: FastHotline, filed: Ticket
) -> None:
    checks.check_officer_sees_the_ticket_number(fast, filed)


def test_complaint_wrong_number_is_not_found(fast: FastHotline, filed: Ticket) -> None:
    checks.check_wrong_number_not_found(fast, filed)


def test_complaint_hang_up_while_recording_still_makes_a_flagged_ticket(
    fast: FastHotline,
) -> None:
    checks.check_hang_up_while_recording_keeps_a_flagged_ticket(fast)


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
    filed = tickets_mod.for_config(fast.config).search()
    assert not [t for t in filed if t.call_id == result.call_id]  # no category: no ticket
