"""Campaigns of schedule-change calls and their calls, one row per pilgrim to call.

The store owns its tables (in calls.sqlite, opened by ivr.calldb): a campaign per import
that moved a kloter's asrama entry or flight, one call per pilgrim with a number, every
attempt counted and its outcome kept, and the numbers that asked for no more schedule
calls (opt-outs, honoured by every later campaign). Numbers are personal data: views and
logs show them masked (``Target.masked``), the daily purge removes a finished campaign's
calls after ``retention.campaigns_days`` and opt-outs after ``retention.optouts_days``.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable
from dataclasses import dataclass

from ivr import phone
from ivr.store import Schema, delete_where

_V1 = """
CREATE TABLE IF NOT EXISTS campaigns (
    id INTEGER PRIMARY KEY,
    created_at REAL NOT NULL,
    import_key TEXT NOT NULL UNIQUE,      -- the import it follows (its import_uid)
    kloter TEXT NOT NULL,                 -- the moved kloter, space separated
    state TEXT NOT NULL DEFAULT 'ready',  -- ready | running | paused | finished
    started_at REAL,
    finished_at REAL
);
CREATE TABLE IF NOT EXISTS campaign_calls (
    id INTEGER PRIMARY KEY,
    campaign_id INTEGER NOT NULL,
    porsi TEXT NOT NULL,
    number TEXT NOT NULL,                 -- national form (ivr.phone)
    kloter TEXT NOT NULL,
    asrama TEXT NOT NULL,                 -- the new masuk_asrama, YYYY-MM-DD HH:MM local
    berangkat TEXT NOT NULL,              -- the new departure
    flight TEXT NOT NULL,
    zone TEXT NOT NULL,                   -- WIB | WITA | WIT
    state TEXT NOT NULL DEFAULT 'waiting',  -- waiting | dialing | done
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at REAL NOT NULL DEFAULT 0,
    dialed_at REAL,
    outcome TEXT NOT NULL DEFAULT '',     -- see OUTCOMES
    call_id TEXT NOT NULL DEFAULT '',     -- the answered call in the call log
    finished_at REAL,
    UNIQUE (campaign_id, porsi)
);
CREATE INDEX IF NOT EXISTS campaign_calls_due ON campaign_calls(state, next_at);
CREATE TABLE IF NOT EXISTS campaign_optouts (
    number TEXT PRIMARY KEY,
    at REAL NOT NULL
);
"""
SCHEMA = Schema("campaigns", (_V1,))

READY, RUNNING, PAUSED, FINISHED = "ready", "running", "paused", "finished"
WAITING, DIALING, DONE = "waiting", "dialing", "done"
# Outcomes: a person heard the new schedule (heard; officer: then asked for one; opted_out:
# then keyed 8), or not (answered: hung up before the end), or nobody (no_answer, busy,
# machine: an answering machine took it, failed), or never dialled (refused: not a number
# we may call; skipped: opted out before).
HEARD, OFFICER, OPTED_OUT, ANSWERED = "heard", "officer", "opted_out", "answered"
NO_ANSWER, BUSY, MACHINE, FAILED, REFUSED, SKIPPED = (
    "no_answer",
    "busy",
    "machine",
    "failed",
    "refused",
    "skipped",
)
OUTCOMES = (HEARD, OFFICER, OPTED_OUT, ANSWERED, NO_ANSWER, BUSY, MACHINE, FAILED, REFUSED, SKIPPED)
REACHED = frozenset({HEARD, OFFICER, OPTED_OUT})  # a person heard it: never called again
OPTOUT_DAYS = 730  # an opt-out is kept two years, then purged like any personal data
_DIALSTATUS = {"NOANSWER": NO_ANSWER, "BUSY": BUSY, "REFUSED": REFUSED}


@dataclass(frozen=True)
class Target:
    """One pilgrim to call about their kloter's new schedule."""

    porsi: str
    number: str
    kloter: str
    asrama: str
    berangkat: str
    flight: str
    zone: str


@dataclass(frozen=True)
class CampaignCall:
    id: int
    campaign_id: int
    porsi: str
    number: str
    kloter: str
    asrama: str
    berangkat: str
    flight: str
    zone: str
    state: str
    attempts: int
    next_at: float
    dialed_at: float | None
    outcome: str
    call_id: str
    finished_at: float | None

    @property
    def masked(self) -> str:
        """The number as pages, CSV files and logs show it."""
        return phone.mask(self.number, 4, 2)


