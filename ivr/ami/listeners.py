"""Who hears an AMI event: callbacks by event name and one-shot waiters.

A callback may be sync or async; what it raises is logged and never reaches the
connection (panoramisk would let it escape into ``data_received`` and drop the link).
"""

from __future__ import annotations

import asyncio
import contextlib
import fnmatch
import functools
import inspect
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ivr.ami.wire import AmiMessage, plain
from ivr.errors import AmiTimeout

logger = logging.getLogger("ivr.ami.client")

EventCallback = Callable[[AmiMessage], object]


@dataclass(eq=False)
class _Waiter:
    pattern: str
    predicate: Callable[[AmiMessage], bool]
    future: asyncio.Future[AmiMessage]


class Listeners:
    """The event callbacks and waiters of one AMI client, and the tasks its async
    callbacks run in."""

    def __init__(self) -> None:
        self._handlers: list[tuple[str, EventCallback]] = []
        self._waiters: list[_Waiter] = []
        self._tasks: set[asyncio.Future[Any]] = set()

    def add(self, pattern: str, callback: EventCallback) -> None:
        self._handlers.append((pattern, callback))

    def remove(self, pattern: str, callback: EventCallback) -> None:
        with contextlib.suppress(ValueError):  # removed twice, or never added: nothing to do
            self._handlers.remove((pattern, callback))

    def wait(
        self, pattern: str, predicate: Callable[[AmiMessage], bool], timeout: float
    ) -> asyncio.Future[AmiMessage]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[AmiMessage] = loop.create_future()
        waiter = _Waiter(pattern, predicate, future)
        self._waiters.append(waiter)
        timer = loop.call_later(timeout, _expire, future, f"no {pattern} event within {timeout:g}s")
        future.add_done_callback(functools.partial(self._forget, waiter, timer))
        return future

    def _forget(
        self, waiter: _Waiter, timer: asyncio.TimerHandle, future: asyncio.Future[AmiMessage]
    ) -> None:
        timer.cancel()
        self._waiters.remove(waiter)
        # Whoever still awaits it gets the exception all the same; a waiter its owner gave
        # up on (its Originate failed, the test ended) must not log "Future exception was
        # never retrieved" when it times out or the client closes.
        if not future.cancelled():
            future.exception()

    def dispatch(self, message: Any) -> None:
        """Hand one event from the wire to every waiter and callback whose pattern fits."""
        event = plain(message)
        name = event.get("Event", "")
        for waiter in list(self._waiters):
            if not waiter.future.done() and fnmatch.fnmatchcase(name, waiter.pattern):
                _offer(waiter, event)
        for pattern, callback in list(self._handlers):
            if fnmatch.fnmatchcase(name, pattern):
                self.run(callback, event, f"a {name} event")

    def run(self, callback: Callable[[Any], object], arg: object, on: str) -> None:
        """Call ``callback(arg)``; an awaitable it returns runs as a tracked task."""
        try:
            result = callback(arg)
        except Exception:
            logger.exception("AMI callback %r failed on %s", callback, on)
            return
        if inspect.isawaitable(result):
            task = asyncio.ensure_future(result)
            self._tasks.add(task)
            task.add_done_callback(functools.partial(self._done, callback, on))

    def _done(self, callback: Callable[[Any], object], on: str, task: asyncio.Future[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and (exc := task.exception()) is not None:
            logger.error("AMI callback %r failed on %s", callback, on, exc_info=exc)

    async def close(self, reason: Exception) -> None:
        """Fail every waiter with ``reason`` and cancel the callbacks still running."""
        for waiter in list(self._waiters):
            if not waiter.future.done():
                waiter.future.set_exception(reason)
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks)


def _offer(waiter: _Waiter, event: AmiMessage) -> None:
    try:
        matched = waiter.predicate(event)
    except Exception as exc:  # the waiter's own bug: hand it to whoever awaits
        waiter.future.set_exception(exc)
        return
    if matched:
        waiter.future.set_result(event)


def _expire(future: asyncio.Future[AmiMessage], message: str) -> None:
    if not future.done():
        future.set_exception(AmiTimeout(message))
