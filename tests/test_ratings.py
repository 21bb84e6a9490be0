"""Satisfaction ratings (ivr/ratings.py): the store, by_agent, the reports by agent, tier,
topic and day with their CSV, the low-rating review list on the wallboard, the rating on
the call page, and the purge with the calls. (The phone flow: tests/test_flow_ratings.py;
a real agent call: tests/test_call_ratings.py.)"""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import time
from pathlib import Path
from typing import Any

import pytest

from ivr import config as config_mod
from ivr import ratings, reports, retention
from ivr.agents.store import AgentStore
from ivr.calldb import CallDb
from ivr.errors import ConfigError
from ivr.outcomes import Outcome
from ivr.ratings import Kind, Ratings
from ivr.store import Sql
from ivr.web.app import build_app
from ivr.web.screenpop import ScreenPop
from tests.rig import callstores
from tests.rig.postgres import Backend
from tests.test_web_complaints import NoAmi, logged_in

NOW = 1_790_000_000.0  # 2026-09-21 21:13 in Jakarta (WIB)
DAY = 86400.0
JAKARTA = dt.timezone(dt.timedelta(hours=7))


def rate(db: Sql, at: float, call_id: str, score: int, **more: Any) -> None:
    Ratings(db, clock=at.__float__).add(call_id, score, more.pop("kind", Kind.AGENT), **more)


def fill(db: Sql) -> None:
    """alice twice in tier 1 (5, 2), bob once in tier 2 (4), a self-service 3, and alice's
    1 from 20 days ago (outside the window)."""
    rate(db, NOW - 300, "c1", 5, queue="hajj-tier1", agent="alice", topics=("estimate",))
    rate(db, NOW - 200, "c2", 2, queue="hajj-tier1", agent="alice", topics=("kloter", "kloter"))
    rate(db, NOW - DAY, "c3", 4, queue="hajj-tier2", agent="bob", topics=("estimate", "kloter"))
    rate(db, NOW - 100, "c4", 3, kind=Kind.SELF, topics=("umrah",))
    rate(db, NOW - 20 * DAY, "c5", 1, queue="hajj-tier1", agent="alice")


@pytest.fixture
def db(backend: Backend) -> Sql:
    """The ratings on either backend (SQLite, PostgreSQL), filled."""
    sql = callstores.stores(backend)
    fill(sql)
    return sql


def test_ratings_add_refuses_a_score_outside_1_to_5(db: Sql) -> None:
    for score in (0, 6, -1):
        with pytest.raises(ValueError, match="1-5"):
            Ratings(db).add("c9", score, Kind.AGENT)
    assert Ratings(db).for_call("c9") == []


def test_ratings_row_keeps_call_tier_agent_and_each_topic_once(db: Sql) -> None:
    (row,) = Ratings(db).for_call("c2")
    assert (row.call_id, row.at, row.score, row.kind) == ("c2", NOW - 200, 2, "agent")
    assert (row.queue, row.agent, row.topics) == ("hajj-tier1", "alice", "kloter")


def test_ratings_by_agent_counts_and_means_agent_calls_in_the_window(
    db: Sql,
) -> None:
    assert ratings.by_agent(db, NOW - 7 * DAY, NOW) == {"alice": (2, 3.5), "bob": (1, 4.0)}
    assert ratings.by_agent(db, NOW - 30 * DAY, NOW) == {"alice": (3, 2.7), "bob": (1, 4.0)}
    assert ratings.by_agent(db, NOW - 250, NOW) == {"alice": (1, 2.0)}  # until excluded
    assert ratings.by_agent(db, NOW, NOW + DAY) == {}


@pytest.mark.parametrize(
    ("by", "header", "rows"),
    [
        ("agent", "petugas", [("alice", 2, 3.5), ("bob", 1, 4.0)]),
        (
            "tier",
            "antrean",
            [("hajj-tier1", 2, 3.5), ("hajj-tier2", 1, 4.0), ("layanan mandiri", 1, 3.0)],
        ),
        ("topic", "topik", [("estimate", 2, 4.5), ("kloter", 2, 3.0), ("umrah", 1, 3.0)]),
        # Days in Jakarta's time: bob's rating the day before the other three.
        ("day", "tanggal", [("2026-09-20", 1, 4.0), ("2026-09-21", 3, 3.3)]),
    ],
)
def test_reports_satisfaction_by_agent_tier_topic_and_day(
    db: Sql, by: str, header: str, rows: list[tuple[Any, ...]]
) -> None:
    table = reports.REPORTS[f"satisfaction-{by}"](db, NOW - 7 * DAY, JAKARTA)
    assert table.header == (header, "penilaian", "rata-rata (1-5)")
    assert table.rows == rows


def test_reports_satisfaction_topic_of_a_call_without_topics_is_named(
    tmp_path: Path,
) -> None:
    calls = CallDb.open(tmp_path / "calls.sqlite")
    try:
        rate(calls.sql, NOW, "c1", 1, agent="alice", queue="hajj-tier1")
        table = reports.satisfaction(calls.sql, NOW - DAY, dt.UTC, "topic")
        assert table.rows == [(ratings.NO_TOPIC, 1, 1.0)]
    finally:
        calls.close()


def test_ratings_low_lists_scores_at_or_below_the_threshold_newest_first(
    db: Sql,
) -> None:
    assert [r.call_id for r in Ratings(db).low(2, NOW - 7 * DAY)] == ["c2"]
    assert [r.call_id for r in Ratings(db).low(3, NOW - 30 * DAY)] == ["c4", "c2", "c5"]
    assert Ratings(db).low(1, NOW - 7 * DAY) == []


