"""Complaint tickets: random numbers with check digits, PINs, states and history,
escalation by time, stores from before PINs. The store's own tests run on SQLite and on
PostgreSQL (the ``backend`` fixture)."""

from __future__ import annotations

import itertools
import sqlite3
from pathlib import Path

import pytest

from ivr.complaints import numbers
from ivr.complaints.model import PG_SCHEMA
from ivr.complaints.numbers import number_for, valid_number
from ivr.complaints.tickets import SCHEMA, TicketError, Tickets
from tests.rig.clock import Clock
from tests.rig.postgres import Backend

HOUR = 3600.0
KEY = b"a pin secret for tests"


@pytest.fixture
def clock() -> Clock:
    return Clock()


def node(backend: Backend, clock: Clock, key: bytes = KEY) -> Tickets:
    """The tickets over a connection of their own (one node's, or the web app's)."""
    sql = backend.sql((SCHEMA,), (PG_SCHEMA,), "complaints.sqlite")
    return Tickets(backend.folder / "complaints.sqlite", (24, 72, 168), clock, pin_key=key, sql=sql)


@pytest.fixture
def desk(backend: Backend, clock: Clock) -> Tickets:
    return node(backend, clock)


@pytest.mark.parametrize("digits", [numbers.NUMBER_DIGITS, numbers.LEGACY_DIGITS])
def test_ticket_numbers_catch_a_mistyped_digit(digits: int) -> None:
    number = number_for(42, digits)
    assert len(number) == digits and number.startswith("0" * (digits - 4) + "42")
    assert valid_number(number)
    for i in range(digits):  # any single wrong digit is caught
        wrong = number[:i] + str((int(number[i]) + 1) % 10) + number[i + 1 :]
        assert not valid_number(wrong)
    assert not valid_number("1234") and not valid_number("abcdefghij")


def test_ticket_numbers_of_consecutive_tickets_are_random(desk: Tickets) -> None:
    made = [desk.open(source="phone", category="other", who="caller").number for _ in range(20)]
    assert all(len(n) == 10 and valid_number(n) for n in made)
    bodies = [int(n[:8]) for n in made]
    assert len(set(bodies)) == 20
    assert all(abs(b - a) > 1 for a, b in itertools.pairwise(bodies))


def test_ticket_pin_given_once_kept_as_a_keyed_hash(
    backend: Backend, clock: Clock, desk: Tickets
) -> None:
    ticket = desk.open(source="phone", category="other", who="caller")
    assert len(ticket.pin) == 4 and ticket.pin.isdigit()
    stored = desk.get(ticket.number)
    assert stored.pin == "" and ticket.pin not in stored.pin_hash
    assert desk.pin_ok(stored, ticket.pin)
    assert not desk.pin_ok(stored, f"{(int(ticket.pin) + 1) % 10_000:04d}")
    assert not desk.pin_ok(stored, "") and not desk.pin_ok(stored, ticket.pin + "0")
    # Another key (another installation, or a stolen store alone) checks nothing.
    other = node(backend, clock, b"other")
    assert not other.pin_ok(stored, ticket.pin)
    renewed = desk.new_pin(stored, "siti")
    assert desk.pin_ok(renewed, renewed.pin)
    assert renewed.pin == ticket.pin or not desk.pin_ok(renewed, ticket.pin)  # the old one ends
    assert desk.history(renewed)[-1].action == "new PIN"


