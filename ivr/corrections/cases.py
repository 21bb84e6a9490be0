"""Correction cases: "my data is wrong", filed by phone, worked by the unit that owns it.

A table of calls.sqlite (ivr.calldb opens it with the others), or with ``[database] url``
of PostgreSQL, where every node files and reads them (the same queries: ivr.store.Sql):
the controller writes a case inline on the event loop like a callback request (one
row), the web app and the CLI read it and resolve. A case is numbered like a
complaint ticket (ten random digits, the last two check digits), so a caller who quotes
it to an officer is not mistaken, and the numbers say nothing about how many there are.

States: ``open`` when filed; ``changed`` once an import changed the disputed field
(``reconcile``, run after every import swap), for the unit to confirm; ``resolved`` by
the unit. Resolving asks for a callback (ivr.queue.callbacks) when the caller confirmed a
national number; either way the caller hears it on their next call for that porsi.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from dataclasses import dataclass, fields
from pathlib import Path

from ivr import storeplace
from ivr.complaints import numbers
from ivr.corrections import units
from ivr.data.mirror import Mirror
from ivr.errors import HajjIvrError
from ivr.outcomes import Reason
from ivr.queue.callbacks import Callbacks, Request
from ivr.settings import DatabaseSettings
from ivr.store import Row, Schema, Sql, SqliteSql

_V1 = """
CREATE TABLE IF NOT EXISTS corrections (
    number TEXT PRIMARY KEY,           -- ten digits, the last two check digits
    filed_at REAL NOT NULL,
    call_id TEXT NOT NULL DEFAULT '',
    porsi TEXT NOT NULL,
    field TEXT NOT NULL,               -- estimate | kloter | documents | payment | name | other
    unit TEXT NOT NULL,                -- kind:code (kab:3372, emb:SOC, prop:33)
    unit_name TEXT NOT NULL DEFAULT '',
    verified INTEGER NOT NULL DEFAULT 0,  -- the date of birth was keyed in the call
    snapshot TEXT NOT NULL DEFAULT '', -- the field's value when filed (JSON)
    recording TEXT NOT NULL DEFAULT '',   -- the caller's message, a file in corrections/
    callback_number TEXT NOT NULL DEFAULT '',  -- a national number the caller confirmed
    state TEXT NOT NULL DEFAULT 'open',   -- open | changed | resolved
    changed_at REAL,
    resolved_at REAL,
    resolved_by TEXT NOT NULL DEFAULT '',
    callback_id INTEGER,               -- the callback asked for on resolution
    told_at REAL                       -- when the caller heard it by phone
);
CREATE INDEX IF NOT EXISTS corrections_unit ON corrections(unit, state);
CREATE INDEX IF NOT EXISTS corrections_porsi ON corrections(porsi, state);
"""
SCHEMA = Schema("corrections", (_V1,))
# The same table in PostgreSQL (ivr.pgstore migrates it): its own numbered steps.
_PG_V1 = """
CREATE TABLE IF NOT EXISTS corrections (
    number TEXT PRIMARY KEY,
    filed_at DOUBLE PRECISION NOT NULL,
    call_id TEXT NOT NULL DEFAULT '',
    porsi TEXT NOT NULL,
    field TEXT NOT NULL,
    unit TEXT NOT NULL,
    unit_name TEXT NOT NULL DEFAULT '',
    verified INTEGER NOT NULL DEFAULT 0,
    snapshot TEXT NOT NULL DEFAULT '',
    recording TEXT NOT NULL DEFAULT '',
    callback_number TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL DEFAULT 'open',
    changed_at DOUBLE PRECISION,
    resolved_at DOUBLE PRECISION,
    resolved_by TEXT NOT NULL DEFAULT '',
    callback_id BIGINT,
    told_at DOUBLE PRECISION
);
CREATE INDEX IF NOT EXISTS corrections_unit ON corrections(unit, state);
CREATE INDEX IF NOT EXISTS corrections_porsi ON corrections(porsi, state);
"""
PG_SCHEMA = Schema("corrections", (_PG_V1,))

log = logging.getLogger(__name__)

OPEN, CHANGED, RESOLVED = "open", "changed", "resolved"
STATES = (OPEN, CHANGED, RESOLVED)


class CaseError(HajjIvrError):
    """A correction case that cannot be found or changed (unknown, another unit's)."""


@dataclass(frozen=True)
class NewCase:
    number: str
    filed_at: float
    call_id: str
    porsi: str
    field: str
    unit: str
    unit_name: str
    verified: bool
    snapshot: str


@dataclass(frozen=True)
class Case(NewCase):
    """A stored case: the filed fields (NewCase's, first, in column order), then its life."""

    recording: str
    callback_number: str
    state: str
    changed_at: float | None
    resolved_at: float | None
    resolved_by: str
    callback_id: int | None
    told_at: float | None


@dataclass(frozen=True)
class UnitCount:
    unit: str
    name: str
    states: dict[str, int]  # open, changed, resolved
    oldest: float | None = None  # when its oldest unresolved case was filed


_COLUMNS = ", ".join(f.name for f in fields(Case))


class Cases:
    """The cases, on calls.sqlite (a connection) or PostgreSQL (ivr.pgstore.PgSql)."""

    def __init__(self, db: sqlite3.Connection | Sql) -> None:
        self.sql: Sql = SqliteSql(db) if isinstance(db, sqlite3.Connection) else db

    # --- the phone's writes (inline: one small row each) ---------------------------------

    def new_number(self) -> str:
        """A random case number no case has."""
        for _ in range(5):
            number = numbers.new_number()
            if self.get(number) is None:
                return number
        raise CaseError("no free case number after 5 draws")

    def open(self, new: NewCase) -> None:
        """File a case; CaseError when the store cannot take it (locked past its busy wait,
        a full disk): the caller is told and handed to a person, never left waiting."""
        try:
            self._insert(new)
        except (sqlite3.Error, HajjIvrError) as e:  # PostgreSQL's: SharedStoreError
            raise CaseError(f"correction case {new.number} not stored: {e}") from None

    def _insert(self, new: NewCase) -> None:
        self.sql.run(
            "INSERT INTO corrections (number, filed_at, call_id, porsi, field, unit, unit_name,"
            " verified, snapshot) VALUES (?,?,?,?,?,?,?,?,?)",
            (
                new.number,
                new.filed_at,
                new.call_id,
                new.porsi,
                new.field,
                new.unit,
                new.unit_name,
                int(new.verified),
                new.snapshot,
            ),
        )

    def recorded(self, number: str, recording: str) -> None:
        self._update(number, "recording = ?", recording)

    def call_back_at(self, number: str, phone_number: str) -> None:
        """The national number the caller confirmed, for the callback on resolution."""
        self._update(number, "callback_number = ?", phone_number)

    def _update(self, number: str, column: str, value: object) -> None:
        """A detail the phone adds to a filed case: a store that refuses it is logged, and
        the call goes on (the case is there; the unit sees it without the detail)."""
        try:
            self.sql.run(f"UPDATE corrections SET {column} WHERE number = ?", (value, number))
        except (sqlite3.Error, HajjIvrError) as e:
            log.error("correction case %s: %s not stored (%s)", number, column, e)

    # --- reads --------------------------------------------------------------------------

    def get(self, number: str) -> Case | None:
        row = self.sql.one(f"SELECT {_COLUMNS} FROM corrections WHERE number = ?", (number,))
        return _case(row) if row else None

    def search(self, unit: str = "", state: str = "", limit: int = 500) -> list[Case]:
        """Cases newest first; of one unit (``kind:code``) and one state when given."""
        where, args = ["1 = 1"], []
        if unit:
            where.append("unit = ?")
            args.append(unit)
        if state:
            where.append("state = ?")
            args.append(state)
        rows = self.sql.all(
            f"SELECT {_COLUMNS} FROM corrections WHERE {' AND '.join(where)} "
            "ORDER BY filed_at DESC LIMIT ?",
            (*args, limit),
        )
        return [_case(r) for r in rows]

    def by_unit(self) -> list[UnitCount]:
        """Every unit with a case: its cases by state and its oldest case still unresolved."""
        found: dict[str, UnitCount] = {}
        for unit, name, state, count, oldest in self.sql.all(
            "SELECT unit, max(unit_name), state, count(*), min(filed_at) FROM corrections "
            "GROUP BY unit, state"
        ):
            known = found.setdefault(unit, UnitCount(unit, name, dict.fromkeys(STATES, 0)))
            known.states[state] = int(count)
            if state != RESOLVED and (known.oldest is None or oldest < known.oldest):
                found[unit] = known = UnitCount(unit, name, known.states, oldest)
        return [found[unit] for unit in sorted(found)]

    def untold(self, porsi: str) -> list[Case]:
        """Resolved cases of this porsi the caller has not heard about by phone yet."""
        rows = self.sql.all(
            f"SELECT {_COLUMNS} FROM corrections WHERE porsi = ? AND state = 'resolved' "
            "AND told_at IS NULL ORDER BY filed_at",
            (porsi,),
        )
        return [_case(r) for r in rows]

    # --- retention (ivr.retention) --------------------------------------------------------

    def resolved_with_personal_data(self, before: float) -> list[Case]:
        """Cases resolved before ``before`` that still hold a porsi, a number or a message."""
        rows = self.sql.all(
            f"SELECT {_COLUMNS} FROM corrections WHERE state = 'resolved' AND resolved_at < ? "
            "AND (porsi != '' OR callback_number != '' OR recording != '')",
            (before,),
        )
        return [_case(r) for r in rows]

    def forget(self, number: str) -> None:
        """The porsi, number, message and snapshot go; unit, field, dates and state stay (the
        accuracy report counts them)."""
        self.sql.run(
            "UPDATE corrections SET porsi = '', callback_number = '', recording = '', "
            "snapshot = '' WHERE number = ?",
            (number,),
        )

    def file_names(self) -> set[str]:
        """The messages cases still name (the recordings folder's purge keeps them)."""
        rows = self.sql.all("SELECT recording FROM corrections WHERE recording != ''")
        return {str(name) for (name,) in rows}

    def told(self, number: str, now: float) -> None:
        self._update(number, "told_at = ?", now)

    # --- the units' side ----------------------------------------------------------------

    def resolve(
        self, number: str, by: str, callbacks: Callbacks, unit: str = "", now: float | None = None
    ) -> Case:
        """The unit checked the data: resolved, and a callback asked for when the caller
        confirmed a number. ``unit``: the resolving account's own (another unit's case is
        refused as unknown); "" for an admin.

        The callback first, then the case: two statements (the requests may be another
        store's), so a resolve stopped between them leaves the case open with its callback
        asked, and resolving again finds that request (one open per number and porsi)
        and finishes. Two units resolving at once: the first one's row stands."""
        now = time.time() if now is None else now
        case = self.get(number)
        if case is None or (unit and case.unit != unit):
            raise CaseError(f"no correction case {number}")
        if case.state == RESOLVED:
            return case
        callback_id = None
        if case.callback_number:
            req = Request(
                case.callback_number, case.porsi, case.call_id, Reason.CORRECTION_RESOLVED
            )
            callback_id = callbacks.request(req, now=now)[0].id
        self.sql.run(
            "UPDATE corrections SET state = 'resolved', resolved_at = ?, resolved_by = ?, "
            "callback_id = ? WHERE number = ? AND state != 'resolved'",
            (now, by, callback_id, number),
        )
        resolved = self.get(number)
        assert resolved is not None
        return resolved

    def reconcile(self, mirror: Mirror, now: float | None = None) -> int:
        """After an import: open cases whose disputed field changed become "changed" (the
        unit confirms); how many. A porsi gone from the data counts as changed."""
        now = time.time() if now is None else now
        changed = []
        for case in self.search(state=OPEN, limit=1_000_000):
            j = mirror.lookup(case.porsi)
            if j is None or units.snapshot(j, case.field) != case.snapshot:
                changed.append(case.number)
        for number in changed:
            self.sql.run(
                "UPDATE corrections SET state = 'changed', changed_at = ? "
                "WHERE number = ? AND state = 'open'",
                (now, number),
            )
        return len(changed)


def after_import(database: DatabaseSettings, calllog: Path, mirror: Path) -> int:
    """After an import swapped in a new mirror (the CLI's and the dashboard's): mark the
    open cases whose disputed field changed; how many. (With ``[database] url`` every
    node's cases: the node that imports reconciles them all.)"""
    with storeplace.opened(database, calllog, (SCHEMA,), wal=True) as sql, Mirror(mirror) as data:
        return Cases(sql).reconcile(data)


def _case(row: Row) -> Case:
    values = list(row)
    values[7] = bool(values[7])
    return Case(*values)
