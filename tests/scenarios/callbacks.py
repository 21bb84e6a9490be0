"""Callbacks instead of waiting: nobody logged in, outside staffed hours, the caller who
stays, a caller ID that is no number. What each must leave in the transcript and the
stores."""

from __future__ import annotations

import sqlite3
import time
from contextlib import closing

from ivr.testcall import CallResult, TestCall
from tests.scenarios.tier import Tier

OFFER_ACCEPTED = "0" + "W" * 9 + "1"  # to an agent; then, in the callback offer, 1
OFFER_DECLINED = "0" + "W" * 9 + "2"  # to an agent; then anything but 1: stay in line


def jakarta_today() -> str:
    """Today in Asia/Jakarta (UTC+7), the hotline's staffed-hours zone."""
    return time.strftime("%Y-%m-%d", time.gmtime(time.time() + 7 * 3600))


def rows(tier: Tier, sql: str, *args: object) -> list[sqlite3.Row]:
    with closing(sqlite3.connect(tier.config.calllog_path)) as db:
        db.row_factory = sqlite3.Row
        return list(db.execute(sql, args))


def stays(tier: Tier, call_id: str) -> list[sqlite3.Row]:
    return rows(tier, "SELECT * FROM queue_calls WHERE call_id = ? ORDER BY id", call_id)


def twice_at_once(tier: Tier, number: str) -> TestCall:
    """The same caller asks twice at the same moment (the real rig places both at once)."""
    return TestCall(
        tier.config.ivr.hotline, OFFER_ACCEPTED, caller_id=f'"Uji" <{number}>', timeout=60
    )


# --- checks ------------------------------------------------------------------------------


def check_offered_when_nobody_is_logged_in_stored_once(tier: Tier, calls: list[CallResult]) -> None:
    """Two calls from 0811000003 that accepted the offer: one request, the other told so."""
    said = {c.call_id: tier.spoken(c.call_id) for c in calls}
    first = next(c for c in calls if any("telah kami catat" in x for x in said[c.call_id]))
    second = next(c for c in calls if c is not first)
    assert "Saat ini belum ada petugas yang bertugas." in said[first.call_id]
    assert "nol delapan satu satu" in said[first.call_id]
    assert "nol nol nol nol" in said[first.call_id] and "nol tiga" in said[first.call_id]
    assert any(
        line.startswith("Permintaan telepon balik Anda sudah tercatat")
        for line in said[second.call_id]
    )
    requests = rows(tier, "SELECT * FROM callbacks WHERE number = '0811000003'")
    assert len(requests) == 1 and requests[0]["state"] == "open"
    assert requests[0]["call_id"] == first.call_id and requests[0]["reason"] == "caller_request"
    row, _ = tier.record(first.call_id)
    assert row is not None and row.outcome == "callback"
    assert stays(tier, first.call_id) == []  # nobody to wait for: no dead queue


def check_closed_hours_offer_for_the_next_day(tier: Tier, result: CallResult) -> None:
    """A call from 0811000004 that pressed 0, then 1, on a holiday."""
    said = tier.spoken(result.call_id)
    assert any(line.startswith("Layanan petugas saat ini sedang tutup") for line in said)
    assert any(line.startswith("Permintaan Anda telah kami catat") for line in said)
    assert any(line.endswith("mulai pukul nol Waktu Indonesia Barat") for line in said)
    assert not [e for e in result.events if e.get("Event") == "QueueCallerJoin"]
    request = rows(tier, "SELECT * FROM callbacks WHERE number = '0811000004'")[0]
    assert request["next_at"] > time.time() + 60  # not before tomorrow's opening
