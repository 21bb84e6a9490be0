"""The call log: one row per call and its transcript (every prompt as the caller heard it).

Its tables live in calls.sqlite (never the data mirror, which is replaced on every import),
or with ``[database] url`` in PostgreSQL, where every node's calls meet: the same queries
on either (ivr.store.Sql). On SQLite, WAL mode lets the CLI and dashboard read while the
controller writes; the writes are small and run inline on the event loop (a commit in WAL
with synchronous=NORMAL costs microseconds; PostgreSQL's round trip: docs/decisions.md).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Collection
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

from ivr import storeplace
from ivr.outcomes import Outcome, Reason
from ivr.settings import DatabaseSettings
from ivr.store import Schema, Sql, SqliteSql, add_columns, open_store

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
# v2: the node whose controller took the call (a restarted node closes only its own).
SCHEMA = Schema("calllog", (_V1, add_columns("calls", {"node": "TEXT NOT NULL DEFAULT ''"})))

# The same tables in PostgreSQL (ivr.pgstore migrates them). No foreign key from the
# transcript to its call: SQLite never enforced it (foreign_keys is off).
_PG_V1 = """
CREATE TABLE IF NOT EXISTS calls (
    id TEXT PRIMARY KEY,
    started_at DOUBLE PRECISION NOT NULL,
    ended_at DOUBLE PRECISION,
    caller TEXT NOT NULL DEFAULT '',
    route TEXT NOT NULL DEFAULT '',
    outcome TEXT NOT NULL DEFAULT 'in_progress',
    reason TEXT NOT NULL DEFAULT '',
    node TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS calls_started ON calls(started_at);
CREATE INDEX IF NOT EXISTS calls_outcome ON calls(outcome, started_at);
CREATE TABLE IF NOT EXISTS transcript (
    call_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    at DOUBLE PRECISION NOT NULL,
    kind TEXT NOT NULL,
    text TEXT NOT NULL,
    prompts TEXT NOT NULL DEFAULT '',
    interrupted INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (call_id, seq)
);
CREATE TABLE IF NOT EXISTS lookups (
    call_id TEXT NOT NULL,
    at DOUBLE PRECISION NOT NULL,
    porsi TEXT NOT NULL,
    found INTEGER NOT NULL,
    province TEXT NOT NULL,
    province_name TEXT,
    kabupaten TEXT
);
CREATE INDEX IF NOT EXISTS lookups_call ON lookups(call_id);
CREATE INDEX IF NOT EXISTS lookups_porsi ON lookups(porsi);
CREATE INDEX IF NOT EXISTS lookups_at ON lookups(at);
"""
PG_SCHEMA = Schema("calllog", (_PG_V1,))

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
    node: str = ""  # whose controller took it ("": one node, or before v2)


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
        """calls.sqlite at ``path`` (``schemas``: the tables other stores keep in it)."""
        db = connect(path, *schemas)
        self._open(SqliteSql(db), clock, db.close)

    @classmethod
    def over(
        cls,
        db: sqlite3.Connection | Sql,
        clock: Callable[[], float] = time.time,
        close: Callable[[], None] | None = None,
        node: str = "",
    ) -> CallLog:
        """The call log on a connection or Sql opened already (ivr.calldb: ``close`` is
        what closes it at the controller's stop; ``node``: the controller's name, written
        on each call it takes)."""
        log = cls.__new__(cls)
        log._open(SqliteSql(db) if isinstance(db, sqlite3.Connection) else db, clock, close)
        log.node = node
        return log

    def _open(self, sql: Sql, clock: Callable[[], float], close: Callable[[], None] | None) -> None:
        self.sql, self.clock, self.node = sql, clock, ""
        self._close = close  # None: someone else's connection, closed by them
        self._seq: dict[str, int] = {}

    def close(self) -> None:
        if self._close is not None:
            self._close()

    def start(self, call_id: str, caller: str, route: str) -> None:
        """A call's first AGI session makes its row; a later one (the callback offer while
        queued) continues the same row and transcript."""
        new = self.sql.run(
            "INSERT INTO calls (id, started_at, caller, route, node) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (id) DO NOTHING",
            (call_id, self.clock(), caller, route, self.node),
        )
        self._seq[call_id] = 0 if new else self._last_seq(call_id)

    def _last_seq(self, call_id: str) -> int:
        row = self.sql.one(
            "SELECT COALESCE(MAX(seq), 0) FROM transcript WHERE call_id = ?", (call_id,)
        )
        return int(row[0]) if row else 0

    def exists(self, call_id: str) -> bool:
        return self.sql.one("SELECT 1 FROM calls WHERE id = ?", (call_id,)) is not None

    def add(
        self, call_id: str, kind: str, text: str, prompts: str = "", interrupted: bool = False
    ) -> None:
        if call_id in self._seq:  # the IVR part is running: count in memory
            seq = self._seq[call_id] = self._seq[call_id] + 1
        else:  # a line after the IVR part ended (queue events)
            seq = self._last_seq(call_id) + 1
        self.sql.run(
            "INSERT INTO transcript (call_id, seq, at, kind, text, prompts, interrupted)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (call_id, seq, self.clock(), kind, text, prompts, int(interrupted)),
        )

    def topic(self, call_id: str, name: str) -> None:
        """A topic the caller asked about: an event line the topics report counts."""
        self.add(call_id, "event", TOPIC_PREFIX + name)

    def lookup(
        self, call_id: str, porsi: str, kabupaten: str | None, province_name: str = ""
    ) -> None:
        """A porsi the caller keyed was looked up (``kabupaten`` None: not found)."""
        self.sql.run(
            "INSERT INTO lookups (call_id, at, porsi, found, province, province_name,"
            " kabupaten) VALUES (?, ?, ?, ?, ?, ?, ?)",
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
        self.sql.run(
            "UPDATE calls SET ended_at = ?, outcome = ?, reason = ? WHERE id = ?",
            (self.clock(), outcome, reason, call_id),
        )
        self._seq.pop(call_id, None)

    def leave(self, call_id: str) -> None:
        """A later AGI session ends without changing the call's outcome."""
        self._seq.pop(call_id, None)

    def reconcile(
        self, before: float, live: Collection[str], node: str | None = None, why: str = ""
    ) -> tuple[int, int]:
        """Close the calls a previous controller left in progress; (to agent, cut).

        Its AGI sessions died with it, so every such call's IVR part is over: the dialplan
        sent the caller to the queue (controller_incomplete). A call whose channel is still
        up (``live``: Asterisk uniqueids) is with the queue now: ``agent``; the others ended
        unrecorded: ``failed``. Both say ``controller_restart`` and end at their last line.
        Calls started from ``before`` on are this controller's own. ``node``: only that
        node's calls (and unnamed ones), as ``live`` is only its Asterisk's channels (nodes
        sharing PostgreSQL); None: every call (SQLite, one node). ``why``: another reason.
        """
        mine, args = ("", ()) if node is None else (" AND node IN (?, '')", (node,))
        stale = [
            row[0]
            for row in self.sql.all(
                f"SELECT id FROM calls WHERE outcome = ? AND started_at < ?{mine}",
                (Outcome.IN_PROGRESS, before, *args),
            )
        ]
        handed = [(Outcome.AGENT, call_id) for call_id in stale if call_id in live]
        cut = [(Outcome.FAILED, call_id) for call_id in stale if call_id not in live]
        for outcome, call_id in handed + cut:
            self.sql.run(
                "UPDATE calls SET outcome = ?, reason = ?, ended_at = "
                "(SELECT coalesce(max(t.at), calls.started_at) FROM transcript t "
                " WHERE t.call_id = calls.id) WHERE id = ? AND outcome = ?",
                (outcome, why or Reason.CONTROLLER_RESTART, call_id, Outcome.IN_PROGRESS),
            )
        return len(handed), len(cut)


