"""The call log: a row per call and its transcript, in a real SQLite file."""

from __future__ import annotations

from pathlib import Path

from ivr.calllog import CallLog, CallLogReader
from ivr.outcomes import Outcome


def test_calllog_call_with_lines_reads_back_in_order(tmp_path: Path) -> None:
    log = CallLog(tmp_path / "calls.sqlite")
    log.start("c1", "0812", "hotline")
    log.add("c1", "say", "Selamat datang", "greeting", interrupted=True)
    log.add("c1", "input", "123")
    log.finish("c1", Outcome.AGENT, "no_input")
    log.close()

    reader = CallLogReader(tmp_path / "calls.sqlite")
    row = reader.get("c1")
    lines = reader.transcript("c1")

    assert row is not None and (row.outcome, row.reason, row.caller) == (
        "agent",
        "no_input",
        "0812",
    )
    assert row.ended_at is not None and row.ended_at >= row.started_at
    assert [(x.seq, x.kind, x.text, x.interrupted) for x in lines] == [
        (1, "say", "Selamat datang", True),
        (2, "input", "123", False),
    ]


def test_calllog_recent_newest_first(tmp_path: Path) -> None:
    log = CallLog(tmp_path / "calls.sqlite")
    for call_id in ("a", "b", "c"):
        log.start(call_id, "", "hotline")
    log.close()

    assert [c.id for c in CallLogReader(tmp_path / "calls.sqlite").recent(2)] == ["c", "b"]


def test_calllog_reconcile_calls_left_in_progress_closed_by_whether_the_channel_lives(
    tmp_path: Path,
) -> None:
    log = CallLog(tmp_path / "calls.sqlite")
    for call_id in ("queued", "cut", "done", "mine"):
        log.start(call_id, "0812", "hotline")
        log.add(call_id, "say", "Selamat datang")
    log.finish("done", Outcome.SERVED)
    at = {
        c: log.db.execute("SELECT max(at) FROM transcript WHERE call_id = ?", (c,)).fetchone()[0]
        for c in ("queued", "cut")
    }
    log.db.execute("UPDATE calls SET started_at = started_at - 60 WHERE id != 'mine'")
    restart = log.db.execute("SELECT started_at FROM calls WHERE id = 'mine'").fetchone()[0]

    assert log.reconcile(restart, live={"queued", "mine"}) == (1, 1)
    assert log.reconcile(restart, live=set()) == (0, 0)  # once closed, left alone
    reader = CallLogReader(tmp_path / "calls.sqlite")
    rows = {c: reader.get(c) for c in ("queued", "cut", "done", "mine")}
    assert {c: (r.outcome, r.reason) for c, r in rows.items() if r} == {
        "queued": ("agent", "controller_restart"),
        "cut": ("failed", "controller_restart"),
        "done": ("served", ""),
        "mine": ("in_progress", ""),  # this controller's own call, running
    }
    # They end where the transcript last heard of them, not at the restart.
    assert {c: r.ended_at for c, r in rows.items() if r and c in at} == at
