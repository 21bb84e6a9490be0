"""Asterisk's queue_log read into calls.sqlite: incrementally, across rotation and
truncation, skipping what is not a queue_log line."""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from ivr.calldb import open_calldb
from ivr.queue.queuelog import QueueLog, parse, purge_entries

ENTER = "1700000000|1700000000.1|hajj-tier1|NONE|ENTERQUEUE||0811000001|1\n"
CONNECT = "1700000005|1700000000.1|hajj-tier1|dewi|CONNECT|5|1700000005.2|2\n"
DONE = "1700000065|1700000000.1|hajj-tier1|dewi|COMPLETECALLER|5|60|1\n"


@pytest.fixture
def db(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    with closing(open_calldb(tmp_path / "calls.sqlite")) as conn:
        yield conn


def events(db: sqlite3.Connection) -> list[str]:
    return [r[0] for r in db.execute("SELECT event FROM queue_log ORDER BY id")]


def test_queue_log_read_adds_only_lines_written_since_the_last_read(
    db: sqlite3.Connection, tmp_path: Path
) -> None:
    path = tmp_path / "queue_log"
    assert QueueLog(db).read(path) == 0  # no file yet
    path.write_text(ENTER)
    assert QueueLog(db).read(path) == 1
    with path.open("a") as f:
        f.write(CONNECT + DONE[:20])  # the last line still being written
    assert QueueLog(db).read(path) == 1
    with path.open("a") as f:
        f.write(DONE[20:])
    assert QueueLog(db).read(path) == 1 and QueueLog(db).read(path) == 0
    assert events(db) == ["ENTERQUEUE", "CONNECT", "COMPLETECALLER"]
    row = db.execute("SELECT * FROM queue_log WHERE event = 'COMPLETECALLER'").fetchone()
    assert row[1:] == (
        1700000065.0,
        "1700000000.1",
        "hajj-tier1",
        "dewi",
        "COMPLETECALLER",
        "5",
        "60",
        "1",
        "",
        "",
    )


def test_queue_log_enterqueue_keeps_no_caller_number(
    db: sqlite3.Connection, tmp_path: Path
) -> None:
    path = tmp_path / "queue_log"
    path.write_text(ENTER)
    QueueLog(db).read(path)
    stored = " ".join(str(v) for v in db.execute("SELECT * FROM queue_log").fetchone())
    assert "0811000001" not in stored


def test_queue_log_rotated_reads_the_old_files_rest_then_the_new_file(
    db: sqlite3.Connection, tmp_path: Path
) -> None:
    path = tmp_path / "queue_log"
    path.write_text(ENTER)
    QueueLog(db).read(path)
    with path.open("a") as f:
        f.write(CONNECT)  # written after our read, before the rotation
    path.rename(tmp_path / "queue_log.1700000070")  # what `logger rotate` does
    path.write_text(DONE)
    assert QueueLog(db).read(path) == 2
    assert events(db) == ["ENTERQUEUE", "CONNECT", "COMPLETECALLER"]


def test_queue_log_cut_short_is_read_again_from_its_start(
    db: sqlite3.Connection, tmp_path: Path
) -> None:
    path = tmp_path / "queue_log"
    path.write_text(ENTER + CONNECT)
    QueueLog(db).read(path)
    with path.open("r+") as f:  # truncated in place (same inode), then written again
        f.truncate(0)
        f.write(DONE)
    assert os.path.getsize(path) < len(ENTER + CONNECT)
    assert QueueLog(db).read(path) == 1
    assert events(db) == ["ENTERQUEUE", "CONNECT", "COMPLETECALLER"]


def test_queue_log_garbled_line_is_skipped_with_a_warning(
    db: sqlite3.Connection, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "queue_log"
    path.write_bytes(
        ENTER.encode()
        + b"not a queue log line\n"
        + b"\xff\xfe|x|y|z|PAUSE\n"
        + b"soon|1|q|a|PAUSE|x\n"
        + CONNECT.encode()
    )
    with caplog.at_level(logging.WARNING, logger="ivr.queue.queuelog"):
        assert QueueLog(db).read(path) == 2
    assert events(db) == ["ENTERQUEUE", "CONNECT"]
    assert sum("garbled" in r.getMessage() for r in caplog.records) == 3


def test_queue_log_parse_keeps_extra_fields_in_the_last_column() -> None:
    entry = parse("1|c|q|a|ATTENDEDTRANSFER|LINK|x|y|4|50|2|extra\n")
    assert entry is not None and entry.data == ("LINK", "x", "y", "4", "50|2|extra")
    assert parse("1|c|q|a|lower") is None and parse("1|c|q|a") is None


def test_queue_log_purge_deletes_rows_older_than_the_cut(
    db: sqlite3.Connection, tmp_path: Path
) -> None:
    path = tmp_path / "queue_log"
    path.write_text(ENTER + DONE)
    QueueLog(db).read(path)
    assert purge_entries(db, 1700000010, dry_run=True) == 1 and len(events(db)) == 2
    assert purge_entries(db, 1700000010) == 1 and events(db) == ["COMPLETECALLER"]


def test_queue_log_rotated_file_gone_reads_the_new_file_once(
    db: sqlite3.Connection, tmp_path: Path
) -> None:
    path = tmp_path / "queue_log"
    path.write_text(ENTER)
    QueueLog(db).read(path)
    path.unlink()  # rotated and already deleted (`asterisk rotate --keep 0`)
    assert QueueLog(db).read(path) == 0
    path.write_text(DONE)
    assert QueueLog(db).read(path) == 1 and QueueLog(db).read(path) == 0
    assert events(db) == ["ENTERQUEUE", "COMPLETECALLER"]
