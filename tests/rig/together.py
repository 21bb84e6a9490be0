"""Fast-tier calls at the same moment: several scripted calls on one event loop, in
simulated time, their store reads and writes in the order the real rig would see them.

Each command of a scripted channel moves its own line's clock at once (ivr/agi/scripted.py).
Alone that is enough; side by side, one call would run to its end before the next began.
So here a call parks after every command at the simulated moment the command ended, and
only the call parked earliest goes on, once every other call is parked too (or over, or
busy in a worker thread: then the turn waits for it). What a flow does between two
commands (count a wrong date, check a lock, store a callback) therefore happens in
simulated-time order across calls, as on the real rig, where calls placed at once run
side by side.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from ivr.agi.scripted import ScriptedChannel, ScriptedLine

T = TypeVar("T")
# Wait until simulated time (seconds since the calls were answered) reaches this moment.
Pace = Callable[[float], Awaitable[None]]


async def no_pace(_: float) -> None:
    """A call alone: nothing to wait for."""


class PacedChannel(ScriptedChannel):
    """A scripted channel that waits its turn after each command that takes time."""

    def __init__(self, line: ScriptedLine, route: str, pace: Pace) -> None:
        super().__init__(line, route)
        self.pace = pace

    async def stream_file(self, name: str, escape_digits: str = "") -> str:
        try:
            return await super().stream_file(name, escape_digits)
        finally:
            await self.pace(self.line.t)

    async def wait_for_digit(self, timeout_ms: int) -> str:
        try:
            return await super().wait_for_digit(timeout_ms)
        finally:
            await self.pace(self.line.t)

    async def record_file(
        self, path: str, fmt: str, escape_digits: str, max_ms: int, silence_s: int
    ) -> str:
        try:
            return await super().record_file(path, fmt, escape_digits, max_ms, silence_s)
        finally:
            await self.pace(self.line.t)


class Turns:
    """Whose turn it is among ``running`` calls (create and use it on one running loop)."""

    def __init__(self, running: int) -> None:
        self.running = running
        self._parked: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()  # equal moments: the call that parked first
        self._changed = asyncio.Event()

    async def reach(self, moment: float) -> None:
        future = asyncio.get_running_loop().create_future()
        heapq.heappush(self._parked, (moment, next(self._order), future))
        self._changed.set()
        await future

    def over(self) -> None:
        self.running -= 1
        self._changed.set()

    async def run(self) -> None:
        """Release the earliest parked call each time every running call is parked."""
        while self.running:
            await self._changed.wait()
            self._changed.clear()
            if self._parked and len(self._parked) == self.running:
                heapq.heappop(self._parked)[2].set_result(None)


async def together(calls: Sequence[Callable[[Pace], Awaitable[T]]]) -> list[T]:
    """Run each call (given its pace) side by side in simulated time; their results."""
    turns = Turns(len(calls))

    async def one(call: Callable[[Pace], Awaitable[T]]) -> T:
        try:
            return await call(turns.reach)
        finally:
            turns.over()

    scheduler = asyncio.create_task(turns.run())
    try:
        return list(await asyncio.gather(*(one(call) for call in calls)))
    finally:
        await scheduler
