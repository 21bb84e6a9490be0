"""The call log: one row per call and its transcript (every prompt as the caller heard it).

A SQLite file of its own (never the data mirror, which is replaced on every import).
WAL mode so the CLI and dashboard read while the controller writes; writes are small and
run inline on the event loop (a commit in WAL with synchronous=NORMAL costs microseconds).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Collection
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from ivr.outcomes import Outcome, Reason
from ivr.store import Schema, delete_where, open_store

_V1 = """
CREATE TABLE IF NOT EXISTS calls (
    id TEXT PRIMARY KEY,          -- Asterisk uniqueid of the IVR channel
    started_at REAL NOT NULL,     -- unix time
    ended_at REAL,
    caller TEXT NOT NULL DEFAULT '',
    route TEXT NOT NULL DEFAULT '',
    -- served | agent | callback | closed | hangup | failed; in_progress while in the IVR
    outcome TEXT NOT NULL DEFAULT 'in_progress',
    reason TEXT NOT NULL DEFAULT ''               -- why a person was needed
);
CREATE INDEX IF NOT EXISTS calls_started ON calls(started_at);
CREATE TABLE IF NOT EXISTS transcript (
    call_id TEXT NOT NULL REFERENCES calls(id),
    seq INTEGER NOT NULL,
    at REAL NOT NULL,
    kind TEXT NOT NULL,           -- say | input | event
    text TEXT NOT NULL,
    prompts TEXT NOT NULL DEFAULT '',  -- prompt ids played, space separated
    interrupted INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (call_id, seq)
);
-- Every porsi looked up (search by porsi; not-found reports by province and kabupaten).
CREATE TABLE IF NOT EXISTS lookups (
    call_id TEXT NOT NULL,
    at REAL NOT NULL,
    porsi TEXT NOT NULL,
    found INTEGER NOT NULL,
    province TEXT NOT NULL,       -- the porsi's first two digits (SISKOHAT province code)
    province_name TEXT,           -- known when found
    kabupaten TEXT                -- known when found
);
CREATE INDEX IF NOT EXISTS lookups_call ON lookups(call_id);
CREATE INDEX IF NOT EXISTS lookups_porsi ON lookups(porsi);
CREATE INDEX IF NOT EXISTS lookups_at ON lookups(at);  -- the retention purge
"""
SCHEMA = Schema("calllog", (_V1,))

# How a topic line starts in the transcript (CallLog.topic; the topics report reads it).
TOPIC_PREFIX = "topic: "


@dataclass(frozen=True)
class CallRow:
    id: str
    started_at: float
    ended_at: float | None
    caller: str
    route: str
    outcome: str
    reason: str


@dataclass(frozen=True)
class Line:
    seq: int
    at: float
    kind: str
    text: str
    prompts: str
    interrupted: bool


def connect(path: Path, *schemas: Schema) -> sqlite3.Connection:
    """Open the call-log database (WAL), creating the call tables and ``schemas``."""
    return open_store(path, SCHEMA, *schemas, wal=True, threads=True)


class CallLog:
    """Writes of the controller: start a call, append lines, finish it."""

    def __init__(
        self, path: Path, *schemas: Schema, clock: Callable[[], float] = time.time
    ) -> None:
        """``schemas``: the tables other stores keep in the call log (queue, callbacks)."""
        self._open(connect(path, *schemas), clock)

    @classmethod
    def over(cls, db: sqlite3.Connection, clock: Callable[[], float] = time.time) -> CallLog:
        """The call log on a connection opened already (ivr.calldb)."""
        log = cls.__new__(cls)
        log._open(db, clock)
        return log

    def _open(self, db: sqlite3.Connection, clock: Callable[[], float]) -> None:
        self.db = db
        self.clock = clock
        self._seq: dict[str, int] = {}

    def close(self) -> None:
        self.db.close()

    def start(self, call_id: str, caller: str, route: str) -> None:
        """A call's first AGI session makes its row; a later one (the callback offer while
        queued) continues the same row and transcript."""
        new = self.db.execute(
            "INSERT OR IGNORE INTO calls (id, started_at, caller, route) VALUES (?, ?, ?, ?)",
            (call_id, self.clock(), caller, route),
        ).rowcount
        self._seq[call_id] = 0 if new else self._last_seq(call_id)

    def _last_seq(self, call_id: str) -> int:
        row = self.db.execute(
            "SELECT COALESCE(MAX(seq), 0) FROM transcript WHERE call_id = ?", (call_id,)
        ).fetchone()
        return int(row[0])

    def exists(self, call_id: str) -> bool:
        return bool(self.db.execute("SELECT 1 FROM calls WHERE id = ?", (call_id,)).fetchone())

    def add(
        self, call_id: str, kind: str, text: str, prompts: str = "", interrupted: bool = False
    ) -> None:
        if call_id in self._seq:  # the IVR part is running: count in memory
            seq = self._seq[call_id] = self._seq[call_id] + 1
        else:  # a line after the IVR part ended (queue events)
            seq = self._last_seq(call_id) + 1
        self.db.execute(
            "INSERT INTO transcript VALUES (?, ?, ?, ?, ?, ?, ?)",
            (call_id, seq, self.clock(), kind, text, prompts, int(interrupted)),
        )

    def topic(self, call_id: str, name: str) -> None:
        """A topic the caller asked about: an event line the topics report counts."""
        self.add(call_id, "event", TOPIC_PREFIX + name)

    def lookup(
        self, call_id: str, porsi: str, kabupaten: str | None, province_name: str = ""
    ) -> None:
        """A porsi the caller keyed was looked up (``kabupaten`` None: not found)."""
        self.db.execute(
            "INSERT INTO lookups VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                call_id,
                self.clock(),
                porsi,
                int(kabupaten is not None),
                porsi[:2],
                province_name or None,
                kabupaten,
            ),
        )

    def finish(self, call_id: str, outcome: Outcome, reason: str = "") -> None:
        self.db.execute(
            "UPDATE calls SET ended_at = ?, outcome = ?, reason = ? WHERE id = ?",
            (self.clock(), outcome, reason, call_id),
        )
        self._seq.pop(call_id, None)

    def leave(self, call_id: str) -> None:
        """A later AGI session ends without changing the call's outcome."""
        self._seq.pop(call_id, None)

    def reconcile(self, before: float, live: Collection[str]) -> tuple[int, int]:
        """Close the calls a previous controller left in progress; (to agent, cut).

        Its AGI sessions died with it, so every such call's IVR part is over: the dialplan
        sent the caller to the queue (controller_incomplete). A call whose channel is still
        up (``live``: Asterisk uniqueids) is with the queue now: ``agent``; the others ended
        unrecorded: ``failed``. Both say ``controller_restart`` and end at their last line.
        Calls started from ``before`` on are this controller's own.
        """
        stale = [
            row[0]
            for row in self.db.execute(
                "SELECT id FROM calls WHERE outcome = ? AND started_at < ?",
                (Outcome.IN_PROGRESS, before),
            )
        ]
        handed = [(Outcome.AGENT, call_id) for call_id in stale if call_id in live]
        cut = [(Outcome.FAILED, call_id) for call_id in stale if call_id not in live]
        self.db.executemany(
            "UPDATE calls SET outcome = ?, reason = ?, ended_at = "
            "(SELECT coalesce(max(t.at), calls.started_at) FROM transcript t "
            " WHERE t.call_id = calls.id) WHERE id = ? AND outcome = ?",
            [
                (outcome, Reason.CONTROLLER_RESTART, call_id, Outcome.IN_PROGRESS)
                for outcome, call_id in handed + cut
            ],
        )
        return len(handed), len(cut)


