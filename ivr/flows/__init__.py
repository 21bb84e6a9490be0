"""Call flows: one readable async function per route, in an explicit table.

The dialplan names the route in the AGI URL (agi://host:port/<route>).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from ivr import chanvars
from ivr.call import Call
from ivr.flows import callback, doctor, echo, pilgrim
from ivr.outcomes import Ending

Flow = Callable[[Call], Awaitable[Ending]]

ROUTES: dict[str, Flow] = {
    chanvars.ROUTE_HOTLINE: pilgrim.hotline,
    chanvars.ROUTE_ECHO: echo.read_back,
    chanvars.ROUTE_DOCTOR: doctor.ping,
    chanvars.ROUTE_CALLBACK: callback.offer,
}
