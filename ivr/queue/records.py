"""Queue stays in the call log: one row each time a call waits in an agent queue.

Fed by app_queue's AMI events (see tracker.py). A call that loops through a callback
offer or is transferred up a tier has one row per stay; ``call_id`` ties them to the call.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum

from ivr.store import Schema, delete_where

_V1 = """
CREATE TABLE IF NOT EXISTS queue_calls (
    id INTEGER PRIMARY KEY,
    call_id TEXT NOT NULL,            -- Asterisk uniqueid of the waiting channel
    queue TEXT NOT NULL,
    caller TEXT NOT NULL DEFAULT '',
    reason TEXT NOT NULL DEFAULT '',  -- why the call came to a person (HAJJ_REASON)
    porsi TEXT NOT NULL DEFAULT '',
    joined_at REAL NOT NULL,
    position INTEGER NOT NULL DEFAULT 0,
    rings INTEGER NOT NULL DEFAULT 0, -- agents rung who did not answer
    answered_at REAL,
    agent TEXT NOT NULL DEFAULT '',
    wait REAL,                        -- seconds until answered, abandoned or left
    talk REAL,
    ended_at REAL,
    -- waiting | answered | abandoned | left (timeout or offer) | transferred | callback
    -- | unknown (it ended while the controller or AMI was down: nobody saw how)
    outcome TEXT NOT NULL DEFAULT 'waiting'
);
CREATE INDEX IF NOT EXISTS queue_calls_call ON queue_calls(call_id);
CREATE INDEX IF NOT EXISTS queue_calls_joined ON queue_calls(joined_at);
"""
SCHEMA = Schema("queue_records", (_V1,))


class StayOutcome(StrEnum):
    """queue_calls.outcome: how one stay in a queue ended (or that it has not)."""

    WAITING = "waiting"
    ANSWERED = "answered"
    ABANDONED = "abandoned"  # the caller hung up while waiting
    LEFT = "left"  # timeout (the callback offer) without an agent
    TRANSFERRED = "transferred"
    CALLBACK = "callback"  # the caller took a callback instead
    UNKNOWN = "unknown"  # it ended while the controller or AMI was down


@dataclass(frozen=True)
class QueueStay:
    id: int
    call_id: str
    queue: str
    caller: str
    reason: str
    porsi: str
    joined_at: float
    position: int
    rings: int
    answered_at: float | None
    agent: str
    wait: float | None
    talk: float | None
    ended_at: float | None
    outcome: str


class QueueRecords:
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def joined(
        self, call_id: str, queue: str, caller: str, reason: str, porsi: str, at: float, pos: int
    ) -> None:
        self.db.execute(
            "INSERT INTO queue_calls (call_id, queue, caller, reason, porsi, joined_at, position)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (call_id, queue, caller, reason, porsi, at, pos),
        )

    def _latest(self, call_id: str, queue: str) -> int | None:
        row = self.db.execute(
            "SELECT id FROM queue_calls WHERE call_id = ? AND queue = ? ORDER BY id DESC LIMIT 1",
            (call_id, queue),
        ).fetchone()
        return int(row[0]) if row else None

    def rang(self, call_id: str, queue: str) -> None:
        self.db.execute(
            "UPDATE queue_calls SET rings = rings + 1 WHERE id = ?", (self._latest(call_id, queue),)
        )

    def answered(self, call_id: str, queue: str, agent: str, at: float, wait: float) -> None:
        self.db.execute(
            "UPDATE queue_calls SET answered_at = ?, agent = ?, wait = ?, outcome = 'answered' "
            "WHERE id = ?",
            (at, agent, wait, self._latest(call_id, queue)),
        )

    def completed(self, call_id: str, queue: str, at: float, talk: float, reason: str) -> None:
        outcome = "transferred" if reason == "transfer" else "answered"
        self.db.execute(
            "UPDATE queue_calls SET ended_at = ?, talk = ?, outcome = ? WHERE id = ?",
            (at, talk, outcome, self._latest(call_id, queue)),
        )

    def leg_ended(self, stay_id: int, at: float, talk: float) -> None:
        """The agent's leg of this stay hung up (its own event, ivr.queue.recorder): the
        talk time when AgentComplete never came, as after the caller stays on to rate the
        call or after a blind transfer up a tier."""
        self.db.execute(
            "UPDATE queue_calls SET ended_at = ?, talk = ? WHERE id = ? AND talk IS NULL",
            (at, talk, stay_id),
        )

    def abandoned(self, call_id: str, queue: str, at: float, wait: float) -> None:
        self.db.execute(
            "UPDATE queue_calls SET ended_at = ?, wait = ?, outcome = 'abandoned' WHERE id = ?",
            (at, wait, self._latest(call_id, queue)),
        )

    def left(self, call_id: str, queue: str, at: float) -> None:
        """Left the queue without an agent (timeout for a callback offer) unless known."""
        self.db.execute(
            "UPDATE queue_calls SET ended_at = COALESCE(ended_at, ?), "
            "wait = COALESCE(wait, ? - joined_at), outcome = 'left' "
            "WHERE id = ? AND outcome = 'waiting'",
            (at, at, self._latest(call_id, queue)),
        )

    def called_back(self, call_id: str) -> None:
        """The caller took a callback instead of waiting on (their latest stay)."""
        self.db.execute(
            "UPDATE queue_calls SET outcome = 'callback' WHERE id = ("
            "SELECT id FROM queue_calls WHERE call_id = ? ORDER BY id DESC LIMIT 1)",
            (call_id,),
        )

    def resync(self, before: float, waiting: Collection[str], at: float) -> int:
        """Close the stays recorded as waiting whose caller Asterisk no longer lists
        (``waiting``: uniqueids of callers in a queue, read at ``before``); how they ended
        was missed, so ``unknown`` (a late event may still say). Returns how many."""
        rows = self.db.execute(
            "SELECT id, call_id FROM queue_calls WHERE outcome = 'waiting' AND joined_at < ?",
            (before,),
        ).fetchall()
        gone = [(at, stay_id) for stay_id, call_id in rows if call_id not in waiting]
        self.db.executemany(
            "UPDATE queue_calls SET outcome = 'unknown', ended_at = ? "
            "WHERE id = ? AND outcome = 'waiting'",
            gone,
        )
        return len(gone)

    def for_call(self, call_id: str) -> list[QueueStay]:
        rows = self.db.execute(
            "SELECT * FROM queue_calls WHERE call_id = ? ORDER BY joined_at", (call_id,)
        ).fetchall()
        return [QueueStay(*row) for row in rows]

    def recent(self, limit: int = 50) -> list[QueueStay]:
        rows = self.db.execute(
            "SELECT * FROM queue_calls ORDER BY joined_at DESC LIMIT ?", (limit,)
        ).fetchall()
        return [QueueStay(*row) for row in rows]


def purge_stays(db: sqlite3.Connection, before: float, dry_run: bool = False) -> int:
    """Delete the queue stays that began before ``before`` (they carry number and porsi)."""
    return delete_where(db, "queue_calls", "joined_at < ?", (before,), dry_run)