def test_config_low_rating_outside_1_to_5_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"ivr\.low_rating = 0"):
        config_mod.load(file=None, env={}, overrides={"state_dir": tmp_path, "ivr.low_rating": 0})
    config = config_mod.load(file=None, env={}, overrides={"state_dir": tmp_path})
    assert (config.ivr.low_rating, config.ivr.rate_self_service) == (2, False)


# --- the purge: ratings go with their calls ---------------------------------------------


def test_retention_purges_ratings_with_their_calls(tmp_path: Path) -> None:
    config = config_mod.load(file=None, env={}, overrides={"state_dir": tmp_path})
    old, new = NOW - 100 * DAY, NOW - DAY
    calls = CallDb.open(config.calllog_path, clock=old.__float__)
    try:
        calls.calls.start("old", "0811", "hotline")
        calls.calls.finish("old", Outcome.AGENT)
        # Rated a minute into the call: the call goes, its rating with it.
        rate(calls.sql, old + 60, "old", 1, agent="alice", queue="hajj-tier1")
        calls.calls.clock = new.__float__
        calls.calls.start("new", "0812", "hotline")
        rate(calls.sql, new + 60, "new", 5, agent="alice", queue="hajj-tier1")
    finally:
        calls.close()
    dry = retention.purge(config, now=NOW, dry_run=True)
    assert dry.count("satisfaction ratings") == 1
    done = retention.purge(config, now=NOW)
    assert done.count("satisfaction ratings") == 1 and done.count("calls") == 1
    calls = CallDb.open(config.calllog_path)
    try:
        assert calls.ratings.for_call("old") == [] and len(calls.ratings.for_call("new")) == 1
    finally:
        calls.close()


# --- the dashboard: reports page and CSV, the wallboard's review list, the call page ----


@pytest.fixture
def config(tmp_path: Path) -> config_mod.Config:
    return config_mod.load(file=None, env={}, overrides={"state_dir": tmp_path})


def admin_app(config: config_mod.Config) -> tuple[Any, str]:
    _, passwords = AgentStore.for_config(config).add("rahmat", 0, role="admin")
    pop = ScreenPop(config.calllog_path, config.mirror_path)
    return build_app(config, pop=pop, ami=NoAmi()), passwords.web  # type: ignore[arg-type]


def test_reports_page_shows_satisfaction_and_its_csv(
    config: config_mod.Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = CallDb.open(config.calllog_path)
    fill(calls.sql)
    calls.close()
    monkeypatch.setattr(reports, "report_start", lambda now, zone: NOW - 7 * DAY)
    app, password = admin_app(config)

    async def read() -> tuple[str, str]:
        async with logged_in(app, "rahmat", password) as client:
            page = (await client.get("/admin/reports")).text
            answer = await client.get("/admin/reports/satisfaction-agent.csv")
            assert answer.headers["content-type"].startswith("text/csv")
            return page, answer.text

    page, text = asyncio.run(read())
    for by in ("agent", "tier", "topic", "day"):
        assert f'id="report-satisfaction-{by}"' in page
    assert "Kepuasan per petugas" in page and "hajj-tier2" in page
    assert list(csv.reader(io.StringIO(text))) == [
        ["petugas", "penilaian", "rata-rata (1-5)"],
        ["alice", "2", "3.5"],
        ["bob", "1", "4.0"],
    ]


def test_wallboard_lists_low_ratings_to_review_and_the_call_page_shows_the_rating(
    config: config_mod.Config,
) -> None:
    calls = CallDb.open(config.calllog_path)
    calls.calls.start("c2", "0811", "hotline")
    calls.calls.start("c1", "0812", "hotline")
    calls.close()
    now = time.time()
    calls = CallDb.open(config.calllog_path)
    rate(calls.sql, now - 60, "c2", 2, agent="alice", queue="hajj-tier1", topics=("kloter",))
    rate(calls.sql, now - 30, "c1", 5, agent="bob", queue="hajj-tier2")
    calls.close()
    app, password = admin_app(config)

    async def read() -> tuple[dict[str, Any], str, str, str]:
        async with logged_in(app, "rahmat", password) as client:
            board = (await client.get("/admin/api/wallboard")).json()
            page = (await client.get("/admin")).text
            low = (await client.get("/admin/calls/c2")).text
            good = (await client.get("/admin/calls/c1")).text
            return board, page, low, good

    board, page, low, good = asyncio.run(read())
    assert [(r["call_id"], r["score"], r["agent"], r["queue"]) for r in board["review"]] == [
        ("c2", 2, "alice", "hajj-tier1")
    ]
    assert board["review"][0]["at_text"]
    assert 'id="review"' in page and "penilaian rendah" in page
    ratings_table = low.split('id="ratings"', 1)[1]
    assert "perlu ditinjau" in ratings_table and "alice" in ratings_table
    assert "kloter" in ratings_table
    shown = good.split('id="ratings"', 1)[1]
    assert "bob" in shown and "perlu ditinjau" not in shown


def test_wallboard_review_threshold_follows_the_config(tmp_path: Path) -> None:
    config = config_mod.load(
        file=None, env={}, overrides={"state_dir": tmp_path, "ivr.low_rating": 4}
    )
    calls = CallDb.open(config.calllog_path)
    rate(calls.sql, time.time() - 10, "c3", 4, agent="bob", queue="hajj-tier2")
    rate(calls.sql, time.time() - 5, "c4", 5, agent="bob", queue="hajj-tier2")
    calls.close()
    app, password = admin_app(config)

    async def read() -> dict[str, Any]:
        async with logged_in(app, "rahmat", password) as client:
            return dict((await client.get("/admin/api/wallboard")).json())

    assert [r["call_id"] for r in asyncio.run(read())["review"]] == ["c3"]
