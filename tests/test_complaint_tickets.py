"""Complaint tickets: numbers with check digits, states and history, escalation by time."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from ivr.complaints.tickets import SCHEMA, TicketError, Tickets, number_for, valid_number

HOUR = 3600.0


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def desk(tmp_path: Path, clock: Clock) -> Tickets:
    return Tickets(tmp_path / "complaints.sqlite", (24, 72, 168), clock)


def test_ticket_numbers_catch_a_mistyped_digit() -> None:
    number = number_for(42)
    assert len(number) == 8 and number.startswith("000042") and valid_number(number)
    for i in range(8):  # any single wrong digit is caught
        wrong = number[:i] + str((int(number[i]) + 1) % 10) + number[i + 1 :]
        assert not valid_number(wrong)
    assert not valid_number("1234") and not valid_number("abcdefgh")


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


def test_a_store_from_before_recorded_replies_gains_the_column(tmp_path: Path) -> None:
    path = tmp_path / "complaints.sqlite"
    old = sqlite3.connect(path)
    old.executescript(SCHEMA.replace(",\n    reply TEXT NOT NULL DEFAULT ''", ""))
    old.close()
    desk = Tickets(path, (24, 72, 168))
    ticket = desk.open(source="agent", category="other", who="siti")
    assert desk.resolve(ticket, "siti", "resolution-refund").reply == ""
