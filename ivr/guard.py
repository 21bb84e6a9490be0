"""Limits across calls: guessing a date of birth or a complaint PIN, and lookups per caller.

A call allows a few tries, but calls are cheap and run in parallel, so the counts live in
the call log database (state_dir/calls.sqlite, WAL), shared by every call, or with
``[database] url`` in PostgreSQL, shared by every node's calls (a guesser spreading tries
over the nodes Kamailio picks meets the same counts):

- date of birth: wrong dates are counted per porsi and per caller number. With
  ``ivr.dob_lock_failures`` in ``ivr.dob_lock_hours`` the porsi is locked (no date is
  checked for it, from any number, until the oldest of those failures leaves the window)
  and so is the caller number (no date checked for any porsi). The caller goes to an
  officer (reason ``dob_locked``) and the wallboard shows the lock.
- complaint status: a wrong ticket number or PIN is counted per caller number, a wrong
  PIN also per ticket (``complaints.status_lock_failures`` in ``status_lock_hours``).
- lookups: ``ivr.lookups_per_hour`` porsi lookups per caller number.
- recording prompts by phone: a wrong admin number or PIN is counted per phone and per
  admin number (``prompts.pin_lock_failures`` in ``pin_lock_hours``). A staff phone's
  caller ID is its endpoint's (the agent's name, set by PJSIP, not by the phone), so
  each phone has its own count rather than all sharing "anonymous".

Withheld caller numbers share one bucket (``phone.caller_key``). A caller ID can be
forged, so the per-porsi and per-ticket locks are what holds against a determined
guesser; the per-number counts slow down the rest. A check and its count happen with no
await in between, so parallel calls on one node cannot overshoot; on PostgreSQL two nodes
checking at the same instant may each let one more lookup through (a wrong date of birth
is always counted first, then checked: the lock holds).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass

from ivr import phone
from ivr.config import Config
from ivr.store import Schema, Sql, SqliteSql

_V1 = """
CREATE TABLE IF NOT EXISTS guard_events (
    kind TEXT NOT NULL,      -- dob_failed | status_failed | lookup | pin_failed
    subject TEXT NOT NULL,   -- porsi:N | caller:NUMBER | ticket:NUMBER | admin:NUMBER
    at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS guard_events_subject ON guard_events(kind, subject, at);
"""
SCHEMA = Schema("guard", (_V1,))
# The same table in PostgreSQL (ivr.pgstore migrates it): its own numbered steps.
PG_SCHEMA = Schema(
    "guard",
    (
        """
CREATE TABLE IF NOT EXISTS guard_events (
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    at DOUBLE PRECISION NOT NULL
);
CREATE INDEX IF NOT EXISTS guard_events_subject ON guard_events(kind, subject, at);
""",
    ),
)

DOB, STATUS, LOOKUP, PIN = "dob_failed", "status_failed", "lookup", "pin_failed"
PRUNE_EVERY = 600.0  # seconds between two clean-ups of counts past their window


@dataclass(frozen=True)
class Limit:
    count: int
    seconds: float


@dataclass(frozen=True)
class Limits:
    dob: Limit = Limit(5, 24 * 3600.0)
    status: Limit = Limit(5, 24 * 3600.0)
    lookups: Limit = Limit(30, 3600.0)
    pin: Limit = Limit(5, 24 * 3600.0)

    @classmethod
    def for_config(cls, config: Config) -> Limits:
        ivr, c, p = config.ivr, config.complaints, config.prompts
        return cls(
            Limit(ivr.dob_lock_failures, ivr.dob_lock_hours * 3600),
            Limit(c.status_lock_failures, c.status_lock_hours * 3600),
            Limit(ivr.lookups_per_hour, 3600.0),
            Limit(p.pin_lock_failures, p.pin_lock_hours * 3600),
        )


@dataclass(frozen=True)
class Alert:
    """A lock in force, for the wallboard: what is locked (masked), since when, how many."""

    kind: str  # dob_failed | status_failed
    what: str  # porsi | caller | ticket | phone (a staff phone) | admin (an admin number)
    subject: str  # masked
    at: float  # the failure that set the lock
    count: int


class Guard:
    """The counts, on calls.sqlite (a connection) or PostgreSQL (ivr.pgstore.PgSql)."""

    def __init__(
        self,
        db: sqlite3.Connection | Sql,
        limits: Limits,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.sql: Sql = SqliteSql(db) if isinstance(db, sqlite3.Connection) else db
        self.limits = limits
        self.clock = clock
        self._limit = {
            DOB: limits.dob,
            STATUS: limits.status,
            LOOKUP: limits.lookups,
            PIN: limits.pin,
        }
        self._pruned_at = 0.0

    # --- date of birth ------------------------------------------------------------------

    def dob_locked(self, porsi: str, caller: str) -> bool:
        return self._over(DOB, _porsi(porsi)) or self._over(DOB, _caller(caller))

    def dob_failed(self, porsi: str, caller: str) -> bool:
        """Count a wrong date of birth; True when the porsi or the caller is now locked."""
        self._add(DOB, _porsi(porsi), _caller(caller))
        return self.dob_locked(porsi, caller)

    # --- complaint status ---------------------------------------------------------------

    def status_locked(self, caller: str, ticket: str = "") -> bool:
        locked = self._over(STATUS, _caller(caller))
        return locked or (bool(ticket) and self._over(STATUS, _ticket(ticket)))

    def status_failed(self, caller: str, ticket: str = "") -> bool:
        """Count a wrong ticket number or PIN (``ticket``: the ticket it was for, when one
        exists); True when the caller or the ticket is now locked."""
        self._add(STATUS, _caller(caller), *([_ticket(ticket)] if ticket else []))
        return self.status_locked(caller, ticket)

    # --- admins recording prompts by phone ------------------------------------------------

    def pin_locked(self, caller: str, admin: str = "") -> bool:
        locked = self._over(PIN, _staff_phone(caller))
        return locked or (bool(admin) and self._over(PIN, _admin(admin)))

    def pin_failed(self, caller: str, admin: str = "") -> bool:
        """Count a wrong admin number or PIN (``admin``: the number keyed, when it is an
        admin's); True when the phone or that admin is now locked."""
        self._add(PIN, _staff_phone(caller), *([_admin(admin)] if admin else []))
        return self.pin_locked(caller, admin)

    # --- lookups ------------------------------------------------------------------------

    def lookup_allowed(self, caller: str) -> bool:
        """Count one porsi lookup for the caller, unless they are over the hourly limit."""
        if self._over(LOOKUP, _caller(caller)):
            return False
        self._add(LOOKUP, _caller(caller))
        return True

    # --- the wallboard and housekeeping -----------------------------------------------

    def alerts(self) -> list[Alert]:
        """Every lock in force, newest first."""
        found = []
        for kind in (DOB, STATUS, PIN):
            limit = self._limit[kind]
            rows = self.sql.all(
                "SELECT subject, count(*), max(at) FROM guard_events WHERE kind = ? AND at > ? "
                "GROUP BY subject HAVING count(*) >= ?",
                (kind, self.clock() - limit.seconds, limit.count),
            )
            found += [_alert(kind, subject, at, count) for subject, count, at in rows]
        return sorted(found, key=lambda a: (-a.at, a.what))

    def prune(self) -> int:
        """Forget counts older than their window (they are personal data: numbers, porsi)."""
        removed = 0
        for kind, limit in self._limit.items():
            removed += self.sql.run(
                "DELETE FROM guard_events WHERE kind = ? AND at <= ?",
                (kind, self.clock() - limit.seconds),
            )
        return removed

    def _over(self, kind: str, subject: str) -> bool:
        limit = self._limit[kind]
        row = self.sql.one(
            "SELECT count(*) FROM guard_events WHERE kind = ? AND subject = ? AND at > ?",
            (kind, subject, self.clock() - limit.seconds),
        )
        return bool(row and row[0] >= limit.count)

    def _add(self, kind: str, *subjects: str) -> None:
        now = self.clock()
        self.sql.run(
            "INSERT INTO guard_events (kind, subject, at) VALUES "
            + ", ".join(["(?, ?, ?)"] * len(subjects)),
            [value for s in subjects for value in (kind, s, now)],
        )
        if now - self._pruned_at > PRUNE_EVERY:
            self._pruned_at = now
            self.prune()


def _porsi(porsi: str) -> str:
    return f"porsi:{porsi}"


def _caller(caller_id: str) -> str:
    return f"caller:{phone.caller_key(caller_id)}"


def _staff_phone(caller_id: str) -> str:
    """A number as for callers; a staff phone by its endpoint's name (caller ID "siti")."""
    key = phone.caller_key(caller_id)
    name = caller_id.strip()[:40]
    return f"phone:{name}" if key == phone.ANONYMOUS and name else f"caller:{key}"


def _admin(number: str) -> str:
    return f"admin:{number}"


def _ticket(number: str) -> str:
    return f"ticket:{number}"


def _alert(kind: str, subject: str, at: float, count: int) -> Alert:
    what, _, value = subject.partition(":")
    if what == "porsi":
        shown = phone.mask(value)
    elif what == "caller" and value != phone.ANONYMOUS:
        shown = phone.mask(value, 4, 2)
    else:  # a ticket number is useless without its PIN, and staff need it to help
        shown = value
    return Alert(kind, what, shown, at, count)


def alerts(db: sqlite3.Connection | Sql, config: Config) -> list[Alert]:
    """The locks in force, read by the dashboard (its own connection to the call log, or
    to PostgreSQL: every node's)."""
    return Guard(db, Limits.for_config(config)).alerts()
