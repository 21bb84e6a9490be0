"""Callbacks in the fast tier: every check of tests/scenarios/callbacks.py (the real tier,
tests/test_call_callbacks.py and tests/test_call_agents.py, keeps one call per wiring path)
through the real controller and the modelled dialplan, plus the branches a real call would
cost too much for (the caller who stays, a withheld number, the offer after waiting in the
queue, declining off duty, a keyed number we may not dial)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.rig.fast import FastHotline
from tests.scenarios import callbacks as checks
from tests.scenarios.callbacks import OFFER, OFFER_DECLINED, STORED, requests, stays


@pytest.fixture(scope="module")
def closed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastHotline]:
    """A hotline on a holiday: agents off duty all day."""
    env = {"HAJJ_IVR_AGENTS_HOLIDAYS": checks.jakarta_today()}
    running = FastHotline.start(Path(tmp_path_factory.mktemp("closed")), env=env)
    try:
        yield running
    finally:
        running.close()


@pytest.fixture(scope="module")
def staffed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastHotline]:
    """A hotline with an agent logged in who never answers: callers wait in the queue."""
    running = FastHotline.start(Path(tmp_path_factory.mktemp("staffed")), agents_logged_in=1)
    try:
        yield running
    finally:
        running.close()


def test_no_agent_logged_in_offers_a_callback_stored_once(fast: FastHotline) -> None:
    calls = checks.twice_at_once(fast, "0811000003")
    checks.check_offered_when_nobody_is_logged_in_stored_once(fast, calls)


def test_outside_staffed_hours_0_offers_a_callback_on_the_next_day(closed: FastHotline) -> None:
    result = closed.call("0WWWWW1WWWW1", caller_id='"Uji" <0811000004>', timeout=60)
    checks.check_closed_hours_offer_for_the_next_day(closed, result)


def test_callback_foreign_caller_id_is_never_stored_a_keyed_number_is_after_confirmation(
    fast: FastHotline,
) -> None:
    result = checks.from_a_foreign_caller_id(fast)
    checks.check_foreign_caller_id_never_stored_a_keyed_number_is(fast, result)


def test_callback_own_number_is_read_back_and_2_keys_another(fast: FastHotline) -> None:
    result = checks.own_number_then_another(fast)
    checks.check_own_number_read_back_and_2_keys_another(fast, result)


def test_callback_daily_limit_refuses_the_next_request(fast: FastHotline) -> None:
    checks.check_daily_limit_refuses_the_next_request(fast, checks.over_the_daily_limit(fast))


# --- branches only the fast tier covers ---------------------------------------------------


def test_outside_staffed_hours_declined_ends_closed_without_a_request(
    closed: FastHotline,
) -> None:
    result = closed.call("0WWWWW2", caller_id='"Uji" <0811000014>', timeout=60)
    assert "Silakan hubungi kami kembali pada jam layanan. Terima kasih." in closed.spoken(
        result.call_id
    )
    row, _ = closed.record(result.call_id)
    assert row is not None and (row.outcome, row.reason) == ("closed", "caller_request")
    assert requests(closed, "0811000014") == []
    assert result.ended


def test_callback_declined_caller_stays_in_line_and_the_call_stays_agent(
    fast: FastHotline,
) -> None:
    result = fast.call(OFFER_DECLINED, caller_id='"Uji" <0811000005>', timeout=40)
    said = fast.spoken(result.call_id)
    assert "Baik, mohon tetap di saluran." in said
    joined = [e for e in result.events if e.get("Event") == "QueueCallerJoin"]
    assert joined and joined[0]["Queue"] == "hajj-tier1"  # back in line
    row, _ = fast.record(result.call_id)
    assert row is not None and (row.outcome, row.reason) == ("agent", "caller_request")
    assert requests(fast, "0811000005") == []
    assert not result.ended  # the test's timeout ended it: the caller was still waiting


def test_callback_withheld_caller_id_keys_one(fast: FastHotline) -> None:
    keys = OFFER + "W" * 8 + "081234567890#" + "W" * 16 + "1"
    result = fast.call(keys, caller_id='"Anonim" <anonymous>', timeout=90)
    said = fast.spoken(result.call_id)
    assert any(line.startswith("Nomor telepon Anda tidak dapat kami gunakan") for line in said)
    assert "nol delapan satu dua" in said and "tiga empat lima enam" in said
    stored = [r["number"] for r in requests(fast, "081234567890")]
    assert stored == ["081234567890"]


def test_callback_keyed_number_we_may_not_dial_is_refused_and_asked_again(
    fast: FastHotline,
) -> None:
    keys = OFFER + "W" * 8 + "0099887766#" + "W" * 12 + "081234567891#" + "W" * 16 + "1"
    result = fast.call(keys, caller_id='"Anonim" <anonymous>', timeout=120)
    said = fast.spoken(result.call_id)
    assert any(line.startswith("Maaf, nomor tersebut tidak dapat kami hubungi") for line in said)
    assert "callback: the keyed number is not a national one" in fast.notes(result.call_id)
    assert requests(fast, "0099887766") == []
    assert [r["call_id"] for r in requests(fast, "081234567891")] == [result.call_id]


def test_callback_offered_after_waiting_in_the_queue(staffed: FastHotline) -> None:
    keys = "0" + "W" * 20 + "1" + "W" * 4 + "1"  # through the queue's wait, accept, own number
    result = staffed.call(keys, caller_id='"Uji" <0811000006>', timeout=90)
    said = staffed.spoken(result.call_id)
    assert "Semua petugas kami masih melayani penelepon lain." in said
    assert any(line.startswith(STORED) for line in said)
    assert "queue hajj-tier1: waiting, position 1" in staffed.notes(result.call_id)
    (stay,) = stays(staffed, result.call_id)
    assert (stay["outcome"], stay["reason"]) == ("callback", "caller_request")
    row, _ = staffed.record(result.call_id)
    assert row is not None and row.outcome == "callback"
