"""Periodic jobs of the controller: run now, then every so often, never stopping.

Jobs touch stores, which block: each run goes to a worker thread so calls on the event
loop never wait for it. Dialers (callbacks, campaigns) tick on the event loop instead,
every so often or at once when woken (a call ended).
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Awaitable, Callable

from ivr.errors import HajjIvrError

log = logging.getLogger(__name__)


async def every(seconds: float, job: Callable[[], object], what: str) -> None:
    """Run ``job`` in a worker thread now and then every ``seconds``, until cancelled.
    A failure is logged with its type and never stops the loop: the next run tries again."""
    while True:
        try:
            await asyncio.to_thread(job)
        except (HajjIvrError, sqlite3.Error, OSError) as e:
            log.error("%s failed (%s): %s", what, type(e).__name__, e)
        await asyncio.sleep(seconds)


async def ticking(
    tick: Callable[[], Awaitable[object]], wake: asyncio.Event, seconds: float, what: str
) -> None:
    """``tick()`` every ``seconds``, or at once when ``wake`` is set, until cancelled. A
    failure is logged and the next tick tries again."""
    while True:
        try:
            async with asyncio.timeout(seconds):
                await wake.wait()
        except TimeoutError:
            pass
        wake.clear()
        try:
            await tick()
        except (HajjIvrError, sqlite3.Error) as e:
            log.warning("%s: %s (%s)", what, type(e).__name__, e)
