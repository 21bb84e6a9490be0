"""Originates spaced out in time.

Each Originate makes Asterisk start a thread and a channel pair; hundreds sent in the
same instant queued behind one another in its manager and answered after our 5 s action
timeout (issue 14: 400 test calls at once). A steady rate keeps every answer prompt.
"""

from __future__ import annotations

import asyncio


class Pacer:
    """Lets callers through at most ``per_second`` a second, evenly spaced, in the order
    they asked; ``None`` lets everyone through at once."""

    def __init__(self, per_second: float | None) -> None:
        if per_second is not None and per_second <= 0:
            raise ValueError(f"a pace must be above 0 a second, not {per_second}")
        self._gap = 0.0 if per_second is None else 1.0 / per_second
        self._next = 0.0  # the event loop's time of the next free slot

    async def wait(self) -> None:
        """Return at this caller's slot (at once when the last one is a gap ago)."""
        if not self._gap:
            return
        now = asyncio.get_running_loop().time()
        slot = max(now, self._next)
        self._next = slot + self._gap  # taken before sleeping: the next caller queues behind
        if slot > now:
            await asyncio.sleep(slot - now)
