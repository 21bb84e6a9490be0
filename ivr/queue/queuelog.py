"""Asterisk's queue log, read into the call log: one row per line of ``queue_log``.

app_queue writes a line for every step of a queue call and of an agent's day
(``time|callid|queue|agent|EVENT|data1|...``: ENTERQUEUE, RINGNOANSWER, CONNECT,
COMPLETEAGENT, BLINDTRANSFER, ADDMEMBER, PAUSE with its reason, ...). A periodic job of
the controller reads what was added since the last read (``QueueLog.read``): where it
stopped (the file's inode and offset) is kept in the same database, so a restart neither
loses nor repeats a line. A file rotated (new inode) or cut short (smaller than where we
stopped) is read again from its start. A line that does not parse is skipped with a
warning; a last line still being written (no newline yet) waits for the next read.
"""

from __future__ import annotations

import logging
import os
import re
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ivr.store import Schema, delete_where

log = logging.getLogger(__name__)

_V1 = """
CREATE TABLE IF NOT EXISTS queue_log (
    id INTEGER PRIMARY KEY,
    at REAL NOT NULL,                 -- when (Unix time, as Asterisk wrote it)
    call_id TEXT NOT NULL DEFAULT '', -- uniqueid of the caller's channel, or NONE
    queue TEXT NOT NULL DEFAULT '',
    agent TEXT NOT NULL DEFAULT '',   -- the member's name (the agent), or NONE
    event TEXT NOT NULL,
    data1 TEXT NOT NULL DEFAULT '',
    data2 TEXT NOT NULL DEFAULT '',
    data3 TEXT NOT NULL DEFAULT '',
    data4 TEXT NOT NULL DEFAULT '',
    data5 TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS queue_log_agent ON queue_log(agent, at);
CREATE INDEX IF NOT EXISTS queue_log_at ON queue_log(at);
CREATE TABLE IF NOT EXISTS queue_log_reads (
    path TEXT PRIMARY KEY,
    inode INTEGER NOT NULL,
    offset INTEGER NOT NULL
);
"""
SCHEMA = Schema("queue_log", (_V1,))

# One read takes at most this much (a backlog after a long stop is read over a few runs,
# never held in memory at once).
CHUNK = 4 * 1024 * 1024
# A line longer than this is not app_queue's: skipped rather than waited for for ever.
MAX_LINE = 64 * 1024
EVENT = re.compile(r"^[A-Z][A-Z_]*$")
DATA_FIELDS = 5
# ENTERQUEUE's data2 is the caller's number: personal data the queue stays (with their
# purge) already keep; this table keeps who worked, not who called.
CALLER_FIELD = {"ENTERQUEUE": 1}


@dataclass(frozen=True)
class Entry:
    at: float
    call_id: str
    queue: str
    agent: str
    event: str
    data: tuple[str, ...]  # data1 .. data5, '' where absent


def parse(line: str) -> Entry | None:
    """One queue_log line, or None when it is not one."""
    fields = line.rstrip("\r\n").split("|")
    if len(fields) < 5 or not EVENT.match(fields[4]):
        return None
    try:
        at = float(fields[0])
    except ValueError:
        return None
    data = fields[5 : 5 + DATA_FIELDS]
    if len(fields) > 5 + DATA_FIELDS:  # more fields than columns: the rest in the last
        data[-1] = "|".join(fields[4 + DATA_FIELDS :])
    data += [""] * (DATA_FIELDS - len(data))
    hidden = CALLER_FIELD.get(fields[4])
    if hidden is not None:
        data[hidden] = ""
    return Entry(at, fields[1], fields[2], fields[3], fields[4], tuple(data))


class QueueLog:
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def read(self, path: Path) -> int:
        """Add the lines written to ``path`` since the last read; how many were added.
        No file yet (queue_log is created at the first queue event) adds nothing. After a
        rotation the old file's last lines (written after our last read) come first."""
        added = self._rest_of_rotated(path)
        return added + self._read(path)

    def _rest_of_rotated(self, path: Path) -> int:
        row = self.db.execute(
            "SELECT inode, offset FROM queue_log_reads WHERE path = ?", (str(path),)
        ).fetchone()
        now = _inode(path)
        if row is None or now in (None, row[0]):
            return 0
        # `logger rotate` renamed it NAME.<time> beside the new one (rotatestrategy); it
        # is complete, so all of its rest is read at once.
        old = next((p for p in path.parent.glob(path.name + ".*") if _inode(p) == row[0]), None)
        entries = []
        if old is not None:
            with old.open("rb") as f:
                f.seek(row[1])
                entries = list(_entries(f.read(), old))
        with self.db:  # the rest and "the new file from its start" together: never twice
            self.add(entries)
            self._reached(path, now, 0)
        return len(entries)

    def _read(self, path: Path) -> int:
        try:
            with path.open("rb") as f:
                status = os.fstat(f.fileno())
                inode, offset = status.st_ino, self._offset(path, status.st_ino, status.st_size)
                f.seek(offset)
                chunk = f.read(CHUNK)
        except FileNotFoundError:
            return 0
        whole = chunk.rfind(b"\n") + 1
        if whole == 0 and len(chunk) > MAX_LINE:
            whole = len(chunk)  # no newline in far too long a line: skip past it
        entries = list(_entries(chunk[:whole], path))
        with self.db:
            self.add(entries)
            self._reached(path, inode, offset + whole)
        return len(entries)

    def _reached(self, path: Path, inode: int, offset: int) -> None:
        self.db.execute(
            "INSERT INTO queue_log_reads (path, inode, offset) VALUES (?, ?, ?) "
            "ON CONFLICT (path) DO UPDATE SET inode = excluded.inode, offset = excluded.offset",
            (str(path), inode, offset),
        )

    def _offset(self, path: Path, inode: int, size: int) -> int:
        row = self.db.execute(
            "SELECT inode, offset FROM queue_log_reads WHERE path = ?", (str(path),)
        ).fetchone()
        if row is None:
            return 0
        if row[0] != inode or row[1] > size:
            log.info("%s was rotated or cut short: reading it from its start", path)
            return 0
        return int(row[1])

    def add(self, entries: Iterable[Entry]) -> None:
        self.db.executemany(
            "INSERT INTO queue_log (at, call_id, queue, agent, event, "
            "data1, data2, data3, data4, data5) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(e.at, e.call_id, e.queue, e.agent, e.event, *e.data) for e in entries],
        )

    def for_agent(self, agent: str) -> list[Entry]:
        rows = self.db.execute(
            "SELECT at, call_id, queue, agent, event, data1, data2, data3, data4, data5 "
            "FROM queue_log WHERE agent = ? ORDER BY at, id",
            (agent,),
        ).fetchall()
        return [Entry(r[0], r[1], r[2], r[3], r[4], tuple(r[5:])) for r in rows]


def _inode(path: Path) -> int | None:
    try:
        return path.stat().st_ino
    except FileNotFoundError:
        return None


def _entries(chunk: bytes, path: Path) -> Iterable[Entry]:
    for raw in chunk.splitlines():
        if not raw.strip():
            continue
        try:
            entry = parse(raw.decode("utf-8"))
        except UnicodeDecodeError:
            entry = None
        if entry is None:
            log.warning("%s: skipped a garbled line (%d bytes)", path, len(raw))
            continue
        yield entry


def purge_entries(db: sqlite3.Connection, before: float, dry_run: bool = False) -> int:
    """Delete the queue log rows older than ``before`` (the call log's retention)."""
    return delete_where(db, "queue_log", "at < ?", (before,), dry_run)
