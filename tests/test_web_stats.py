"""Wallboard numbers and reports from a call log written the way the controller writes it,
on SQLite and on PostgreSQL (the ``backend`` fixture)."""

from __future__ import annotations

import datetime as dt

import pytest

from ivr import reports as stats
from ivr.calllog import CallLog
from ivr.queue.records import QueueRecords
from ivr.store import Sql
from ivr.web import charts
from ivr.web.pages import Pages
from tests.rig import callstores
from tests.rig.postgres import Backend

ZONE = dt.timezone(dt.timedelta(hours=7))
DAY = dt.datetime(2026, 11, 26, tzinfo=ZONE).timestamp()  # local midnight
NOW = DAY + 10 * 3600


@pytest.fixture
def db(backend: Backend) -> Sql:
    log = CallLog.over(callstores.stores(backend))
    records = QueueRecords(log.sql)
    calls = [
        ("served-1", DAY + 9 * 3600, "served", None),
        ("served-2", DAY + 9 * 3600 + 60, "served", None),
        ("fast", DAY + 9 * 3600 + 120, "agent", ("answered", 12.0)),
        ("slow", DAY + 9 * 3600 + 180, "agent", ("answered", 45.0)),
        ("gone", DAY + 9 * 3600 + 240, "agent", ("abandoned", 30.0)),
        ("hung-up", DAY + 9 * 3600 + 300, "hangup", None),
        ("yesterday", DAY - 3600, "served", None),
    ]
    for call_id, started, outcome, stay in calls:
        log.sql.run(
            "INSERT INTO calls (id, started_at, ended_at, caller, route, outcome) "
            "VALUES (?, ?, ?, '0811', 'hotline', ?)",
            (call_id, started, started + 60, outcome),
        )
        if stay:
            records.joined(call_id, "hajj-tier1", "0811", "caller_request", "", started + 30, 1)
            if stay[0] == "answered":
                records.answered(call_id, "hajj-tier1", "alice", started + 30 + stay[1], stay[1])
            else:
                records.abandoned(call_id, "hajj-tier1", started + 30 + stay[1], stay[1])
    log.start("live", "0812", "hotline")
    log.sql.run("UPDATE calls SET started_at = ? WHERE id = 'live'", (NOW - 30,))
    records.joined("waiting", "hajj-tier1", "0813", "no_input", "", NOW - 50, 1)
    log.add("fast", "event", "topic: estimate")
    log.add("slow", "event", "topic: estimate")
    log.add("slow", "event", "topic: kloter")
    log.lookup("gone", "1399999999", None)
    log.lookup("gone", "1300123456", "Kota Surabaya")
    return log.sql


def test_wallboard_today(db: Sql) -> None:
    board = stats.wallboard(db, NOW, DAY)
    assert (board.in_ivr, board.waiting, board.longest_wait) == (1, 1, 50.0)
    assert (board.answered, board.abandoned) == (2, 1)
    assert board.service_level == pytest.approx(33.3)  # 1 of 3 within 20 s
    assert board.abandonment_rate == pytest.approx(33.3)
    assert board.average_speed_of_answer == pytest.approx(28.5)
    # 7 hotline calls today (incl. the live one), 2 served by the IVR.
    assert board.calls_today == 7
    assert board.self_service_rate == pytest.approx(28.6)


def test_reports_outcomes_topics_not_found(db: Sql) -> None:
    outcomes = stats.outcomes_by_day(db, DAY, ZONE)
    assert outcomes.rows == [("2026-11-26", 2, 2, 2)]  # the live call is not counted yet
    assert stats.topics(db, DAY).rows == [("estimate", 2), ("kloter", 1)]
    [row] = stats.not_found_by_place(db, DAY).rows
    assert (row[0], row[2], row[3]) == ("13", "Kota Surabaya", 1)
    hours = dict(stats.calls_per_hour(db, DAY, ZONE).rows)
    assert hours["09"] == 7 and hours["10"] == 0  # the live call started 09:59
    level = stats.service_level_by_day(db, DAY, ZONE).rows
    assert level == [("2026-11-26", pytest.approx(33.3), 1, 3)]


def test_charts_are_svg_with_values_written_and_every_text_escaped() -> None:
    pages = Pages.for_zone("Asia/Jakarta")
    svg = pages.chart(charts.bars("Panggilan", ["08", "09"], [[3, 5]]))
    assert svg.strip().startswith("<svg") and "<title>Panggilan</title>" in svg and ">5<" in svg
    assert 'class="series-0"' in svg and "style=" not in svg  # colours from style.css
    assert "Belum ada data" in pages.chart(charts.line("Kosong", [], []))
    line = pages.chart(charts.line("Tingkat", ["11-26", "11-27"], [50.0, 75.0]))
    assert "<polyline" in line and ">75%<" in line
    hostile = pages.chart(charts.bars('<script>"', ["<b>x</b>"], [[1]], ["<i>"]))
    assert "<script" not in hostile and "<b>" not in hostile and "<i>" not in hostile
    assert "&lt;b&gt;x&lt;/b&gt;" in hostile
