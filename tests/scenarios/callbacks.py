"""Callbacks instead of waiting, for both tiers: the offer when nobody is logged in,
outside staffed hours, and the number called back: the caller's own read back and
confirmed, another keyed instead, a caller ID we may not dial never stored, a daily limit
per number. What each must leave in the transcript and the stores.

Nobody is logged in unless a check says otherwise, so "0" reaches the callback offer at once.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from contextlib import closing

from ivr.testcall import CallResult, TestCall
from tests.rig.hotline import Scenario
from tests.scenarios.tier import Tier

OFFER = "0" + "W" * 9 + "1"  # to an officer; then, in the callback offer, 1
OFFER_ACCEPTED = OFFER + "W" * 4 + "1"  # the caller's own number read back: 1, right
OFFER_DECLINED = "0" + "W" * 9 + "2"  # to an officer; then anything but 1: stay in line
READBACK = "Petugas akan menelepon Anda kembali di nomor"
STORED = "Permintaan Anda telah kami catat."
FOREIGN = "0099887766"  # what an anonymous SIP caller's ID claimed (issue 11, point 12)
PER_DAY = 3  # agents.callbacks_per_day, the default both tiers keep


def jakarta_today() -> str:
    """Today in Asia/Jakarta (UTC+7), the hotline's staffed-hours zone."""
    return time.strftime("%Y-%m-%d", time.gmtime(time.time() + 7 * 3600))


def rows(tier: Tier, sql: str, *args: object) -> list[sqlite3.Row]:
    with closing(sqlite3.connect(tier.config.calllog_path)) as db:
        db.row_factory = sqlite3.Row
        return list(db.execute(sql, args))


def requests(tier: Tier, number: str) -> list[sqlite3.Row]:
    return rows(tier, "SELECT * FROM callbacks WHERE number = ?", number)


def stays(tier: Tier, call_id: str) -> list[sqlite3.Row]:
    return rows(tier, "SELECT * FROM queue_calls WHERE call_id = ? ORDER BY id", call_id)


def said(text: str) -> Callable[[list[str]], bool]:
    return lambda lines: any(line.startswith(text) for line in lines)


# --- calls ---------------------------------------------------------------------------------


def twice_at_once(tier: Tier, number: str) -> list[CallResult]:
    """The same caller asks twice at the same moment, confirming their own number."""
    spec = TestCall(
        tier.config.ivr.hotline, OFFER_ACCEPTED, caller_id=f'"Uji" <{number}>', timeout=60
    )
    return tier.place_all([spec, spec])


def from_a_foreign_caller_id(tier: Tier) -> CallResult:
    """The caller ID is a number we may not dial: the caller keys one, hears it read back
    and confirms it."""
    keys = OFFER + "W" * 8 + "081234567001#" + "W" * 16 + "1"
    scenario = Scenario(keys, said(STORED), timeout=120, caller_id=f'"Anonim" <{FOREIGN}>')
    return tier.calls({"foreign": scenario})["foreign"]


def own_number_then_another(tier: Tier) -> CallResult:
    """The caller's own number (+62...) is read back; they key 2 and another number."""
    keys = OFFER + "W" * 16 + "2" + "W" * 6 + "0212345678#" + "W" * 14 + "1"
    scenario = Scenario(keys, said(STORED), timeout=120, caller_id='"Uji" <+6281234567002>')
    return tier.calls({"another": scenario})["another"]


def over_the_daily_limit(tier: Tier) -> CallResult:
    """A number whose callbacks were served PER_DAY times today asks again."""
    number, now = "081234567003", time.time()
    with closing(sqlite3.connect(tier.config.calllog_path)) as db:
        for _ in range(PER_DAY):  # served earlier today
            db.execute(
                "INSERT INTO callbacks (requested_at, number, waiting_since, next_at, state) "
                "VALUES (?, ?, ?, ?, 'done')",
                (now - 3600, number, now - 3600, now - 3600),
            )
        db.commit()
    keys = OFFER + "W" * 16 + "1"
    scenario = Scenario(keys, said("Maaf, permintaan telepon balik"), 120, f'"Uji" <{number}>')
    return tier.calls({"limit": scenario})["limit"]


# --- checks --------------------------------------------------------------------------------


def check_offered_when_nobody_is_logged_in_stored_once(tier: Tier, calls: list[CallResult]) -> None:
    """Two calls from 0811000003 that accepted the offer: one request, the other told so."""
    heard = {c.call_id: tier.spoken(c.call_id) for c in calls}
    first = next(c for c in calls if any("telah kami catat" in x for x in heard[c.call_id]))
    second = next(c for c in calls if c is not first)
    assert "Saat ini belum ada petugas yang bertugas." in heard[first.call_id]
    assert "nol delapan satu satu" in heard[first.call_id]
    assert "nol nol nol nol" in heard[first.call_id] and "nol tiga" in heard[first.call_id]
    assert any(
        line.startswith("Permintaan telepon balik Anda sudah tercatat")
        for line in heard[second.call_id]
    )
    stored = requests(tier, "0811000003")
    assert len(stored) == 1 and stored[0]["state"] == "open"
    assert stored[0]["call_id"] == first.call_id and stored[0]["reason"] == "caller_request"
    row, _ = tier.record(first.call_id)
    assert row is not None and row.outcome == "callback"
    assert stays(tier, first.call_id) == []  # nobody to wait for: no dead queue


def check_closed_hours_offer_for_the_next_day(tier: Tier, result: CallResult) -> None:
    """A call from 0811000004 that pressed 0, then 1, then 1 for its own number, on a
    holiday."""
    lines = tier.spoken(result.call_id)
    assert any(line.startswith("Layanan petugas saat ini sedang tutup") for line in lines)
    assert any(line.startswith(STORED) for line in lines)
    assert any(line.endswith("mulai pukul nol Waktu Indonesia Barat") for line in lines)
    assert not [e for e in result.events if e.get("Event") == "QueueCallerJoin"]
    request = requests(tier, "0811000004")[0]
    assert request["next_at"] > time.time() + 60  # not before tomorrow's opening


def check_foreign_caller_id_never_stored_a_keyed_number_is(tier: Tier, result: CallResult) -> None:
    assert requests(tier, FOREIGN) == []
    lines = tier.spoken(result.call_id)
    assert any(line.startswith("Nomor telepon Anda tidak dapat kami gunakan") for line in lines)
    [stored] = requests(tier, "081234567001")
    assert stored["call_id"] == result.call_id and stored["state"] == "open"
    # Read back and confirmed before it was stored.
    assert lines.index(READBACK) < next(i for i, x in enumerate(lines) if x.startswith(STORED))


def check_own_number_read_back_and_2_keys_another(tier: Tier, result: CallResult) -> None:
    lines = tier.spoken(result.call_id)
    assert lines.count(READBACK) == 2  # the caller's own (from +62...), then the one keyed
    assert requests(tier, "081234567002") == []
    [stored] = requests(tier, "0212345678")
    assert stored["call_id"] == result.call_id


def check_daily_limit_refuses_the_next_request(tier: Tier, result: CallResult) -> None:
    number = "081234567003"
    assert [r["state"] for r in requests(tier, number)] == ["done"] * PER_DAY
    assert "callback: this number is over its daily limit" in tier.notes(result.call_id)
    assert tier.config.agents.callbacks_per_day == PER_DAY