def purge_calls(
    db: sqlite3.Connection, before: float, dry_run: bool = False, batch: int = 50
) -> tuple[int, int]:
    """Delete the calls started before ``before`` and their transcripts; (calls, lines).

    ``batch`` calls (about 2,000 lines) per transaction, chosen by the calls' index: the
    controller writes this file inline on its event loop and must never wait long.
    """
    if dry_run:
        old = "call_id IN (SELECT id FROM calls WHERE started_at < ?)"
        lines = delete_where(db, "transcript", old, (before,), dry_run=True)
        return delete_where(db, "calls", "started_at < ?", (before,), dry_run=True), lines
    calls = lines = 0
    pick = "SELECT id FROM calls WHERE started_at < ? LIMIT ?"
    while ids := [row[0] for row in db.execute(pick, (before, batch))]:
        marks = ", ".join("?" * len(ids))
        db.execute("BEGIN IMMEDIATE")
        try:
            lines += db.execute(f"DELETE FROM transcript WHERE call_id IN ({marks})", ids).rowcount
            calls += db.execute(f"DELETE FROM calls WHERE id IN ({marks})", ids).rowcount
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
    return calls, lines


def purge_lookups(db: sqlite3.Connection, before: float, dry_run: bool = False) -> int:
    """Delete the porsi lookups made before ``before``."""
    return delete_where(db, "lookups", "at < ?", (before,), dry_run)


