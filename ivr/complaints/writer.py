"""The phone's complaint writes: off the event loop, in order, never lost.

A call's write (a new ticket, its recording) is first appended to the spool
(state_dir/complaints-spool.jsonl, one JSON object a line, mode 0600) in a worker thread,
and the caller goes on at once: the number was drawn before, so it is read to them
whatever SQLite does. One writer task applies the spool in order, each write in a worker
thread with its own connection, retried with back-off while complaints.sqlite is locked
or PostgreSQL out of reach (``complaints.write_retry_seconds``); a write leaves the spool
only once committed. A store still locked after that, or a controller stopped meanwhile,
keeps the spool for the next round or the next start. A write that can never apply (a
ticket number taken meanwhile, a store that refuses the row) moves to
``complaints-spool.failed.jsonl`` and is logged, for an admin: it is still not lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ivr.complaints import numbers
from ivr.complaints.model import NewTicket, TicketError
from ivr.complaints.tickets import Tickets
from ivr.errors import SharedStoreError

log = logging.getLogger(__name__)

# A locked store is tried again after these pauses (seconds, the last one repeating).
BACKOFF = (0.05, 0.1, 0.2, 0.5, 1.0)
# After a round that could not finish, the next one starts this much later at the latest.
NEXT_ROUND = 10.0

Op = dict[str, Any]


class Spool:
    """The writes not yet applied, in order, in a JSON-lines file (thread-safe)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.failed = path.with_suffix(".failed.jsonl")
        self._lock = threading.Lock()

    def append(self, op: Op) -> None:
        with self._lock:
            _append(self.path, op)

    def pending(self) -> list[Op]:
        with self._lock:
            if not self.path.exists():
                return []
            lines = self.path.read_text().splitlines()
        return [json.loads(line) for line in lines if line.strip()]

    def drop(self, count: int, failed: list[Op] | None = None) -> None:
        """Remove the first ``count`` writes (applied, or moved to the failed file)."""
        with self._lock:
            for op in failed or []:
                _append(self.failed, op)
            lines = self.path.read_text().splitlines(keepends=True) if self.path.exists() else []
            rest = "".join(lines[count:])
            tmp = self.path.with_suffix(".tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(rest)
                f.flush()
                os.fsync(f.fileno())
            tmp.replace(self.path)


def _append(path: Path, op: Op) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a") as f:
        f.write(json.dumps(op) + "\n")
        f.flush()
        os.fsync(f.fileno())


class TicketWriter:
    def __init__(
        self,
        tickets: Tickets,
        spool: Spool,
        retry_for: float,
        sleep: Callable[[float], Any] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.tickets = tickets
        self.spool = spool
        self.retry_for = retry_for
        self.sleep = sleep
        self.clock = clock
        self.wake = asyncio.Event()
        self._drawn: set[str] = set()  # numbers given out and maybe not yet written

    # --- what a call flow does -----------------------------------------------------------

    async def open(self, new: NewTicket) -> None:
        await asyncio.to_thread(self.spool.append, {"op": "open", **dataclasses.asdict(new)})
        self.wake.set()

    async def recorded(self, number: str, recording: str, partial: bool) -> None:
        op = {"op": "recorded", "number": number, "recording": recording, "partial": partial}
        await asyncio.to_thread(self.spool.append, op)
        self.wake.set()

    async def new_number(self) -> str:
        """A random ticket number taken in the store (Tickets.draw_number: no other writer,
        on this node or another, gets it). A caller is never kept from filing: with the
        store unreachable, a number none of this controller's drawn ones, unchecked (one
        in 10^8 to meet an existing one: its write is then set aside, not lost)."""
        try:
            number = await asyncio.to_thread(self.tickets.draw_number)
        except (sqlite3.Error, SharedStoreError):
            number = numbers.new_number()
            while number in self._drawn:
                number = numbers.new_number()
        self._drawn.add(number)
        return number

    # --- the writer task -----------------------------------------------------------------

    async def run(self) -> None:
        """Forever: apply the spool (what a previous run left first), whenever a call wrote
        to it and now and then."""
        await self.flush()
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), NEXT_ROUND)
            self.wake.clear()
            await self.flush()

    async def flush(self) -> int:
        """Apply what the spool holds, in order; the number applied (or set aside).

        Each write leaves the spool as soon as it is committed, so a stop in between
        repeats at most that one write, which applies as a no-op (``Tickets.create`` and
        ``recorded`` see it is there).
        """
        done = 0
        for op in await asyncio.to_thread(self.spool.pending):
            outcome = await self._apply(op)
            if outcome is None:  # still locked: the rest waits for the next round
                break
            await asyncio.to_thread(self.spool.drop, 1, [] if outcome else [op])
            done += 1
        return done

    async def _apply(self, op: Op) -> bool | None:
        """True when applied, False when it never can be, None when the store stays locked."""
        started, pauses = self.clock(), iter(BACKOFF)
        while True:
            try:
                await asyncio.to_thread(self._write, op)
                if op["op"] == "open":
                    self._drawn.discard(op["number"])
                return True
            except (sqlite3.OperationalError, SharedStoreError) as e:
                # SQLite locked, PostgreSQL out of reach: both pass; the spool keeps it.
                if self.clock() - started >= self.retry_for:
                    log.warning(
                        "complaint %s: store still busy (%s); kept in the spool", op["number"], e
                    )
                    return None
                await self.sleep(next(pauses, BACKOFF[-1]))
            except (sqlite3.Error, TicketError, KeyError, TypeError) as e:
                log.error(
                    "complaint %s: %s cannot be written (%s); kept in %s",
                    op.get("number", "?"),
                    op.get("op", "?"),
                    type(e).__name__,
                    self.spool.failed,
                )
                return False

    def _write(self, op: Op) -> None:
        if op["op"] == "open":
            fields = {k: v for k, v in op.items() if k != "op"}
            self.tickets.create(NewTicket(**fields), "caller")
        elif op["op"] == "recorded":
            ticket = self.tickets.get(op["number"])
            self.tickets.recorded(ticket, op["recording"], bool(op["partial"]))
        else:
            raise TicketError(f"unknown spooled write {op['op']!r}")


def for_tickets(tickets: Tickets, state_dir: Path, retry_for: float) -> TicketWriter:
    return TicketWriter(tickets, Spool(state_dir / "complaints-spool.jsonl"), retry_for)
