"""Complaint tickets and their history (state_dir/complaints.sqlite, WAL; or with
``[database] url`` PostgreSQL, the desk every node shares: ivr.storeplace).

Numbers and PINs are ``numbers.py``'s: ten digits, random, with check digits. States: new,
verifying, in_progress, resolved, rejected (with a reason). Tiers 1-3 each have a due
time (SLA); an open ticket past it escalates on its own (``escalate_overdue``), and one
past it at tier 3 shows as overdue. Every change is a history row: who, when, what, note.
The phone writes through ``writer.py`` (off the event loop, spooled, never lost); the
dashboard and the CLI write here directly.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence
from contextlib import closing
from pathlib import Path

from ivr import secrets, storeplace
from ivr.complaints import model, numbers
from ivr.complaints.model import CATEGORIES as CATEGORIES
from ivr.complaints.model import COLUMNS
from ivr.complaints.model import OPEN_STATES as OPEN_STATES
from ivr.complaints.model import SCHEMA as SCHEMA
from ivr.complaints.model import STATES as STATES
from ivr.complaints.model import TIERS as TIERS
from ivr.complaints.model import Change as Change
from ivr.complaints.model import NewTicket as NewTicket
from ivr.complaints.model import Ticket as Ticket
from ivr.complaints.model import TicketError as TicketError
from ivr.config import Config
from ivr.settings import DatabaseSettings
from ivr.store import Sql, open_store


class Tickets:
    """``database``: where the tickets are (its PostgreSQL, else the file at ``path``);
    ``sql``: tables already open (the controller's pool, a test's backend)."""

    def __init__(
        self,
        path: Path,
        sla_hours: Sequence[float],
        clock: Callable[[], float] = time.time,
        *,
        pin_key: bytes,
        database: DatabaseSettings | None = None,
        sql: Sql | None = None,
    ) -> None:
        self.path = path
        self.sla = {tier: hours * 3600 for tier, hours in zip(TIERS, sla_hours, strict=True)}
        self.clock = clock
        self.pin_key = pin_key
        self._place = storeplace.chosen(path, (SCHEMA,), database, sql)
        if sql is None and not (database and database.postgres):
            # WAL: phone writes, dashboard writes and readers never wait on each other's
            # reads (set once: the file keeps it).
            with closing(open_store(path, SCHEMA, wal=True)):
                pass

    def open(
        self,
        *,
        source: str,
        category: str,
        who: str,
        pin: str | None = None,
        call_id: str = "",
        caller: str = "",
        porsi: str = "",
        porsi_verified: bool = False,
        kabupaten: str = "",
        embarkasi: str = "",
        note: str = "",
        partial: bool = False,
    ) -> Ticket:
        """A new ticket with a fresh number and PIN (``pin`` None: a random one; "": none).

        The PIN is on the returned Ticket only (``.pin``), to be told to the caller once.
        """
        pin = numbers.new_pin() if pin is None else pin
        number = self.draw_number()
        new = NewTicket(
            number,
            self.clock(),
            source,
            category,
            call_id,
            caller,
            porsi,
            porsi_verified,
            kabupaten,
            embarkasi,
            note,
            partial,
            self.pin_hash(number, pin) if pin else "",
        )
        return dataclasses.replace(self.create(new, who), pin=pin)

    def draw_number(self) -> str:
        """A random ticket number no ticket has and no writer drew before, taken in the
        store (ticket_numbers) before it is told to anyone: two writers (two nodes, the
        phone's spool and the dashboard) never give two complaints one number."""
        for _ in range(5):  # a random number already taken: draw another
            number = numbers.new_number()
            with self._place() as sql:
                taken = sql.one(
                    "INSERT INTO ticket_numbers (number, drawn_at) SELECT ?, ?"
                    " WHERE NOT EXISTS (SELECT 1 FROM tickets WHERE number = ?)"
                    " ON CONFLICT (number) DO NOTHING RETURNING number",
                    (number, self.clock(), number),
                )
            if taken is not None:
                return number
        raise TicketError("no free ticket number after 5 draws")

    def create(self, new: NewTicket, who: str) -> Ticket:
        """Store a ticket whose number is chosen; one already stored for the same call is
        returned as it is (the phone's spool may apply a ticket twice after a crash)."""
        if new.category not in CATEGORIES:
            raise TicketError(f"category {new.category!r}: use one of {', '.join(CATEGORIES)}")
        if not numbers.valid_number(new.number):
            raise TicketError(f"{new.number!r} is not a ticket number")
        with self._place() as sql, sql.transaction() as tx:
            added = tx.one(
                "INSERT INTO tickets (number, created_at, updated_at, source, call_id, caller, "
                "category, porsi, porsi_verified, kabupaten, embarkasi, note, partial, due_at, "
                "pin_hash) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
                " ON CONFLICT (number) DO NOTHING RETURNING id",
                (
                    new.number,
                    new.created_at,
                    new.created_at,
                    new.source,
                    new.call_id,
                    new.caller,
                    new.category,
                    new.porsi,
                    int(new.porsi_verified),
                    new.kabupaten,
                    new.embarkasi,
                    new.note,
                    int(new.partial),
                    new.created_at + self.sla[1],
                    new.pin_hash,
                ),
            )
            if added is None:
                same = tx.one(
                    "SELECT id FROM tickets WHERE number = ? AND call_id = ? AND created_at = ?",
                    (new.number, new.call_id, new.created_at),
                )
                if same is None:  # never another caller's ticket under their number
                    raise TicketError(f"ticket number {new.number} is another ticket's")
                return model.by_id(tx, int(same[0]))
            self._log(tx, int(added[0]), who, "created", f"{new.source}, {new.category}")
            return model.by_id(tx, int(added[0]))

    def pin_hash(self, number: str, pin: str) -> str:
        return numbers.pin_hash(self.pin_key, number, pin)

    def pin_ok(self, ticket: Ticket, pin: str) -> bool:
        """The caller's proof; a ticket without a PIN (from before PINs) never passes."""
        return numbers.pin_ok(self.pin_key, ticket.number, pin, ticket.pin_hash)

    def new_pin(self, ticket: Ticket, who: str) -> Ticket:
        """A fresh PIN for the caller (theirs is lost, or the ticket predates PINs): the
        returned Ticket carries it (``.pin``) to be told once; the old one stops working."""
        pin = numbers.new_pin()
        updated = self._update(
            ticket, who, "new PIN", "", pin_hash=self.pin_hash(ticket.number, pin)
        )
        return dataclasses.replace(updated, pin=pin)

    def _log(self, sql: Sql, ticket_id: int, who: str, action: str, note: str = "") -> None:
        sql.run(
            "INSERT INTO history (ticket_id, at, who, action, note) VALUES (?, ?, ?, ?, ?)",
            (ticket_id, self.clock(), who, action, note),
        )

    def by_id(self, ticket_id: int) -> Ticket:
        with self._place() as sql:
            return model.by_id(sql, ticket_id)

    def get(self, number: str) -> Ticket:
        if not numbers.valid_number(number):
            raise TicketError(f"{number!r} is not a ticket number")
        with self._place() as sql:
            row = sql.one(f"SELECT {COLUMNS} FROM tickets WHERE number = ?", (number,))
        if row is None:
            raise TicketError(f"no ticket {number}")
        return model.row_to_ticket(row)

    def find(self, number: str) -> Ticket | None:
        try:
            return self.get(number)
        except TicketError:
            return None

    def history(self, ticket: Ticket) -> list[Change]:
        with self._place() as sql:
            rows = sql.all(
                "SELECT at, who, action, note FROM history WHERE ticket_id = ? ORDER BY at, rowid",
                (ticket.id,),
            )
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
        with self._place() as sql:
            rows = sql.all(
                f"SELECT {COLUMNS} FROM tickets WHERE {' AND '.join(where)}"
                " ORDER BY created_at DESC LIMIT ?",
                (*args, limit),
            )
        return [model.row_to_ticket(r) for r in rows]

    def _update(
        self,
        ticket: Ticket,
        who: str,
        action: str,
        note: str,
        *,
        as_read: bool = False,
        **fields: object,
    ) -> Ticket:
        """Change the ticket and log it. ``as_read``: only if its state and tier are
        still what ``ticket`` says, the decision's grounds (two officers, or two nodes'
        escalation jobs, acting on one ticket at once: the second is refused)."""
        fields["updated_at"] = self.clock()
        sets = ", ".join(f"{k} = ?" for k in fields)
        where, args = "id = ?", list[object]([ticket.id])
        if as_read:
            where, args = f"{where} AND state = ? AND tier = ?", [*args, ticket.state, ticket.tier]
        with self._place() as sql, sql.transaction() as tx:
            if not tx.run(f"UPDATE tickets SET {sets} WHERE {where}", (*fields.values(), *args)):
                raise TicketError(f"ticket {ticket.number} was changed meanwhile: reload it")
            self._log(tx, ticket.id, who, action, note)
            return model.by_id(tx, ticket.id)

    # --- what happens to a ticket ------------------------------------------------------

    def recorded(self, ticket: Ticket, recording: str, partial: bool) -> Ticket:
        if (ticket.recording, ticket.partial) == (recording, partial):
            return ticket  # a spooled write applied again after a restart
        what = "recording kept (caller hung up)" if partial else "recording confirmed"
        return self._update(ticket, "caller", what, "", recording=recording, partial=int(partial))

    def move(self, ticket: Ticket, state: str, who: str, note: str = "") -> Ticket:
        if ticket.state not in OPEN_STATES:
            raise TicketError(f"ticket {ticket.number} is {ticket.state}: it is closed")
        if state not in ("verifying", "in_progress"):
            raise TicketError(f"state {state!r}: resolve or reject to close a ticket")
        return self._update(ticket, who, state, note, as_read=True, state=state)

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
            as_read=True,
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
            as_read=True,
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
            as_read=True,
            tier=tier,
            due_at=self.clock() + self.sla[tier],
        )

    def escalate_overdue(self) -> list[Ticket]:
        """Every open ticket past its due time below tier 3 goes up one tier (once: one
        another node's job or an officer changed meanwhile is theirs)."""
        late = [t for t in self.search(overdue=True, limit=10_000) if t.tier < 3]
        done = []
        for ticket in late:
            try:
                done.append(self.escalate(ticket, "system", "overdue"))
            except TicketError:
                continue
        return done

    # --- retention ---------------------------------------------------------------------

    def closed_with_personal_data(self, before: float) -> list[Ticket]:
        """Tickets closed before ``before`` that still hold audio, a number or a porsi."""
        with self._place() as sql:
            rows = sql.all(
                f"SELECT {COLUMNS} FROM tickets WHERE state NOT IN {OPEN_STATES}"
                " AND resolved_at < ?"
                " AND (recording != '' OR reply != '' OR caller != '' OR porsi != '')",
                (before,),
            )
        return [model.row_to_ticket(r) for r in rows]

    def file_names(self) -> set[str]:
        """Every recording and reply file a ticket names."""
        with self._place() as sql:
            rows = sql.all("SELECT recording, reply FROM tickets")
        return {name for row in rows for name in row if name}

    def forget(self, ticket: Ticket, days: int) -> Ticket:
        """Blank a closed ticket's personal data (its files are the caller's to delete);
        category, dates, state, tier and history stay for the reports."""
        if ticket.state in OPEN_STATES:
            raise TicketError(f"ticket {ticket.number} is open: its data is still needed")
        note = f"closed more than {days} days: recording, reply, caller number, porsi, PIN removed"
        return self._update(
            ticket,
            "system",
            "retention",
            note,
            recording="",
            reply="",
            caller="",
            porsi="",
            pin_hash="",
        )


def for_config(
    config: Config, clock: Callable[[], float] = time.time, sql: Sql | None = None
) -> Tickets:
    """The tickets where ``config`` keeps them; ``sql``: the controller's pool on the
    configured PostgreSQL (ivr.wiring), else each use opens its own (storeplace.opened)."""
    c = config.complaints
    sla = (c.sla_tier1_hours, c.sla_tier2_hours, c.sla_tier3_hours)
    key = secrets.load_or_create(config.secrets_path).pin_secret.encode()
    return Tickets(
        config.complaints_path, sla, clock, pin_key=key, database=config.database, sql=sql
    )
