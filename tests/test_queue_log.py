"""Asterisk's queue_log read into the call log (calls.sqlite or PostgreSQL: the
``backend`` fixture runs each test on both): incrementally, across rotation and
truncation, skipping what is not a queue_log line."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from ivr.queue import queuelog
from ivr.queue.queuelog import QueueLog, parse, purge_entries
from ivr.store import Sql
from tests.rig import callstores
from tests.rig.postgres import Backend

ENTER = "1700000000|1700000000.1|hajj-tier1|NONE|ENTERQUEUE||0811000001|1\n"
CONNECT = "1700000005|1700000000.1|hajj-tier1|dewi|CONNECT|5|1700000005.2|2\n"
DONE = "1700000065|1700000000.1|hajj-tier1|dewi|COMPLETECALLER|5|60|1\n"


@pytest.fixture
def db(backend: Backend) -> Sql:
    return callstores.stores(backend)


def events(db: Sql) -> list[str]:
    return [r[0] for r in db.all("SELECT event FROM queue_log ORDER BY id")]


def test_queue_log_read_adds_only_lines_written_since_the_last_read(
    db: Sql, tmp_path: Path
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
    row = db.one("SELECT * FROM queue_log WHERE event = 'COMPLETECALLER'")
    assert row is not None
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


def test_queue_log_enterqueue_keeps_no_caller_number(db: Sql, tmp_path: Path) -> None:
    path = tmp_path / "queue_log"
    path.write_text(ENTER)
    QueueLog(db).read(path)
    stored = " ".join(str(v) for v in db.one("SELECT * FROM queue_log") or ())
    assert "0811000001" not in stored


def test_queue_log_rotated_reads_the_old_files_rest_then_the_new_file(
    db: Sql, tmp_path: Path
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


def test_queue_log_cut_short_is_read_again_from_its_start(db: Sql, tmp_path: Path) -> None:
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
    db: Sql, tmp_path: Path, caplog: pytest.LogCaptureFixture
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


def test_queue_log_purge_deletes_rows_older_than_the_cut(db: Sql, tmp_path: Path) -> None:
    path = tmp_path / "queue_log"
    path.write_text(ENTER + DONE)
    QueueLog(db).read(path)
    assert purge_entries(db, 1700000010, dry_run=True) == 1 and len(events(db)) == 2
    assert purge_entries(db, 1700000010) == 1 and events(db) == ["COMPLETECALLER"]


def test_queue_log_rotated_file_gone_reads_the_new_file_once(db: Sql, tmp_path: Path) -> None:
    path = tmp_path / "queue_log"
    path.write_text(ENTER)
    QueueLog(db).read(path)
    path.unlink()  # rotated and already deleted (`asterisk rotate --keep 0`)
    assert QueueLog(db).read(path) == 0
    path.write_text(DONE)
    assert QueueLog(db).read(path) == 1 and QueueLog(db).read(path) == 0
    assert events(db) == ["ENTERQUEUE", "COMPLETECALLER"]


def test_queue_log_more_lines_than_a_statement_takes_are_added_in_batches_once(
    db: Sql, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(queuelog, "ROWS", 2)  # 5 lines: three batches, each with its offset
    path = tmp_path / "queue_log"
    path.write_text(ENTER + CONNECT + DONE + ENTER + CONNECT)
    assert QueueLog(db).read(path) == 5 and QueueLog(db).read(path) == 0
    with path.open("a") as f:
        f.write(DONE)
    path.rename(tmp_path / "queue_log.1700000070")
    path.write_text(ENTER + CONNECT + DONE)  # the old file's last line, then three new
    assert QueueLog(db).read(path) == 4 and QueueLog(db).read(path) == 0
    assert events(db) == ["ENTERQUEUE", "CONNECT", "COMPLETECALLER"] * 3


def test_queue_log_two_readers_share_where_the_read_stopped(
    backend: Backend, tmp_path: Path
) -> None:
    """A second controller (or one restarted) goes on where the first stopped."""
    path = tmp_path / "queue_log"
    path.write_text(ENTER)
    QueueLog(callstores.stores(backend)).read(path)
    with path.open("a") as f:
        f.write(CONNECT)
    other = callstores.stores(backend)
    assert QueueLog(other).read(path) == 1
    assert events(other) == ["ENTERQUEUE", "CONNECT"]


def test_queue_log_two_nodes_files_at_one_path_are_read_each_on_its_own(
    backend: Backend, tmp_path: Path
) -> None:
    """Nodes sharing PostgreSQL each read their own queue_log, at the same path on their
    own machines: where each stopped is kept under its node's name."""
    path = tmp_path / "queue_log"
    path.write_text(ENTER)
    one = QueueLog(callstores.stores(backend), node="agent1:4573")
    assert one.read(path) == 1
    other_file = tmp_path / "other" / "queue_log"
    other_file.parent.mkdir()
    other_file.write_text(CONNECT + DONE)
    two = QueueLog(callstores.stores(backend), node="agent2:4573")
    assert two.read(other_file) == 2 and one.read(path) == 0 and two.read(other_file) == 0