@dataclass(frozen=True)
class Campaign:
    id: int
    created_at: float
    import_key: str
    kloter: str
    state: str
    started_at: float | None
    finished_at: float | None


@dataclass(frozen=True)
class Retry:
    """After an attempt nobody heard: this many tries in all, this far apart (seconds)."""

    attempts: int
    after: float


class Campaigns:
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    # --- campaigns ---------------------------------------------------------------------

    def create(
        self, import_key: str, kloter: Iterable[str], targets: Iterable[Target], now: float
    ) -> Campaign | None:
        """A campaign for one import (None when that import has one already). Numbers that
        opted out are kept as skipped, so the page says why they were not called."""
        try:
            cur = self.db.execute(
                "INSERT INTO campaigns (created_at, import_key, kloter) VALUES (?, ?, ?)",
                (now, import_key, " ".join(kloter)),
            )
        except sqlite3.IntegrityError:
            return None
        cid = int(cur.lastrowid or 0)
        optouts = self.opted_out()
        self.db.executemany(
            "INSERT OR IGNORE INTO campaign_calls (campaign_id, porsi, number, kloter, asrama,"
            " berangkat, flight, zone, state, outcome, finished_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            [
                (cid, t.porsi, t.number, t.kloter, t.asrama, t.berangkat, t.flight, t.zone)
                + ((DONE, SKIPPED, now) if t.number in optouts else (WAITING, "", None))
                for t in targets
            ],
        )
        return self.get(cid)

    def seen(self, import_key: str) -> bool:
        row = self.db.execute("SELECT 1 FROM campaigns WHERE import_key = ?", (import_key,))
        return row.fetchone() is not None

    def get(self, campaign_id: int) -> Campaign | None:
        row = self.db.execute("SELECT * FROM campaigns WHERE id = ?", (campaign_id,)).fetchone()
        return Campaign(*row) if row else None

    def all(self, limit: int = 50) -> list[Campaign]:
        rows = self.db.execute("SELECT * FROM campaigns ORDER BY id DESC LIMIT ?", (limit,))
        return [Campaign(*r) for r in rows]

    def start(self, campaign_id: int, now: float) -> bool:
        """ready or paused -> running (start and resume); False when it cannot."""
        cur = self.db.execute(
            "UPDATE campaigns SET state = 'running', started_at = coalesce(started_at, ?) "
            "WHERE id = ? AND state IN ('ready', 'paused')",
            (now, campaign_id),
        )
        return cur.rowcount == 1

    def pause(self, campaign_id: int) -> bool:
        """running -> paused: no new call starts; calls ringing now finish."""
        cur = self.db.execute(
            "UPDATE campaigns SET state = 'paused' WHERE id = ? AND state = 'running'",
            (campaign_id,),
        )
        return cur.rowcount == 1

    def finish_done(self, now: float) -> list[int]:
        """Running campaigns with no call left to make are finished."""
        rows = self.db.execute(
            "SELECT id FROM campaigns c WHERE state = 'running' AND NOT EXISTS "
            "(SELECT 1 FROM campaign_calls k WHERE k.campaign_id = c.id AND k.state != 'done')"
        ).fetchall()
        for (cid,) in rows:
            self.db.execute(
                "UPDATE campaigns SET state = 'finished', finished_at = ? WHERE id = ?", (now, cid)
            )
        return [cid for (cid,) in rows]

    def progress(self, campaign_id: int) -> dict[str, int]:
        """Calls by state and by outcome: {"waiting": 3, "done": 5, "heard": 4, ...}."""
        counts: dict[str, int] = {}
        for column in ("state", "outcome"):
            for value, n in self.db.execute(
                f"SELECT {column}, count(*) FROM campaign_calls WHERE campaign_id = ? "
                f"AND {column} != '' GROUP BY {column}",
                (campaign_id,),
            ):
                counts[value] = n
        counts["total"] = sum(counts.get(s, 0) for s in (WAITING, DIALING, DONE))
        return counts

    def calls(self, campaign_id: int) -> list[CampaignCall]:
        rows = self.db.execute(
            "SELECT * FROM campaign_calls WHERE campaign_id = ? ORDER BY kloter, porsi",
            (campaign_id,),
        )
        return [CampaignCall(*r) for r in rows]

    # --- calls -------------------------------------------------------------------------

    def call(self, call_id: int) -> CampaignCall | None:
        row = self.db.execute("SELECT * FROM campaign_calls WHERE id = ?", (call_id,)).fetchone()
        return CampaignCall(*row) if row else None

    def dialing(self) -> list[CampaignCall]:
        rows = self.db.execute("SELECT * FROM campaign_calls WHERE state = 'dialing'")
        return [CampaignCall(*r) for r in rows]

    def next_due(self, now: float) -> CampaignCall | None:
        """The next call of a running campaign that is due (oldest campaign first)."""
        row = self.db.execute(
            "SELECT k.* FROM campaign_calls k JOIN campaigns c ON c.id = k.campaign_id "
            "WHERE c.state = 'running' AND k.state = 'waiting' AND k.next_at <= ? "
            "ORDER BY k.campaign_id, k.next_at, k.id LIMIT 1",
            (now,),
        ).fetchone()
        return CampaignCall(*row) if row else None

    def dial(self, call_id: int, now: float) -> None:
        self.db.execute(
            "UPDATE campaign_calls SET state = 'dialing', dialed_at = ?, attempts = attempts + 1,"
            " outcome = '' WHERE id = ? AND state = 'waiting'",
            (now, call_id),
        )

    def settle(self, call_id: int, outcome: str, now: float) -> None:
        """A call that will not be dialled (refused, skipped): done at once."""
        self.db.execute(
            "UPDATE campaign_calls SET state = 'done', outcome = ?, finished_at = ? WHERE id = ?",
            (outcome, now, call_id),
        )

    def answered(self, call_id: int, call_log_id: str) -> None:
        """A person (or so AMD says) took the call: its IVR session is this call."""
        self.db.execute(
            "UPDATE campaign_calls SET outcome = 'answered', call_id = ? WHERE id = ?",
            (call_log_id, call_id),
        )

    def heard(self, call_id: int, outcome: str = HEARD) -> None:
        """What the person did once they heard the schedule (heard, officer, opted_out)."""
        self.db.execute("UPDATE campaign_calls SET outcome = ? WHERE id = ?", (outcome, call_id))

    def machine(self, call_id: int) -> None:
        self.db.execute(
            "UPDATE campaign_calls SET outcome = 'machine' WHERE id = ? AND state = 'dialing'",
            (call_id,),
        )

    def ended(self, call_id: int, dialstatus: str, now: float, retry: Retry) -> CampaignCall | None:
        """The attempt is over (the outbound leg's DIALSTATUS): done when a person heard
        it or it may not be tried again, else back in line ``retry.after`` from now."""
        k = self.call(call_id)
        if k is None or k.state != DIALING:
            return k
        if dialstatus == "ANSWER":
            outcome = k.outcome or ANSWERED
        else:
            outcome = _DIALSTATUS.get(dialstatus, FAILED)
        final = outcome in REACHED or outcome == REFUSED or k.attempts >= retry.attempts
        self.db.execute(
            "UPDATE campaign_calls SET state = ?, outcome = ?, next_at = ?, finished_at = ? "
            "WHERE id = ?",
            (
                DONE if final else WAITING,
                outcome,
                k.next_at if final else now + retry.after,
                now if final else None,
                call_id,
            ),
        )
        return self.call(call_id)

    def recover(self) -> int:
        """After a controller restart nothing is ringing: those calls wait again."""
        cur = self.db.execute("UPDATE campaign_calls SET state = 'waiting' WHERE state = 'dialing'")
        return cur.rowcount

    # --- opt-outs and retention ----------------------------------------------------------

    def opt_out(self, number: str, now: float | None = None) -> None:
        """No more schedule calls to this number: kept, and every waiting call to it ends."""
        now = time.time() if now is None else now
        self.db.execute("INSERT OR IGNORE INTO campaign_optouts VALUES (?, ?)", (number, now))
        self.db.execute(
            "UPDATE campaign_calls SET state = 'done', outcome = 'skipped', finished_at = ? "
            "WHERE number = ? AND state = 'waiting'",
            (now, number),
        )

    def opted_out(self) -> frozenset[str]:
        return frozenset(n for (n,) in self.db.execute("SELECT number FROM campaign_optouts"))

    def purge_calls(self, before: float, dry_run: bool = False) -> int:
        """The calls (numbers with them) of campaigns finished before ``before``."""
        finished = (
            "campaign_id IN (SELECT id FROM campaigns WHERE state = 'finished' AND finished_at < ?)"
        )
        return delete_where(self.db, "campaign_calls", finished, (before,), dry_run)

    def purge_optouts(self, before: float, dry_run: bool = False) -> int:
        """Opt-outs older than ``before`` (OPTOUT_DAYS: long enough to mean "no more")."""
        return delete_where(self.db, "campaign_optouts", "at < ?", (before,), dry_run)
