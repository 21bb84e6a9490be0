"""Complaint tickets and their history (state_dir/complaints.sqlite).

A ticket number is eight digits: six of sequence and two check digits (ISO 7064
mod 97-10, as in IBANs), so a mistyped number is caught before any lookup. States: new,
verifying, in_progress, resolved, rejected (with a reason). Tiers 1-3 each have a due
time (SLA); an open ticket past it escalates on its own (``escalate_overdue``), and one
past it at tier 3 shows as overdue. Every change is a history row: who, when, what, note.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Sequence
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from ivr.config import Config
from ivr.errors import HajjIvrError
from ivr.store import open_store

CATEGORIES = (
    "accommodation",
    "transport",
    "catering",
    "health",
    "documents",
    "payment",
    "officer_conduct",
    "other",
)
STATES = ("new", "verifying", "in_progress", "resolved", "rejected")
OPEN_STATES = ("new", "verifying", "in_progress")
TIERS = (1, 2, 3)

SCHEMA = """
CREATE TABLE IF NOT EXISTS tickets (
    id INTEGER PRIMARY KEY,
    number TEXT NOT NULL UNIQUE,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    source TEXT NOT NULL,              -- phone | agent
    call_id TEXT NOT NULL DEFAULT '',
    caller TEXT NOT NULL DEFAULT '',
    category TEXT NOT NULL,
    porsi TEXT NOT NULL DEFAULT '',
    porsi_verified INTEGER NOT NULL DEFAULT 0,
    kabupaten TEXT NOT NULL DEFAULT '',
    embarkasi TEXT NOT NULL DEFAULT '',
    recording TEXT NOT NULL DEFAULT '', -- file name in the recordings folder
    partial INTEGER NOT NULL DEFAULT 0, -- the caller hung up before confirming
    note TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL DEFAULT 'new',
    tier INTEGER NOT NULL DEFAULT 1,
    due_at REAL NOT NULL,
    resolution TEXT NOT NULL DEFAULT '',  -- a prompt id (resolution-*) read to the caller
    resolved_at REAL,
    reject_reason TEXT NOT NULL DEFAULT '',
    reply TEXT NOT NULL DEFAULT ''      -- a recorded reply (file in the recordings folder)
);
CREATE INDEX IF NOT EXISTS tickets_open ON tickets(state, due_at);
CREATE TABLE IF NOT EXISTS history (
    ticket_id INTEGER NOT NULL REFERENCES tickets(id),
    at REAL NOT NULL,
    who TEXT NOT NULL,
    action TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS history_ticket ON history(ticket_id);
"""


class TicketError(HajjIvrError):
    """A ticket action that cannot be done (unknown number, wrong state, ...)."""


@dataclass(frozen=True)
class Ticket:
    id: int
    number: str
    created_at: float
    updated_at: float
    source: str
    call_id: str
    caller: str
    category: str
    porsi: str
    porsi_verified: bool
    kabupaten: str
    embarkasi: str
    recording: str
    partial: bool
    note: str
    state: str
    tier: int
    due_at: float
    resolution: str
    resolved_at: float | None
    reject_reason: str
    reply: str = ""

    def overdue(self, now: float) -> bool:
        return self.state in OPEN_STATES and now > self.due_at


@dataclass(frozen=True)
class Change:
    at: float
    who: str
    action: str
    note: str


def check_digits(sequence: int) -> str:
    return f"{98 - (sequence * 100) % 97:02d}"


def number_for(sequence: int) -> str:
    return f"{sequence:06d}{check_digits(sequence)}"


def valid_number(number: str) -> bool:
    return len(number) == 8 and number.isdigit() and check_digits(int(number[:6])) == number[6:]


class Tickets:
    def __init__(
        self, path: Path, sla_hours: Sequence[float], clock: Callable[[], float] = time.time
    ) -> None:
        self.path = path
        self.sla = {tier: hours * 3600 for tier, hours in zip(TIERS, sla_hours, strict=True)}
        self.clock = clock
        with closing(open_store(path, SCHEMA)) as db:
            # Stores made before recorded replies existed gain the column (at the end, as
            # in SCHEMA, so rows still map onto Ticket in order).
            columns = {row[1] for row in db.execute("PRAGMA table_info(tickets)")}
            if "reply" not in columns:
                db.execute("ALTER TABLE tickets ADD COLUMN reply TEXT NOT NULL DEFAULT ''")

    def _db(self) -> sqlite3.Connection:
        return open_store(self.path)  # the schema is in place since __init__

    def open(
        self,
        *,
        source: str,
        category: str,
        who: str,
        call_id: str = "",
        caller: str = "",
        porsi: str = "",
        porsi_verified: bool = False,
        kabupaten: str = "",
        embarkasi: str = "",
        note: str = "",
        partial: bool = False,
    ) -> Ticket:
        if category not in CATEGORIES:
            raise TicketError(f"category {category!r}: use one of {', '.join(CATEGORIES)}")
        now = self.clock()
        db = self._db()
        try:
            db.execute("BEGIN IMMEDIATE")
            sequence = db.execute("SELECT coalesce(max(id), 0) + 1 FROM tickets").fetchone()[0]
            db.execute(
                "INSERT INTO tickets (id, number, created_at, updated_at, source, call_id, "
                "caller, category, porsi, porsi_verified, kabupaten, embarkasi, note, partial, "
                "due_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    sequence,
                    number_for(sequence),
                    now,
                    now,
                    source,
                    call_id,
                    caller,
                    category,
                    porsi,
                    int(porsi_verified),
                    kabupaten,
                    embarkasi,
                    note,
                    int(partial),
                    now + self.sla[1],
                ),
            )
            self._log(db, sequence, who, "created", f"{source}, {category}")
            db.execute("COMMIT")
            return _by_id(db, sequence)
        finally:
            db.close()

    def _log(
        self, db: sqlite3.Connection, ticket_id: int, who: str, action: str, note: str = ""
    ) -> None:
        db.execute(
            "INSERT INTO history VALUES (?, ?, ?, ?, ?)",
            (ticket_id, self.clock(), who, action, note),
        )

    def by_id(self, ticket_id: int) -> Ticket:
        with closing(self._db()) as db:
            return _by_id(db, ticket_id)

    def get(self, number: str) -> Ticket:
        if not valid_number(number):
            raise TicketError(f"{number!r} is not a ticket number")
        return self.by_id(int(number[:6]))

    def find(self, number: str) -> Ticket | None:
        try:
            return self.get(number)
        except TicketError:
            return None

    def history(self, ticket: Ticket) -> list[Change]:
        db = self._db()
        try:
            rows = db.execute(
                "SELECT at, who, action, note FROM history WHERE ticket_id = ? ORDER BY at, rowid",
                (ticket.id,),
            ).fetchall()
        finally:
            db.close()
        return [Change(*r) for r in rows]

    def search(
        self,
        *,
        state: str = "",
        tier: int = 0,
        category: str = "",
        overdue: bool = False,
        limit: int = 200,
    ) -> list[Ticket]:
        where, args = ["1 = 1"], list[object]()
        if state:
            where.append("state = ?")
            args.append(state)
        if tier:
            where.append("tier = ?")
            args.append(tier)
        if category:
            where.append("category = ?")
            args.append(category)
        if overdue:
            where.append(f"state IN {OPEN_STATES} AND due_at < ?")
            args.append(self.clock())
        db = self._db()
        try:
            rows = db.execute(
                f"SELECT * FROM tickets WHERE {' AND '.join(where)} ORDER BY created_at DESC "
                "LIMIT ?",
                (*args, limit),
            ).fetchall()
        finally:
            db.close()
        return [_ticket(r) for r in rows]

    def _update(self, ticket: Ticket, who: str, action: str, note: str, **fields: object) -> Ticket:
        fields["updated_at"] = self.clock()
        sets = ", ".join(f"{k} = ?" for k in fields)
        db = self._db()
        try:
            db.execute("BEGIN IMMEDIATE")
            db.execute(f"UPDATE tickets SET {sets} WHERE id = ?", (*fields.values(), ticket.id))
            self._log(db, ticket.id, who, action, note)
            db.execute("COMMIT")
            return _by_id(db, ticket.id)
        finally:
            db.close()

    # --- what happens to a ticket ------------------------------------------------------

    def recorded(self, ticket: Ticket, recording: str, partial: bool) -> Ticket:
        what = "recording kept (caller hung up)" if partial else "recording confirmed"
        return self._update(ticket, "caller", what, "", recording=recording, partial=int(partial))

    def move(self, ticket: Ticket, state: str, who: str, note: str = "") -> Ticket:
        if ticket.state not in OPEN_STATES:
            raise TicketError(f"ticket {ticket.number} is {ticket.state}: it is closed")
        if state not in ("verifying", "in_progress"):
            raise TicketError(f"state {state!r}: resolve or reject to close a ticket")
        return self._update(ticket, who, state, note, state=state)

    def resolve(
        self, ticket: Ticket, who: str, resolution: str, note: str = "", reply: str = ""
    ) -> Ticket:
        """Close a ticket with what the caller will hear: a catalog note (``resolution``,
        a resolution-* prompt id), a recorded reply (``reply``, a file in the recordings
        folder), or both (the note first)."""
        if ticket.state not in OPEN_STATES:
            raise TicketError(f"ticket {ticket.number} is already {ticket.state}")
        if not resolution and not reply:
            raise TicketError("a resolution needs a note from the catalog or a recorded reply")
        return self._update(
            ticket,
            who,
            "resolved",
            note or " + ".join(x for x in (resolution, reply and "recorded reply") if x),
            state="resolved",
            resolution=resolution,
            reply=reply,
            resolved_at=self.clock(),
        )

    def reject(self, ticket: Ticket, who: str, reason: str) -> Ticket:
        if not reason.strip():
            raise TicketError("a rejection needs its reason")
        if ticket.state not in OPEN_STATES:
            raise TicketError(f"ticket {ticket.number} is already {ticket.state}")
        return self._update(
            ticket,
            who,
            "rejected",
            reason,
            state="rejected",
            reject_reason=reason.strip(),
            resolved_at=self.clock(),
        )

    def escalate(self, ticket: Ticket, who: str, note: str = "") -> Ticket:
        if ticket.state not in OPEN_STATES:
            raise TicketError(f"ticket {ticket.number} is {ticket.state}: it is closed")
        if ticket.tier >= 3:
            raise TicketError(f"ticket {ticket.number} is already at tier 3")
        tier = ticket.tier + 1
        return self._update(
            ticket,
            who,
            f"escalated to tier {tier}",
            note,
            tier=tier,
            due_at=self.clock() + self.sla[tier],
        )

    def escalate_overdue(self) -> list[Ticket]:
        """Every open ticket past its due time below tier 3 goes up one tier."""
        late = [t for t in self.search(overdue=True, limit=10_000) if t.tier < 3]
        return [self.escalate(t, "system", "overdue") for t in late]

    # --- retention ---------------------------------------------------------------------

    def closed_with_personal_data(self, before: float) -> list[Ticket]:
        """Tickets closed before ``before`` that still hold audio, a number or a porsi."""
        with closing(self._db()) as db:
            rows = db.execute(
                f"SELECT * FROM tickets WHERE state NOT IN {OPEN_STATES} AND resolved_at < ? "
                "AND (recording != '' OR reply != '' OR caller != '' OR porsi != '')",
                (before,),
            ).fetchall()
        return [_ticket(r) for r in rows]

    def file_names(self) -> set[str]:
        """Every recording and reply file a ticket names."""
        with closing(self._db()) as db:
            rows = db.execute("SELECT recording, reply FROM tickets").fetchall()
        return {name for row in rows for name in row if name}

    def forget(self, ticket: Ticket, days: int) -> Ticket:
        """Blank a closed ticket's personal data (its files are the caller's to delete);
        category, dates, state, tier and history stay for the reports."""
        if ticket.state in OPEN_STATES:
            raise TicketError(f"ticket {ticket.number} is open: its data is still needed")
        note = f"closed more than {days} days: recording, reply, caller number, porsi removed"
        return self._update(
            ticket, "system", "retention", note, recording="", reply="", caller="", porsi=""
        )


def _by_id(db: sqlite3.Connection, ticket_id: int) -> Ticket:
    row = db.execute("SELECT * FROM tickets WHERE id = ?", (ticket_id,)).fetchone()
    if row is None:
        raise TicketError(f"no ticket #{ticket_id}")
    return _ticket(row)


def _ticket(row: Sequence[object]) -> Ticket:
    values = list(row)
    values[9] = bool(values[9])
    values[13] = bool(values[13])
    return Ticket(*values)  # type: ignore[arg-type]


def for_config(config: Config, clock: Callable[[], float] = time.time) -> Tickets:
    c = config.complaints
    sla = (c.sla_tier1_hours, c.sla_tier2_hours, c.sla_tier3_hours)
    return Tickets(config.complaints_path, sla, clock)