@dataclass(frozen=True)
class CallSearch:
    """What the dashboard's call search asks for; empty fields match every call."""

    since: float | None = None  # started at or after
    until: float | None = None  # started before
    caller: str = ""  # part of the caller's number
    porsi: str = ""  # a porsi looked up in the call
    outcome: str = ""  # an Outcome
    limit: int = 200


@dataclass(frozen=True)
class CallSummary:
    """A call as the search lists it, with the porsi it looked up."""

    id: str
    started_at: float
    caller: str
    route: str
    outcome: str
    reason: str
    porsi: str  # every porsi looked up, comma separated


class CallLogReader:
    """Reads for the CLI and the dashboard."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _db(self) -> sqlite3.Connection:
        return connect(self.path)

    def recent(self, limit: int = 20) -> list[CallRow]:
        with closing(self._db()) as db:
            rows = db.execute(
                "SELECT * FROM calls ORDER BY started_at DESC LIMIT ?", (limit,)
            ).fetchall()
        return [CallRow(*row) for row in rows]

    def get(self, call_id: str) -> CallRow | None:
        with closing(self._db()) as db:
            row = db.execute("SELECT * FROM calls WHERE id = ?", (call_id,)).fetchone()
        return CallRow(*row) if row else None

    def search(self, search: CallSearch) -> list[CallSummary]:
        """The calls that match, newest first."""
        where, args = _search_filter(search)
        with closing(self._db()) as db:
            rows = db.execute(
                "SELECT c.id, c.started_at, c.caller, c.route, c.outcome, c.reason, coalesce(("
                "SELECT group_concat(DISTINCT l.porsi) FROM lookups l WHERE l.call_id = c.id"
                f"), '') FROM calls c WHERE {where} ORDER BY c.started_at DESC LIMIT ?",
                (*args, search.limit),
            ).fetchall()
        return [CallSummary(*row) for row in rows]

    def transcript(self, call_id: str) -> list[Line]:
        with closing(self._db()) as db:
            rows = db.execute(
                "SELECT seq, at, kind, text, prompts, interrupted FROM transcript "
                "WHERE call_id = ? ORDER BY seq",
                (call_id,),
            ).fetchall()
        return [Line(r[0], r[1], r[2], r[3], r[4], bool(r[5])) for r in rows]


def _search_filter(search: CallSearch) -> tuple[str, list[object]]:
    """The WHERE clause (of fixed text) and its parameters."""
    where, args = ["1 = 1"], list[object]()
    if search.since is not None:
        where.append("c.started_at >= ?")
        args.append(search.since)
    if search.until is not None:
        where.append("c.started_at < ?")
        args.append(search.until)
    if search.caller:
        where.append("c.caller LIKE ?")
        args.append(f"%{search.caller}%")
    if search.porsi:
        where.append("EXISTS (SELECT 1 FROM lookups l WHERE l.call_id = c.id AND l.porsi = ?)")
        args.append(search.porsi)
    if search.outcome:
        where.append("c.outcome = ?")
        args.append(search.outcome)
    return " AND ".join(where), args
