"""The phone's complaint writes: spooled first, applied in order off the event loop, a
locked store retried, nothing lost (real SQLite, a second connection holding the lock)."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import pytest

from ivr.complaints import numbers
from ivr.complaints.model import NewTicket
from ivr.complaints.tickets import Tickets
from ivr.complaints.writer import Spool, TicketWriter

KEY = b"a pin secret for tests"


@pytest.fixture
def tickets(tmp_path: Path) -> Tickets:
    return Tickets(tmp_path / "complaints.sqlite", (24, 72, 168), pin_key=KEY)


def writer(tickets: Tickets, tmp_path: Path, retry_for: float = 5.0) -> TicketWriter:
    return TicketWriter(tickets, Spool(tmp_path / "complaints-spool.jsonl"), retry_for)


def new_ticket(tickets: Tickets, call_id: str = "call-1", pin: str = "4321") -> NewTicket:
    number = numbers.new_number()
    return NewTicket(
        number,
        time.time(),
        "phone",
        "catering",
        call_id=call_id,
        caller="0811000001",
        partial=True,
        pin_hash=tickets.pin_hash(number, pin),
    )


@contextmanager
def locked(path: Path) -> Iterator[sqlite3.Connection]:
    """Another process's write lock on the store (BEGIN IMMEDIATE) for the block."""
    with closing(sqlite3.connect(path, isolation_level=None)) as db:
        db.execute("BEGIN IMMEDIATE")
        yield db
        db.execute("COMMIT")


async def file_one(w: TicketWriter, new: NewTicket) -> None:
    """What the phone flow writes for one complaint: the ticket, its recording twice."""
    await w.open(new)
    await w.recorded(new.number, f"{new.number}.wav", partial=True)
    await w.recorded(new.number, f"{new.number}.wav", partial=False)


def test_writer_applies_a_complaint_in_order(tickets: Tickets, tmp_path: Path) -> None:
    w, new = writer(tickets, tmp_path), new_ticket(tickets)

    async def run() -> int:
        await file_one(w, new)
        return await w.flush()

    assert asyncio.run(run()) == 3
    ticket = tickets.get(new.number)
    assert (ticket.recording, ticket.partial, ticket.created_at) == (
        f"{new.number}.wav",
        False,
        new.created_at,
    )
    assert tickets.pin_ok(ticket, "4321")
    assert w.spool.pending() == []


def test_writer_store_locked_past_the_retry_keeps_everything_in_the_spool(
    tickets: Tickets, tmp_path: Path
) -> None:
    w, new = writer(tickets, tmp_path, retry_for=0.3), new_ticket(tickets)

    async def run() -> int:
        await file_one(w, new)
        return await w.flush()

    with locked(tickets.path):
        assert asyncio.run(run()) == 0
    assert [op["op"] for op in w.spool.pending()] == ["open", "recorded", "recorded"]
    assert tickets.find(new.number) is None
    assert (w.spool.path.stat().st_mode & 0o777) == 0o600  # the caller's number is in it
    # A later round (or the next start: a fresh writer on the same spool) applies it all.
    assert asyncio.run(writer(tickets, tmp_path).flush()) == 3
    assert not tickets.get(new.number).partial


def test_writer_lock_released_during_the_retry_applies_and_the_loop_never_stalls(
    tickets: Tickets, tmp_path: Path
) -> None:
    w, new = writer(tickets, tmp_path, retry_for=30), new_ticket(tickets)
    ticks: list[int] = []
    release = threading.Event()

    def hold() -> None:
        with locked(tickets.path):
            release.wait(10)

    async def run() -> int:
        holder = asyncio.create_task(asyncio.to_thread(hold))
        await asyncio.sleep(0.1)
        await file_one(w, new)
        flushing = asyncio.create_task(w.flush())
        while len(ticks) < 20:  # other calls go on while the write waits for the lock
            await asyncio.sleep(0.01)
            ticks.append(len(ticks))
        assert not flushing.done()
        release.set()
        await holder
        return await flushing

    assert asyncio.run(run()) == 3
    assert tickets.get(new.number).recording == f"{new.number}.wav"


def test_writer_a_write_applied_again_after_a_crash_changes_nothing(
    tickets: Tickets, tmp_path: Path
) -> None:
    w, new = writer(tickets, tmp_path), new_ticket(tickets)
    asyncio.run(file_one(w, new))
    spooled = w.spool.path.read_text().splitlines(keepends=True)
    asyncio.run(w.flush())
    for line in (spooled[0], spooled[-1]):  # committed, then stopped before it left the spool
        w.spool.path.write_text(line)
        assert asyncio.run(w.flush()) == 1
    [only] = [t for t in tickets.search() if t.call_id == "call-1"]
    actions = [c.action for c in tickets.history(only)]
    assert actions == ["created", "recording kept (caller hung up)", "recording confirmed"]


def test_writer_a_write_that_can_never_apply_is_set_aside_not_lost(
    tickets: Tickets, tmp_path: Path
) -> None:
    w = writer(tickets, tmp_path)
    taken = tickets.open(source="agent", category="other", who="siti")  # same number
    clash = new_ticket(tickets, "call-2")
    clash = NewTicket(**{**clash.__dict__, "number": taken.number})
    fine = new_ticket(tickets, "call-3")

    async def run() -> int:
        await w.open(clash)
        await w.open(fine)
        return await w.flush()

    assert asyncio.run(run()) == 2
    assert tickets.find(fine.number) is not None and w.spool.pending() == []
    [kept] = [json.loads(line) for line in w.spool.failed.read_text().splitlines()]
    assert (kept["call_id"], kept["number"]) == ("call-2", taken.number)


def test_writer_draws_numbers_no_ticket_has(tickets: Tickets, tmp_path: Path) -> None:
    w = writer(tickets, tmp_path)
    drawn = [asyncio.run(w.new_number()) for _ in range(10)]
    assert len(set(drawn)) == 10 and all(numbers.valid_number(n) for n in drawn)
