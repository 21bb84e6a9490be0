"""What a complaint ticket is: its table, its row, its states, categories and tiers."""

from __future__ import annotations

import dataclasses
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

from ivr.errors import HajjIvrError
from ivr.store import Schema, add_columns

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

_V1 = """
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
    reply TEXT NOT NULL DEFAULT '',     -- a recorded reply (file in the recordings folder)
    pin_hash TEXT NOT NULL DEFAULT ''   -- numbers.pin_hash; '' for tickets from before PINs
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
# Tickets from before recorded replies and PINs gain those columns.
_REPLIES_AND_PINS = add_columns(
    "tickets", {"reply": "TEXT NOT NULL DEFAULT ''", "pin_hash": "TEXT NOT NULL DEFAULT ''"}
)
SCHEMA = Schema("tickets", (_V1, _REPLIES_AND_PINS))


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
    pin_hash: str = ""
    # The PIN itself, only on the Ticket that open() returns (to be read or shown once).
    pin: str = dataclasses.field(default="", compare=False, repr=False)

    def overdue(self, now: float) -> bool:
        return self.state in OPEN_STATES and now > self.due_at


@dataclass(frozen=True)
class Change:
    at: float
    who: str
    action: str
    note: str


@dataclass(frozen=True)
class NewTicket:
    """A ticket to create, its number and PIN hash already chosen (so the phone can spool
    it and read the number before it is written)."""

    number: str
    created_at: float
    source: str
    category: str
    call_id: str = ""
    caller: str = ""
    porsi: str = ""
    porsi_verified: bool = False
    kabupaten: str = ""
    embarkasi: str = ""
    note: str = ""
    partial: bool = False
    pin_hash: str = ""


def by_id(db: sqlite3.Connection, ticket_id: int) -> Ticket:
    row = db.execute("SELECT * FROM tickets WHERE id = ?", (ticket_id,)).fetchone()
    if row is None:
        raise TicketError(f"no ticket #{ticket_id}")
    return row_to_ticket(row)


def row_to_ticket(row: Sequence[object]) -> Ticket:
    values = list(row)
    values[9] = bool(values[9])
    values[13] = bool(values[13])
    return Ticket(*values)  # type: ignore[arg-type]
