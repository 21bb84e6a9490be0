"""Callback requests: a caller keeps their place in line and hangs up; we call back.

One open request per caller number and porsi (a unique partial index: asking twice never
makes two). Requests are served oldest place first (``waiting_since``, when the caller
first queued), each attempt recorded: the agent leg, then the pilgrim leg.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass

from ivr import chanvars
from ivr.handover import Handover
from ivr.outcomes import Reason
from ivr.store import Schema, delete_where

_V1 = """
CREATE TABLE IF NOT EXISTS callbacks (
    id INTEGER PRIMARY KEY,
    requested_at REAL NOT NULL,
    number TEXT NOT NULL,             -- where we call the pilgrim back
    porsi TEXT NOT NULL DEFAULT '',
    call_id TEXT NOT NULL DEFAULT '', -- the call that asked
    reason TEXT NOT NULL DEFAULT '',
    verified TEXT NOT NULL DEFAULT 'no',
    topics TEXT NOT NULL DEFAULT '',
    queue TEXT NOT NULL DEFAULT 'hajj-tier1',
    waiting_since REAL NOT NULL,      -- the caller's place in line
    state TEXT NOT NULL DEFAULT 'open',  -- open | calling | done | failed
    attempts INTEGER NOT NULL DEFAULT 0, -- pilgrim legs dialled
    next_at REAL NOT NULL,            -- not served before this time
    agent TEXT NOT NULL DEFAULT '',
    agent_answered_at REAL,
    pilgrim_answered_at REAL,
    finished_at REAL,
    result TEXT NOT NULL DEFAULT ''   -- the last attempt's outcome (DIALSTATUS or agent leg)
);
CREATE UNIQUE INDEX IF NOT EXISTS callbacks_one_open
    ON callbacks(number, porsi) WHERE state IN ('open', 'calling');
CREATE INDEX IF NOT EXISTS callbacks_due ON callbacks(state, waiting_since);
CREATE INDEX IF NOT EXISTS callbacks_number ON callbacks(number, requested_at);
"""
SCHEMA = Schema("callbacks", (_V1,))

OPEN, CALLING, DONE, FAILED = "open", "calling", "done", "failed"


@dataclass(frozen=True)
class Callback:
    id: int
    requested_at: float
    number: str
    porsi: str
    call_id: str
    reason: str
    verified: str
    topics: str
    queue: str
    waiting_since: float
    state: str
    attempts: int
    next_at: float
    agent: str
    agent_answered_at: float | None
    pilgrim_answered_at: float | None
    finished_at: float | None
    result: str

    @property
    def handover(self) -> Handover:
        """What the agent who calls back is told: the request's call, as a callback."""
        return Handover(
            # A unit resolved the caller's data case: the agent says so (else any callback).
            reason=self.reason if self.reason == Reason.CORRECTION_RESOLVED else Reason.CALLBACK,
            porsi=self.porsi,
            verified=self.verified == "yes",
            topics=tuple(self.topics.split()),
            queue=self.queue,
            wait_from=round(self.waiting_since),
            callback_id=self.id,
        )


@dataclass(frozen=True)
class Request:
    """A request as the table keeps it (one column each)."""

    number: str
    porsi: str = ""
    call_id: str = ""
    reason: str = ""
    verified: str = "no"
    topics: str = ""
    queue: str = chanvars.FIRST_QUEUE
    waiting_since: float = 0.0  # 0: now (the caller never queued)
    not_before: float = 0.0  # outside staffed hours: the next opening

    @classmethod
    def of(cls, number: str, call_id: str, h: Handover, not_before: float = 0.0) -> Request:
        """The request of a call that learned ``h``: its facts become the row's columns."""
        return cls(
            number,
            h.porsi,
            call_id,
            h.reason,
            "yes" if h.verified else "no",
            " ".join(h.topics),
            h.queue,
            float(h.wait_from or 0),
            not_before,
        )


