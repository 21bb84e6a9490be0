"""A node that fell silent (its heartbeat stopped): another node closes the calls and
queue stays it left open in the shared call log, on a real PostgreSQL; a node only late
by less than a minute keeps them, and a call that goes on writes its real ending."""

from __future__ import annotations

import time
from pathlib import Path

import psycopg

from ivr import silentnodes
from ivr.calllog import CallLog
from ivr.heartbeats import Beat, Heartbeats
from ivr.outcomes import Outcome
from ivr.queue.records import QueueRecords
from ivr.store import Sql
from tests.rig import callstores
from tests.rig.postgres import Backend


def beat(sql: Sql, name: str, silent_for: float, url: str) -> None:
    Heartbeats(sql).beat(Beat(name, "ivr", "", "", 1, "", "", time.time() - 3600))
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "UPDATE node_heartbeats SET last_seen = now() - make_interval(secs => %s)"
            " WHERE name = %s",
            (silent_for, name),
        )


def test_silent_nodes_calls_and_stays_closed_by_another_node_late_ones_kept(
    tmp_path: Path, pg_url: str
) -> None:
    backend = Backend("postgresql", tmp_path, pg_url)
    try:
        sql = callstores.stores(backend)
        logs = {name: CallLog.over(sql, node=name) for name in ("dead", "late", "me")}
        for name, log in logs.items():
            log.start(f"{name}-call", "0811", "hotline")
            log.add(f"{name}-call", "say", "Selamat datang")
            QueueRecords(sql, name).joined(f"{name}-call", "hajj-tier1", "0811", "", "", 1.0, 1)
        beat(sql, "dead", 90, pg_url)  # killed a minute and a half ago
        beat(sql, "late", 20, pg_url)  # stale on the nodes page, not yet silent
        beat(sql, "me", 0, pg_url)
        last_line = sql.one("SELECT max(at) FROM transcript WHERE call_id = 'dead-call'")
        assert last_line is not None

        closed = silentnodes.close(Heartbeats(sql), logs["me"], QueueRecords(sql, "me"), "me",
                                   time.time())  # fmt: skip
        assert closed == [silentnodes.Closed("dead", 1, 1)]
        calls = {
            r[0]: tuple(r[1:]) for r in sql.all("SELECT id, outcome, reason, ended_at FROM calls")
        }
        assert calls["dead-call"] == (Outcome.FAILED, "node_silent", last_line[0])
        assert calls["late-call"][:2] == calls["me-call"][:2] == (Outcome.IN_PROGRESS, "")
        stays = {r[0]: r[1] for r in sql.all("SELECT call_id, outcome FROM queue_calls")}
        assert stays == {"dead-call": "unknown", "late-call": "waiting", "me-call": "waiting"}
        # Once closed, nothing is left to close: the next runs list nothing.
        assert silentnodes.close(Heartbeats(sql), logs["me"], QueueRecords(sql, "me"), "me",
                                 time.time()) == []  # fmt: skip

        # The dead node was only slow: its call ends and writes its real ending.
        logs["dead"].finish("dead-call", Outcome.SERVED)
        row = sql.one("SELECT outcome, reason FROM calls WHERE id = 'dead-call'")
        assert row is not None and tuple(row) == (Outcome.SERVED, "")
    finally:
        backend.close()