def test_ticket_lifecycle_keeps_every_change(desk: Tickets, clock: Clock) -> None:
    ticket = desk.open(
        source="phone",
        category="catering",
        who="caller",
        caller="0811",
        porsi="1100123456",
        porsi_verified=True,
        partial=True,
    )
    assert (ticket.state, ticket.tier, ticket.due_at) == ("new", 1, clock.now + 24 * HOUR)
    ticket = desk.recorded(ticket, f"{ticket.number}.wav", partial=False)
    clock.now += 60
    ticket = desk.move(ticket, "verifying", "siti", "calling the hotel")
    ticket = desk.move(ticket, "in_progress", "siti")
    ticket = desk.resolve(ticket, "siti", "resolution-followed-up")
    assert (ticket.state, ticket.resolution, ticket.partial) == (
        "resolved",
        "resolution-followed-up",
        False,
    )
    actions = [(c.who, c.action) for c in desk.history(ticket)]
    assert actions == [
        ("caller", "created"),
        ("caller", "recording confirmed"),
        ("siti", "verifying"),
        ("siti", "in_progress"),
        ("siti", "resolved"),
    ]
    with pytest.raises(TicketError, match="already resolved"):
        desk.reject(ticket, "siti", "duplicate")
    assert desk.get(ticket.number) == ticket


def test_ticket_reject_needs_a_reason(desk: Tickets) -> None:
    ticket = desk.open(source="agent", category="other", who="siti")
    with pytest.raises(TicketError, match="needs its reason"):
        desk.reject(ticket, "siti", " ")
    assert desk.reject(ticket, "siti", "not about hajj").reject_reason == "not about hajj"


def test_ticket_overdue_escalates_on_its_own_tier_by_tier(desk: Tickets, clock: Clock) -> None:
    ticket = desk.open(source="phone", category="health", who="caller")
    clock.now += 23 * HOUR
    assert desk.escalate_overdue() == []
    clock.now += 2 * HOUR  # past the 24 h of tier 1
    [up] = desk.escalate_overdue()
    assert (up.tier, up.due_at) == (2, clock.now + 72 * HOUR)
    assert [c.action for c in desk.history(up)][-1] == "escalated to tier 2"
    clock.now += 73 * HOUR
    [top] = desk.escalate_overdue()
    assert top.tier == 3
    clock.now += 169 * HOUR  # past tier 3: nowhere higher, shown as overdue
    assert desk.escalate_overdue() == []
    assert desk.get(ticket.number).overdue(clock.now)
    assert [t.number for t in desk.search(overdue=True)] == [ticket.number]
    assert desk.search(tier=3, state="new")[0].number == ticket.number


def test_ticket_unknown_category_refused(desk: Tickets) -> None:
    with pytest.raises(TicketError, match="category 'noise'"):
        desk.open(source="phone", category="noise", who="caller")


def test_resolution_needs_a_note_or_a_reply(desk: Tickets) -> None:
    ticket = desk.open(source="agent", category="other", who="siti")
    with pytest.raises(TicketError, match="note from the catalog or a recorded reply"):
        desk.resolve(ticket, "siti", "")
    resolved = desk.resolve(ticket, "siti", "", reply=f"{ticket.number}-reply.wav")
    assert (resolved.resolution, resolved.reply) == ("", f"{ticket.number}-reply.wav")
    assert desk.history(resolved)[-1].note == "recorded reply"


def test_a_store_from_before_replies_and_pins_keeps_its_tickets(tmp_path: Path) -> None:
    path = tmp_path / "complaints.sqlite"
    old = sqlite3.connect(path)
    ddl = SCHEMA.script
    cut = ddl.index(",\n    reply TEXT")
    old.executescript(ddl[:cut] + "\n);" + ddl[ddl.index("\nCREATE INDEX") :])
    legacy = number_for(7, numbers.LEGACY_DIGITS)  # eight digits, sequential, no PIN
    old.execute(
        "INSERT INTO tickets (id, number, created_at, updated_at, source, category, due_at) "
        "VALUES (7, ?, 1, 1, 'phone', 'transport', 2)",
        (legacy,),
    )
    old.commit()
    old.close()
    desk = Tickets(path, (24, 72, 168), pin_key=KEY)
    kept = desk.get(legacy)  # still opens by its number (the dashboard)
    assert (kept.id, kept.reply, kept.pin_hash) == (7, "", "")
    assert not desk.pin_ok(kept, "0000")  # no PIN: by phone, an officer tells its status
    assert desk.resolve(kept, "siti", "resolution-refund").reply == ""
    assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert len(desk.open(source="agent", category="other", who="siti").number) == 10