class Callbacks:
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def request(self, req: Request, now: float | None = None) -> tuple[Callback, bool]:
        """Store a request; (the open request, True) or (the existing one, False)."""
        now = time.time() if now is None else now
        try:
            cur = self.db.execute(
                "INSERT INTO callbacks (requested_at, number, porsi, call_id, reason, verified,"
                " topics, queue, waiting_since, next_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (
                    now,
                    req.number,
                    req.porsi,
                    req.call_id,
                    req.reason,
                    req.verified,
                    req.topics,
                    req.queue,
                    req.waiting_since or now,
                    max(now, req.not_before),
                ),
            )
        except sqlite3.IntegrityError:
            existing = self.open_for(req.number, req.porsi)
            assert existing is not None
            return existing, False
        found = self.get(int(cur.lastrowid or 0))
        assert found is not None
        return found, True

    def open_for(self, number: str, porsi: str) -> Callback | None:
        row = self.db.execute(
            "SELECT * FROM callbacks WHERE number = ? AND porsi = ? "
            "AND state IN ('open', 'calling')",
            (number, porsi),
        ).fetchone()
        return Callback(*row) if row else None

    def count_since(self, number: str, since: float) -> int:
        """Requests stored for ``number`` since then (the daily limit per number)."""
        row = self.db.execute(
            "SELECT count(*) FROM callbacks WHERE number = ? AND requested_at >= ?",
            (number, since),
        ).fetchone()
        return int(row[0])

    def refuse(self, callback_id: int, result: str, now: float) -> None:
        """A request that must not be dialled (its number is not one we may call)."""
        self.db.execute(
            "UPDATE callbacks SET state = 'failed', result = ?, finished_at = ? WHERE id = ?",
            (result, now, callback_id),
        )

    def get(self, callback_id: int) -> Callback | None:
        row = self.db.execute("SELECT * FROM callbacks WHERE id = ?", (callback_id,)).fetchone()
        return Callback(*row) if row else None

    def all(self, limit: int = 100) -> list[Callback]:
        rows = self.db.execute(
            "SELECT * FROM callbacks ORDER BY requested_at DESC LIMIT ?", (limit,)
        ).fetchall()
        return [Callback(*r) for r in rows]

    def next_due(self, now: float) -> Callback | None:
        """The open request whose caller has waited longest, if one is due."""
        row = self.db.execute(
            "SELECT * FROM callbacks WHERE state = 'open' AND next_at <= ? "
            "ORDER BY waiting_since, id LIMIT 1",
            (now,),
        ).fetchone()
        return Callback(*row) if row else None

    def pending(self) -> dict[str, int]:
        """Requests not done yet, by state (open: waiting their turn, calling: ringing)."""
        rows = self.db.execute(
            "SELECT state, count(*) FROM callbacks WHERE state IN ('open', 'calling') "
            "GROUP BY state"
        ).fetchall()
        return {"open": 0, "calling": 0} | {state: int(n) for state, n in rows}

    def calling(self) -> Callback | None:
        row = self.db.execute("SELECT * FROM callbacks WHERE state = 'calling' LIMIT 1").fetchone()
        return Callback(*row) if row else None

    def recover(self) -> int:
        """After a controller restart nothing is in progress: calls back in line."""
        cur = self.db.execute("UPDATE callbacks SET state = 'open' WHERE state = 'calling'")
        return cur.rowcount

    def purge_finished(self, before: float, dry_run: bool = False) -> int:
        """Delete the requests done or given up before ``before``; open ones always stay."""
        finished = (
            f"state NOT IN ('{OPEN}', '{CALLING}') AND coalesce(finished_at, requested_at) < ?"
        )
        return delete_where(self.db, "callbacks", finished, (before,), dry_run)

    def start(self, callback_id: int) -> None:
        self.db.execute(
            "UPDATE callbacks SET state = 'calling' WHERE id = ? AND state = 'open'",
            (callback_id,),
        )

    def agent_answered(self, callback_id: int, agent: str, at: float) -> None:
        self.db.execute(
            "UPDATE callbacks SET agent = ?, agent_answered_at = ? WHERE id = ?",
            (agent, at, callback_id),
        )

    def pilgrim_answered(self, callback_id: int, at: float) -> None:
        self.db.execute(
            "UPDATE callbacks SET pilgrim_answered_at = ? WHERE id = ?", (at, callback_id)
        )

    def agent_leg_failed(self, callback_id: int, result: str, retry_at: float) -> None:
        """No agent took the callback: not the pilgrim's try; back in line as it was."""
        self.db.execute(
            "UPDATE callbacks SET state = 'open', result = ?, next_at = ? "
            "WHERE id = ? AND state = 'calling'",
            (result, retry_at, callback_id),
        )

    def pilgrim_leg_ended(
        self, callback_id: int, dialstatus: str, now: float, max_attempts: int, retry: float
    ) -> Callback | None:
        """Record one pilgrim attempt: done when answered, else retry or give up."""
        cb = self.get(callback_id)
        if cb is None or cb.state != CALLING:
            return cb
        attempts = cb.attempts + 1
        if dialstatus == "ANSWER":
            state, next_at = DONE, cb.next_at
        elif attempts >= max_attempts:
            state, next_at = FAILED, cb.next_at
        else:
            state, next_at = OPEN, now + retry
        self.db.execute(
            "UPDATE callbacks SET state = ?, attempts = ?, result = ?, next_at = ?, "
            "finished_at = CASE WHEN ? IN ('done', 'failed') THEN ? END WHERE id = ?",
            (state, attempts, dialstatus, next_at, state, now, callback_id),
        )
        return self.get(callback_id)
