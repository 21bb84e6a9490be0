"""Call flows: one readable async function per route, in an explicit table.

The dialplan names the route in the AGI URL (agi://host:port/<route>).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from ivr.call import Call, Outcome
from ivr.flows import callback, doctor, echo, pilgrim

Flow = Callable[[Call], Awaitable[Outcome]]

ROUTES: dict[str, Flow] = {
    "hotline": pilgrim.hotline,
    "echo": echo.read_back,
    "doctor": doctor.ping,
    "callback": callback.offer,
}
