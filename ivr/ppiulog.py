"""Umrah agency licences asked about on the hotline, in the call log's database.

Every licence number a caller keyed and confirmed is a row with what the lookup found.
The ministry reads the numbers asked that are unknown or revoked, by count: an agency
selling umrah under a number nobody licensed, or under a revoked licence, shows up as
callers check it before paying (a fraud signal). A licence number is a company's, not a
person's: the rows are kept like the call rows they belong to.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable

from ivr.data.ppiu import Check
from ivr.store import Schema, Sql, SqliteSql

_V1 = """
CREATE TABLE IF NOT EXISTS ppiu_checks (
    call_id TEXT NOT NULL,
    at REAL NOT NULL,             -- unix time
    licence TEXT NOT NULL,        -- the number keyed (digits, leading zeros kept)
    outcome TEXT NOT NULL         -- licensed | frozen | revoked | unknown | no_list
);
CREATE INDEX IF NOT EXISTS ppiu_checks_at ON ppiu_checks(at);
"""
SCHEMA = Schema("ppiu_checks", (_V1,))

# What the fraud report counts: numbers nobody licensed, and revoked licences.
SUSPICIOUS = (Check.UNKNOWN, Check.REVOKED)


class PpiuLog:
    """The controller's writes (one connection, shared with the other call-log stores)."""

    def __init__(self, db: sqlite3.Connection, clock: Callable[[], float] = time.time) -> None:
        self.db = db
        self.clock = clock

    def add(self, call_id: str, licence: str, outcome: Check) -> None:
        self.db.execute(
            "INSERT INTO ppiu_checks (call_id, at, licence, outcome) VALUES (?, ?, ?, ?)",
            (call_id, self.clock(), licence, str(outcome)),
        )


def suspicious(db: sqlite3.Connection | Sql, since: float) -> list[tuple[str, str, int]]:
    """(licence, outcome, times asked) of unknown and revoked numbers asked since
    ``since``, most asked first."""
    sql = SqliteSql(db) if isinstance(db, sqlite3.Connection) else db
    rows = sql.all(
        "SELECT licence, outcome, count(*) FROM ppiu_checks "
        "WHERE outcome IN (?, ?) AND at >= ? GROUP BY 1, 2 ORDER BY 3 DESC, 1",
        (*(str(s) for s in SUSPICIOUS), since),
    )
    return [(licence, outcome, int(count)) for licence, outcome, count in rows]
