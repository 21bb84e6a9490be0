"""The call log: a row per call and its transcript, in a real SQLite file."""

from __future__ import annotations

from pathlib import Path

from ivr.calllog import CallLog, CallLogReader


def test_calllog_call_with_lines_reads_back_in_order(tmp_path: Path) -> None:
    log = CallLog(tmp_path / "calls.sqlite")
    log.start("c1", "0812", "hotline")
    log.add("c1", "say", "Selamat datang", "greeting", interrupted=True)
    log.add("c1", "input", "123")
    log.finish("c1", "agent", "no_input")
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
