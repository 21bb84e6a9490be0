"""`hajj-ivr retention purge` against the running hotline: a real call made old goes,
transcript and all, while a fresh one stays; only counts are printed."""

from __future__ import annotations

import sqlite3
from contextlib import closing

import pytest

from tests.rig.hotline import Hotline, Scenario

pytestmark = pytest.mark.asterisk

DAYS_100 = 100 * 86400


def test_retention_purge_command_deletes_a_call_past_the_period_and_keeps_a_fresh_one(
    hotline: Hotline,
) -> None:
    greeted = Scenario("", until=lambda said: bool(said), timeout=30)
    calls = hotline.calls({"old": greeted, "fresh": greeted})
    old, fresh = calls["old"].call_id, calls["fresh"].call_id
    assert hotline.spoken(old) and hotline.spoken(fresh)
    with closing(sqlite3.connect(hotline.config.calllog_path)) as db, db:
        db.execute(
            "UPDATE calls SET started_at = started_at - ?, ended_at = ended_at - ? WHERE id = ?",
            (DAYS_100, DAYS_100, old),
        )
        db.execute("UPDATE transcript SET at = at - ? WHERE call_id = ?", (DAYS_100, old))

    dry = hotline.cli("retention", "purge", "--dry-run").stdout
    assert "dry run" in dry and "calls: 1 (period 90 days)" in dry
    assert hotline.record(old)[0] is not None

    done = hotline.cli("retention", "purge").stdout
    assert "calls: 1 (period 90 days)" in done
    assert old not in done and "0800000000" not in done  # counts only
    assert hotline.record(old) == (None, [])
    row, lines = hotline.record(fresh)
    assert row is not None and any(line.kind == "say" for line in lines)
