"""Complaint tickets shared by two nodes (two connections to one store, on SQLite and on
PostgreSQL): each sees the other's tickets, and a ticket number is never given twice,
even drawn by two writers at once."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from ivr.complaints import numbers
from ivr.complaints.model import PG_SCHEMA, SCHEMA, NewTicket
from ivr.complaints.tickets import TicketError, Tickets
from tests.rig.clock import Clock
from tests.rig.postgres import Backend

KEY = b"a pin secret for tests"


def node(backend: Backend, clock: Clock) -> Tickets:
    """One node's tickets, over a connection of its own."""
    sql = backend.sql((SCHEMA,), (PG_SCHEMA,), "complaints.sqlite")
    return Tickets(backend.folder / "complaints.sqlite", (24, 72, 168), clock, pin_key=KEY, sql=sql)


def offered(numbers_in_turn: list[str]) -> Iterator[str]:
    yield from numbers_in_turn


def test_tickets_two_nodes_see_each_others_tickets_and_history(backend: Backend) -> None:
    clock = Clock()
    one, two = node(backend, clock), node(backend, clock)
    ticket = one.open(source="phone", category="transport", who="caller", call_id="c1")
    seen = two.get(ticket.number)
    assert seen == ticket and two.pin_ok(seen, ticket.pin)
    clock.now += 60
    two.move(seen, "verifying", "siti", "calling the bus company")
    assert one.get(ticket.number).state == "verifying"
    assert [(c.who, c.action) for c in one.history(ticket)] == [
        ("caller", "created"),
        ("siti", "verifying"),
    ]
    assert [t.number for t in one.search(state="verifying")] == [ticket.number]


def test_tickets_a_number_drawn_on_one_node_is_never_drawn_on_another(
    backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The race: the phone of node one draws a number and tells it to its caller; the
    # ticket is written later (the spool). Node two, drawing the same random number
    # before that write, finds no ticket under it, yet must not take it.
    first, second = numbers.number_for(1234), numbers.number_for(5678)
    monkeypatch.setattr(
        numbers, "new_number", offered([first, first, second, numbers.number_for(9)]).__next__
    )
    clock = Clock()
    one, two = node(backend, clock), node(backend, clock)
    assert one.draw_number() == first
    assert two.find(first) is None  # not written yet
    assert two.draw_number() == second
    opened = two.open(source="agent", category="other", who="siti")  # the dashboard: ok
    assert opened.number not in (first, second)


def test_tickets_the_dashboard_never_takes_a_number_the_phone_drew(
    backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = numbers.number_for(1111), numbers.number_for(2222)
    monkeypatch.setattr(numbers, "new_number", offered([first, first, second]).__next__)
    clock = Clock()
    phone, dashboard = node(backend, clock), node(backend, clock)
    drawn = phone.draw_number()
    by_hand = dashboard.open(source="agent", category="other", who="siti")
    spooled = phone.create(NewTicket(drawn, clock.now, "phone", "health", "c1"), "caller")
    assert (spooled.number, by_hand.number) == (first, second)


def test_tickets_two_writers_drawing_at_once_never_share_a_number(
    backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Round after round both writers, released together, reach for the same number; the
    # loser's second draw is a number of its own. The store gives each contested number
    # to one writer only.
    rounds, gate, local = 20, threading.Barrier(2, timeout=30), threading.local()

    def contested_first() -> str:
        local.calls += 1
        if local.calls == 1:
            return numbers.number_for(local.round)
        return numbers.number_for(1_000_000 * (local.writer + 1) + local.round)

    monkeypatch.setattr(numbers, "new_number", contested_first)
    clock = Clock()
    drawn: list[list[str]] = [[], []]
    writers = [node(backend, clock), node(backend, clock)]

    def write(i: int) -> None:
        local.writer = i
        for k in range(rounds):
            local.round, local.calls = k, 0
            gate.wait()
            drawn[i].append(writers[i].draw_number())

    threads = [threading.Thread(target=write, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    everything = drawn[0] + drawn[1]
    assert len(everything) == 2 * rounds and len(set(everything)) == 2 * rounds
    contested = {numbers.number_for(k) for k in range(rounds)}
    assert contested <= set(everything)  # each one went to exactly one writer


def test_tickets_a_spooled_ticket_under_another_calls_number_is_refused(
    backend: Backend,
) -> None:
    # A write replayed or forged with a number that is someone else's ticket must not
    # hand that ticket (with its PIN) to this caller, nor touch it.
    clock = Clock()
    one, two = node(backend, clock), node(backend, clock)
    theirs = one.open(source="phone", category="health", who="caller", call_id="c1")
    with pytest.raises(TicketError, match="another ticket's"):
        two.create(NewTicket(theirs.number, clock.now + 5, "phone", "other", "c2"), "caller")
    assert one.get(theirs.number) == theirs
    assert [c.action for c in one.history(theirs)] == ["created"]


def test_tickets_a_spooled_ticket_applied_twice_is_one_ticket(backend: Backend) -> None:
    clock = Clock()
    one, two = node(backend, clock), node(backend, clock)
    new = NewTicket(one.draw_number(), clock.now, "phone", "catering", "c1", caller="0812")
    made = one.create(new, "caller")
    again = two.create(new, "caller")  # a restart replays the spool's last write
    assert again == made
    assert [c.action for c in two.history(made)] == ["created"]
    assert len(two.search()) == 1


def test_tickets_two_nodes_escalating_one_overdue_ticket_raise_it_one_tier(
    backend: Backend,
) -> None:
    clock = Clock()
    one, two = node(backend, clock), node(backend, clock)
    ticket = one.open(source="phone", category="health", who="caller")
    clock.now += 25 * 3600  # past tier 1's 24 h
    [seen_by_two] = two.search(overdue=True)  # both nodes' jobs found it late
    [up] = one.escalate_overdue()
    with pytest.raises(TicketError, match="changed meanwhile"):
        two.escalate(seen_by_two, "system", "overdue")
    assert two.escalate_overdue() == []
    assert (two.get(ticket.number).tier, up.tier) == (2, 2)
    assert [c.action for c in two.history(ticket)] == ["created", "escalated to tier 2"]


def test_tickets_two_officers_closing_one_ticket_the_second_is_refused(
    backend: Backend,
) -> None:
    clock = Clock()
    one, two = node(backend, clock), node(backend, clock)
    ticket = one.open(source="agent", category="payment", who="siti")
    first, second = one.get(ticket.number), two.get(ticket.number)  # both pages open
    one.resolve(first, "siti", "resolution-refund")
    with pytest.raises(TicketError, match="changed meanwhile"):
        two.reject(second, "budi", "duplicate")
    closed = two.get(ticket.number)
    assert (closed.state, closed.reject_reason) == ("resolved", "")