def purge_calls(sql: Sql, before: float, dry_run: bool = False, batch: int = 50) -> tuple[int, int]:
    """Delete the calls started before ``before`` and their transcripts; (calls, lines).

    ``batch`` calls (about 2,000 lines) a round, chosen by the calls' index: the controller
    writes these tables inline on its event loop and must never wait long. Each statement
    commits on its own: a purge stopped between a batch's lines and its calls leaves calls
    without lines, which the next purge takes.
    """
    if dry_run:
        old = "call_id IN (SELECT id FROM calls WHERE started_at < ?)"
        lines = sql.delete_where("transcript", old, (before,), dry_run=True)
        return sql.delete_where("calls", "started_at < ?", (before,), dry_run=True), lines
    calls = lines = 0
    pick = "SELECT id FROM calls WHERE started_at < ? LIMIT ?"
    while ids := [row[0] for row in sql.all(pick, (before, batch))]:
        marks = ", ".join("?" * len(ids))
        lines += sql.run(f"DELETE FROM transcript WHERE call_id IN ({marks})", ids)
        calls += sql.run(f"DELETE FROM calls WHERE id IN ({marks})", ids)
    return calls, lines


def purge_lookups(sql: Sql, before: float, dry_run: bool = False) -> int:
    """Delete the porsi lookups made before ``before``."""
    return sql.delete_where("lookups", "at < ?", (before,), dry_run)


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
    """Reads for the CLI, the dashboard and the screen pop: calls.sqlite at ``path``, or
    with ``database.url`` PostgreSQL (ivr.storeplace), one connection per read."""

    def __init__(self, path: Path, database: DatabaseSettings | None = None) -> None:
        self.path = path
        self.database = database or DatabaseSettings()

    def _sql(self) -> AbstractContextManager[Sql]:
        return storeplace.opened(self.database, self.path, (SCHEMA,), wal=True)

    def recent(self, limit: int = 20) -> list[CallRow]:
        with self._sql() as sql:
            rows = sql.all(f"SELECT {_CALL} FROM calls ORDER BY started_at DESC LIMIT ?", (limit,))
        return [CallRow(*row) for row in rows]

    def get(self, call_id: str) -> CallRow | None:
        with self._sql() as sql:
            row = sql.one(f"SELECT {_CALL} FROM calls WHERE id = ?", (call_id,))
        return CallRow(*row) if row else None

    def search(self, search: CallSearch) -> list[CallSummary]:
        """The calls that match, newest first."""
        where, args = _search_filter(search)
        with self._sql() as sql:
            rows = sql.all(
                "SELECT c.id, c.started_at, c.caller, c.route, c.outcome, c.reason "
                f"FROM calls c WHERE {where} ORDER BY c.started_at DESC LIMIT ?",
                (*args, search.limit),
            )
            porsi = _porsi_of(sql, [row[0] for row in rows])
        return [
            CallSummary(c, started, caller, route, outcome, reason, ",".join(porsi.get(c, ())))
            for c, started, caller, route, outcome, reason in rows
        ]

    def transcript(self, call_id: str) -> list[Line]:
        with self._sql() as sql:
            rows = sql.all(
                "SELECT seq, at, kind, text, prompts, interrupted FROM transcript "
                "WHERE call_id = ? ORDER BY seq",
                (call_id,),
            )
        return [Line(r[0], r[1], r[2], r[3], r[4], bool(r[5])) for r in rows]


_CALL = "id, started_at, ended_at, caller, route, outcome, reason, node"


def _porsi_of(sql: Sql, call_ids: list[str]) -> dict[str, list[str]]:
    """Each call's porsi looked up, each once, in the order first keyed (one query for the
    page, in Python: SQLite's group_concat is PostgreSQL's string_agg)."""
    marks, found = ", ".join("?" * len(call_ids)), dict[str, list[str]]()
    query = f"SELECT call_id, porsi FROM lookups WHERE call_id IN ({marks}) ORDER BY at"
    for call_id, porsi in sql.all(query, call_ids) if call_ids else []:
        if porsi not in found.setdefault(call_id, []):
            found[call_id].append(porsi)
    return found


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
