"""After-call dispositions (calls.sqlite): what the agent says a call was about, whether
it was resolved, and a note, written from the console once the call ends.

One row per disposition, tied to the call by the IVR channel's uniqueid (``calls.id``),
under the name of the logged-in agent who wrote it (the console lets an agent write only
for a call they took: ivr/web/console.py). The topics are the call log's (``topic:`` lines,
ivr.calllog.TOPIC_PREFIX, counted by the topics report) plus "other". Rows go with their
calls (``purge_dispositions``, ``retention.calls_days``).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass

from ivr.store import Schema, delete_where

_V1 = """
CREATE TABLE IF NOT EXISTS dispositions (
    id INTEGER PRIMARY KEY,
    call_id TEXT NOT NULL,            -- calls.id: Asterisk uniqueid of the IVR channel
    agent TEXT NOT NULL,              -- the web login that wrote it
    at REAL NOT NULL,                 -- unix time
    topic TEXT NOT NULL,              -- a word of TOPICS
    resolved INTEGER NOT NULL CHECK (resolved IN (0, 1)),
    note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS dispositions_call ON dispositions(call_id);
CREATE INDEX IF NOT EXISTS dispositions_at ON dispositions(at);
"""
SCHEMA = Schema("dispositions", (_V1,))

# The call log's topic words (the flows' call.topic), in the agent's words; "other" last.
TOPICS = {
    "estimate": "Perkiraan keberangkatan",
    "kloter": "Kloter",
    "documents": "Dokumen, paspor, visa",
    "payment": "Pelunasan",
    "office": "Kantor Kemenag",
    "general": "Informasi umum",
    "pembatalan": "Pembatalan porsi",
    "pelimpahan": "Pelimpahan porsi",
    "complaint": "Pengaduan",
    "correction": "Data tidak sesuai",
    "umrah": "Umrah",
    "ppiu": "Izin biro umrah (PPIU)",
    "other": "Lainnya",
}
NOTE_MAX = 2000  # characters: a note, not a report


class DispositionError(ValueError):
    """A disposition the store refuses (unknown topic, note too long)."""


@dataclass(frozen=True)
class Disposition:
    id: int
    call_id: str
    agent: str
    at: float
    topic: str
    resolved: bool
    note: str

    @property
    def topic_label(self) -> str:
        return TOPICS.get(self.topic, self.topic)


class Dispositions:
    def __init__(self, db: sqlite3.Connection, clock: Callable[[], float] = time.time) -> None:
        self.db = db
        self.clock = clock

    def add(self, call_id: str, agent: str, topic: str, resolved: bool, note: str) -> Disposition:
        if topic not in TOPICS:
            raise DispositionError(f"unknown topic {topic!r}")
        if len(note) > NOTE_MAX or not call_id or not agent:
            raise DispositionError("a disposition needs a call and an agent, and a short note")
        at = self.clock()
        with self.db:
            cur = self.db.execute(
                "INSERT INTO dispositions (call_id, agent, at, topic, resolved, note)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (call_id, agent, at, topic, int(resolved), note.strip()),
            )
        return Disposition(int(cur.lastrowid or 0), call_id, agent, at, topic, resolved, note)

    def for_call(self, call_id: str) -> list[Disposition]:
        rows = self.db.execute(
            "SELECT id, call_id, agent, at, topic, resolved, note FROM dispositions"
            " WHERE call_id = ? ORDER BY at",
            (call_id,),
        ).fetchall()
        return [Disposition(r[0], r[1], r[2], r[3], r[4], bool(r[5]), r[6]) for r in rows]


def purge_dispositions(db: sqlite3.Connection, before: float, dry_run: bool = False) -> int:
    """Delete the dispositions of calls started before ``before`` (run before the calls
    go), and any older than that whose call is gone already."""
    where = "call_id IN (SELECT id FROM calls WHERE started_at < ?) OR at < ?"
    return delete_where(db, "dispositions", where, (before, before), dry_run)
