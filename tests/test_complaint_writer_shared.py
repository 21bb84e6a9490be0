"""The phone's complaint writer with the tickets shared by nodes: two nodes' writers (each
its own spool) never give two callers one number, and PostgreSQL out of reach loses no
complaint: the caller still hears a number, the write waits in the spool."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from ivr import pgstore
from ivr.complaints import numbers
from ivr.complaints.model import PG_SCHEMA, SCHEMA, NewTicket
from ivr.complaints.tickets import Tickets
from ivr.complaints.writer import Spool, TicketWriter
from ivr.settings import DatabaseSettings
from tests.rig.postgres import Backend

KEY = b"a pin secret for tests"


def node_writer(backend: Backend, name: str) -> TicketWriter:
    """A node's tickets (its own connection) and phone writer (its own spool)."""
    sql = backend.sql((SCHEMA,), (PG_SCHEMA,), "complaints.sqlite")
    tickets = Tickets(backend.folder / "complaints.sqlite", (24, 72, 168), pin_key=KEY, sql=sql)
    state_dir = backend.folder / name
    state_dir.mkdir()
    return TicketWriter(tickets, Spool(state_dir / "complaints-spool.jsonl"), 5.0)


def offered(values: list[str]) -> Iterator[str]:
    yield from values


def complaint(number: str, call_id: str) -> NewTicket:
    return NewTicket(number, time.time(), "phone", "catering", call_id=call_id, caller="0811")


def test_writer_two_nodes_callers_drawing_one_number_get_two_tickets(
    backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    same, other = numbers.number_for(4242), numbers.number_for(4343)
    monkeypatch.setattr(numbers, "new_number", offered([same, same, other]).__next__)
    one, two = node_writer(backend, "one"), node_writer(backend, "two")

    async def both_callers() -> tuple[str, str]:
        first, second = await one.new_number(), await two.new_number()  # told, not written
        await one.open(complaint(first, "call-1"))
        await two.open(complaint(second, "call-2"))
        assert await two.flush() == 1 and await one.flush() == 1
        return first, second

    first, second = asyncio.run(both_callers())
    assert (first, second) == (same, other)
    assert one.tickets.get(first).call_id == "call-1"
    assert one.tickets.get(second).call_id == "call-2"
    for w in (one, two):
        assert w.spool.pending() == [] and not w.spool.failed.exists()


def test_writer_postgres_out_of_reach_still_numbers_and_keeps_the_write(
    pg_url: str, tmp_path: Path
) -> None:
    pgstore.migrate_all(DatabaseSettings(url=pg_url), (PG_SCHEMA,))
    gone = psycopg.connect(pg_url, autocommit=True)
    gone.close()  # the server went away under the controller
    tickets = Tickets(
        tmp_path / "unused.sqlite",
        (24, 72, 168),
        pin_key=KEY,
        sql=pgstore.PgSql(pgstore.One(gone)),
    )
    w = TicketWriter(tickets, Spool(tmp_path / "complaints-spool.jsonl"), retry_for=0.0)

    async def caller() -> tuple[str, int]:
        number = await w.new_number()
        await w.open(complaint(number, "call-1"))
        return number, await w.flush()

    number, applied = asyncio.run(caller())
    assert numbers.valid_number(number) and applied == 0
    [kept] = w.spool.pending()
    assert kept["number"] == number and not w.spool.failed.exists()
