"""A reusable deadline for one task's exchanges: one timer per channel, not one per command.

``asyncio.timeout`` builds a timer handle, pushes it on the loop's heap and cancels it for
every AGI command; a call sends hundreds and each answers in a fraction of a millisecond.
Here a new deadline is a clock read and an attribute: the timer stays armed at the earliest
deadline it was given and, when it fires early (the exchange it was armed for finished and
a later one began), re-arms itself for the current one. It only ever fires late by the
loop's own resolution, like ``asyncio.timeout``.
"""

from __future__ import annotations

import asyncio


class Deadline:
    """Cancel the task of the exchange in progress when its budget runs out; ``expired``
    then tells that cancellation from any other (see :meth:`timed_out`)."""

    def __init__(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._timer: asyncio.TimerHandle | None = None
        self._armed = 0.0  # when the timer fires
        self._at = 0.0
        self._task: asyncio.Task[object] | None = None
        self._expired = False

    def start(self, budget: float) -> None:
        """An exchange of the current task begins and may last ``budget`` seconds."""
        self._at = at = self._loop.time() + budget
        self._task = asyncio.current_task()
        self._expired = False
        timer = self._timer
        if timer is None or self._armed > at:
            if timer is not None:
                timer.cancel()
            self._timer, self._armed = self._loop.call_at(at, self._fire), at

    def stop(self) -> None:
        """The exchange ended (any way): a timer that fires now finds nothing to cancel."""
        self._task = None

    def timed_out(self) -> bool:
        """Whether the CancelledError being handled is this deadline's own (it is then
        consumed: the task is not cancelled any more)."""
        if not self._expired or self._task is None:
            return False
        self._expired = False
        return self._task.uncancel() == 0

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._task = None

    def _fire(self) -> None:
        self._timer = None
        if self._task is None:
            return  # idle: the next start() arms a new timer
        if self._loop.time() < self._at:
            self._timer, self._armed = self._loop.call_at(self._at, self._fire), self._at
            return
        self._expired = True
        self._task.cancel()
