"""`hajj-ivr nodes list|forget` on a real PostgreSQL: every node's heartbeat as up, stale
or silent; a node gone for good forgotten with what it left open closed; a running node,
an unknown name and a hotline without [database] url refused with a clear message."""

from __future__ import annotations

import time
from pathlib import Path

import psycopg
import pytest

from ivr import pgstore
from ivr.calllog import CallLog
from ivr.cli.main import main
from ivr.heartbeats import Beat, Heartbeats
from ivr.outcomes import Outcome
from ivr.queue.records import QueueRecords
from tests.test_data_published import node


def test_cli_nodes_without_a_database_url_says_there_are_no_heartbeats(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--state-dir", str(tmp_path), "nodes", "list"]) == 1
    assert "no heartbeats without [database] url" in capsys.readouterr().err


def test_cli_nodes_list_then_forget_the_silent_one_only(
    tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = node(tmp_path / "state", pg_url)
    with pgstore.opened(config.database) as sql:
        store = Heartbeats(sql)
        for name, sip in [("ivr1", "127.0.0.2:5060"), ("ivr2", "127.0.0.3:5060")]:
            store.beat(Beat(name, "ivr", sip, "", 2, "", "2026-04-10", time.time()))
        log = CallLog.over(sql, node="ivr2")
        log.start("left-open", "081234567890", "hotline")
        QueueRecords(sql, "ivr2").joined("left-open", "hajj-tier1", "0812", "", "", 1.0, 1)
    with psycopg.connect(pg_url, autocommit=True) as conn:  # ivr2's server died 2 min ago
        conn.execute(
            "UPDATE node_heartbeats SET last_seen = now() - interval '120 seconds'"
            " WHERE name = 'ivr2'"
        )
    monkeypatch.setenv("HAJJ_IVR_DATABASE_URL", pg_url)
    nodes = ["--state-dir", str(config.state_dir), "nodes"]

    assert main([*nodes, "list"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert [line.split()[:3] for line in listed] == [
        ["ivr1", "ivr", "up"],
        ["ivr2", "ivr", "silent"],
    ]
    assert "sip 127.0.0.3:5060" in listed[1] and "data 2026-04-10" in listed[1]

    assert main([*nodes, "forget", "ivr1"]) == 1
    assert "stop it first" in capsys.readouterr().err
    assert main([*nodes, "forget", "ivr9"]) == 1
    assert "no node 'ivr9' in the heartbeats (known: ivr1, ivr2)" in capsys.readouterr().err

    assert main([*nodes, "forget", "ivr2"]) == 0
    assert "closed its 1 calls and 1 queue stays" in capsys.readouterr().out
    assert main([*nodes, "list"]) == 0
    assert [line.split()[0] for line in capsys.readouterr().out.splitlines()] == ["ivr1"]
    with psycopg.connect(pg_url) as conn:
        call = conn.execute("SELECT outcome, reason FROM calls WHERE id = 'left-open'").fetchone()
        stay = conn.execute(
            "SELECT outcome FROM queue_calls WHERE call_id = 'left-open'"
        ).fetchone()
    assert call == (Outcome.FAILED, "node_silent") and stay == ("unknown",)
