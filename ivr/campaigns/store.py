"""Campaigns of schedule-change calls and their calls, one row per pilgrim to call.

The store owns its tables (in calls.sqlite, opened by ivr.calldb, or with ``[database]
url`` in PostgreSQL: the same queries on either, ivr.store.Sql): a campaign per import
that moved a kloter's asrama entry or flight, one call per pilgrim with a number, every
attempt counted and its outcome kept, and the numbers that asked for no more schedule
calls (opt-outs, honoured by every later campaign). Numbers are personal data: views and
logs show them masked (``Target.masked``), the daily purge removes a finished campaign's
calls after ``retention.campaigns_days`` and opt-outs after ``retention.optouts_days``.

Every node's dialer works the same campaigns: a dialer takes a call with
:meth:`Campaigns.claim`, one statement that marks it ``dialing`` for its node; on
PostgreSQL its SELECT skips the rows another dialer has locked (FOR UPDATE SKIP LOCKED),
so two dialers never dial the same pilgrim. A restart puts back only its own node's calls.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields

from ivr import phone

# The tables, written in schema.py; named here too, as every store names its own.
from ivr.campaigns.schema import PG_SCHEMA as PG_SCHEMA
from ivr.campaigns.schema import SCHEMA as SCHEMA
from ivr.store import Row, Sql, SqliteSql

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
    node: str = ""  # whose dialer is calling it ("": none, or before v2)

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


_CAMPAIGN = ", ".join(f.name for f in fields(Campaign))
_CALL = ", ".join(f.name for f in fields(CampaignCall))
# Due: waiting, its time come, its campaign running; the oldest campaign's first. The
# running campaigns in a subquery, so a claim's FOR UPDATE locks only the call's row.
_DUE = (
    "state = 'waiting' AND next_at <= ? AND campaign_id IN "
    "(SELECT id FROM campaigns WHERE state = 'running') ORDER BY campaign_id, next_at, id"
)
_ROWS_AT_ONCE = 100  # targets per INSERT: well under SQLite's 32,766 parameters


def _campaign(row: Row | None) -> Campaign | None:
    return Campaign(*row) if row else None


def _call(row: Row | None) -> CampaignCall | None:
    return CampaignCall(*row) if row else None


class Campaigns:
    """The campaigns, on calls.sqlite (a connection) or PostgreSQL (ivr.pgstore.PgSql)."""

    def __init__(self, db: sqlite3.Connection | Sql) -> None:
        self.sql: Sql = SqliteSql(db) if isinstance(db, sqlite3.Connection) else db

    # --- campaigns ---------------------------------------------------------------------

    def create(
        self, import_key: str, kloter: Iterable[str], targets: Iterable[Target], now: float
    ) -> Campaign | None:
        """A campaign for one import (None when that import has one already: every node's
        dialer follows the import, the unique key lets one of them make it). Numbers that
        opted out are kept as skipped, so the page says why they were not called."""
        row = self.sql.insert_unique(
            "INSERT INTO campaigns (created_at, import_key, kloter) VALUES (?, ?, ?) RETURNING id",
            (now, import_key, " ".join(kloter)),
        )
        if row is None:
            return None
        cid = int(row[0])
        optouts = self.opted_out()
        rows = [
            (cid, t.porsi, t.number, t.kloter, t.asrama, t.berangkat, t.flight, t.zone)
            + ((DONE, SKIPPED, now) if t.number in optouts else (WAITING, "", None))
            for t in targets
        ]
        for first in range(0, len(rows), _ROWS_AT_ONCE):
            self._add_calls(rows[first : first + _ROWS_AT_ONCE])
        return self.get(cid)

    def _add_calls(self, rows: Sequence[tuple[object, ...]]) -> None:
        values = ", ".join(["(?,?,?,?,?,?,?,?,?,?,?)"] * len(rows))
        self.sql.run(
            "INSERT INTO campaign_calls (campaign_id, porsi, number, kloter, asrama, berangkat,"
            f" flight, zone, state, outcome, finished_at) VALUES {values}"
            " ON CONFLICT (campaign_id, porsi) DO NOTHING",
            [value for row in rows for value in row],
        )

    def seen(self, import_key: str) -> bool:
        return (
            self.sql.one("SELECT 1 FROM campaigns WHERE import_key = ?", (import_key,)) is not None
        )

    def get(self, campaign_id: int) -> Campaign | None:
        return _campaign(
            self.sql.one(f"SELECT {_CAMPAIGN} FROM campaigns WHERE id = ?", (campaign_id,))
        )

    def all(self, limit: int = 50) -> list[Campaign]:
        rows = self.sql.all(f"SELECT {_CAMPAIGN} FROM campaigns ORDER BY id DESC LIMIT ?", (limit,))
        return [Campaign(*r) for r in rows]

    def start(self, campaign_id: int, now: float) -> bool:
        """ready or paused -> running (start and resume); False when it cannot."""
        changed = self.sql.run(
            "UPDATE campaigns SET state = 'running', started_at = coalesce(started_at, ?) "
            "WHERE id = ? AND state IN ('ready', 'paused')",
            (now, campaign_id),
        )
        return changed == 1

    def pause(self, campaign_id: int) -> bool:
        """running -> paused: no new call starts; calls ringing now finish."""
        changed = self.sql.run(
            "UPDATE campaigns SET state = 'paused' WHERE id = ? AND state = 'running'",
            (campaign_id,),
        )
        return changed == 1

    def finish_done(self, now: float) -> list[int]:
        """Running campaigns with no call left to make are finished (each by one node)."""
        rows = self.sql.all(
            "UPDATE campaigns SET state = 'finished', finished_at = ? WHERE state = 'running' "
            "AND NOT EXISTS (SELECT 1 FROM campaign_calls k WHERE k.campaign_id = campaigns.id "
            "AND k.state != 'done') RETURNING id",
            (now,),
        )
        return sorted(int(cid) for (cid,) in rows)

    def progress(self, campaign_id: int) -> dict[str, int]:
        """Calls by state and by outcome: {"waiting": 3, "done": 5, "heard": 4, ...}."""
        counts: dict[str, int] = {}
        for column in ("state", "outcome"):
            for value, n in self.sql.all(
                f"SELECT {column}, count(*) FROM campaign_calls WHERE campaign_id = ? "
                f"AND {column} != '' GROUP BY {column}",
                (campaign_id,),
            ):
                counts[str(value)] = int(n)
        counts["total"] = sum(counts.get(s, 0) for s in (WAITING, DIALING, DONE))
        return counts

    def calls(self, campaign_id: int) -> list[CampaignCall]:
        rows = self.sql.all(
            f"SELECT {_CALL} FROM campaign_calls WHERE campaign_id = ? ORDER BY kloter, porsi",
            (campaign_id,),
        )
        return [CampaignCall(*r) for r in rows]

    # --- calls -------------------------------------------------------------------------

    def call(self, call_id: int) -> CampaignCall | None:
        return _call(self.sql.one(f"SELECT {_CALL} FROM campaign_calls WHERE id = ?", (call_id,)))

    def dialing(self) -> list[CampaignCall]:
        """Every node's calls ringing or talking (``campaigns.at_once`` counts them all)."""
        rows = self.sql.all(f"SELECT {_CALL} FROM campaign_calls WHERE state = 'dialing'")
        return [CampaignCall(*r) for r in rows]

    def next_due(self, now: float) -> CampaignCall | None:
        """The next call of a running campaign that is due (oldest campaign first): a look
        only, a dialer takes it with :meth:`claim`."""
        return _call(
            self.sql.one(f"SELECT {_CALL} FROM campaign_calls WHERE {_DUE} LIMIT 1", (now,))
        )

    def claim(self, now: float, node: str = "") -> CampaignCall | None:
        """Take the call :meth:`next_due` names for ``node``'s dialer: marked ``dialing`` in
        one statement, so no other dialer takes it too (None: nothing due, or every due
        one is being taken). The row as it was before its attempt (:meth:`dial` counts the
        attempt once the number may be called); ``dialed_at`` is the claim's time, so a
        node lost right after it leaves a call the others' sweep retries."""
        return _call(
            self.sql.one(
                "UPDATE campaign_calls SET state = 'dialing', node = ?, dialed_at = ? WHERE id = ("
                f"SELECT id FROM campaign_calls WHERE {_DUE} LIMIT 1{self.sql.skip_locked}"
                f") AND state = 'waiting' RETURNING {_CALL}",
                (node, now, now),
            )
        )

    def dial(self, call_id: int, now: float) -> None:
        """An attempt starts: counted, of a waiting call or one this dialer claimed."""
        self.sql.run(
            "UPDATE campaign_calls SET state = 'dialing', dialed_at = ?, attempts = attempts + 1,"
            " outcome = '' WHERE id = ? AND state IN ('waiting', 'dialing')",
            (now, call_id),
        )

    def settle(self, call_id: int, outcome: str, now: float) -> None:
        """A call that will not be dialled (refused, skipped): done at once."""
        self.sql.run(
            "UPDATE campaign_calls SET state = 'done', outcome = ?, finished_at = ? WHERE id = ?",
            (outcome, now, call_id),
        )

    def answered(self, call_id: int, call_log_id: str) -> None:
        """A person (or so AMD says) took the call: its IVR session is this call."""
        self.sql.run(
            "UPDATE campaign_calls SET outcome = 'answered', call_id = ? WHERE id = ?",
            (call_log_id, call_id),
        )

    def heard(self, call_id: int, outcome: str = HEARD) -> None:
        """What the person did once they heard the schedule (heard, officer, opted_out)."""
        self.sql.run("UPDATE campaign_calls SET outcome = ? WHERE id = ?", (outcome, call_id))

    def machine(self, call_id: int) -> None:
        self.sql.run(
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
        self.sql.run(
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

    def recover(self, node: str | None = None) -> int:
        """After a controller restart nothing of its own is ringing: those calls wait
        again. ``node``: only that node's (and unowned ones); None: every one (SQLite, one
        node)."""
        if node is None:
            return self.sql.run(
                "UPDATE campaign_calls SET state = 'waiting' WHERE state = 'dialing'"
            )
        return self.sql.run(
            "UPDATE campaign_calls SET state = 'waiting' WHERE state = 'dialing' "
            "AND node IN (?, '')",
            (node,),
        )

    # --- opt-outs and retention ----------------------------------------------------------

    def opt_out(self, number: str, now: float | None = None) -> None:
        """No more schedule calls to this number: kept, and every waiting call to it ends."""
        now = time.time() if now is None else now
        self.sql.run(
            "INSERT INTO campaign_optouts (number, at) VALUES (?, ?) "
            "ON CONFLICT (number) DO NOTHING",
            (number, now),
        )
        self.sql.run(
            "UPDATE campaign_calls SET state = 'done', outcome = 'skipped', finished_at = ? "
            "WHERE number = ? AND state = 'waiting'",
            (now, number),
        )

    def opted_out(self) -> frozenset[str]:
        return frozenset(str(n) for (n,) in self.sql.all("SELECT number FROM campaign_optouts"))

    def purge_calls(self, before: float, dry_run: bool = False) -> int:
        """The calls (numbers with them) of campaigns finished before ``before``."""
        finished = (
            "campaign_id IN (SELECT id FROM campaigns WHERE state = 'finished' AND finished_at < ?)"
        )
        return self.sql.delete_where("campaign_calls", finished, (before,), dry_run)

    def purge_optouts(self, before: float, dry_run: bool = False) -> int:
        """Opt-outs older than ``before`` (OPTOUT_DAYS: long enough to mean "no more")."""
        return self.sql.delete_where("campaign_optouts", "at < ?", (before,), dry_run)
