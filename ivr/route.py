"""Routes: what the dialplan names in the AGI URL (agi://host:port/<name>), each with its
flow and its own policy, so the controller runs a route without knowing any by name.

The table itself is ivr/flows/routes.py.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from ivr.call import Call
from ivr.outcomes import Ending, Outcome, Reason

log = logging.getLogger(__name__)

Flow = Callable[[Call], Awaitable[Ending]]


@dataclass(frozen=True)
class Route:
    """A route with its policy."""

    name: str
    flow: Flow
    # Off duty, a hand-over to a person runs this instead of an empty queue (a callback
    # on the next staffed day).
    off_duty: Flow | None = None
    # A route run later in a call already logged (the callback offer while queued): only
    # these outcomes replace the call's, so declining or hanging up there leaves "agent".
    replaces: frozenset[Outcome] | None = None

    async def run(self, call: Call) -> Ending:
        ending = await self.flow(call)
        if ending.to_person and self.off_duty is not None and not call.services.desk.staffed():
            call.decided(ending.reason)
            call.note(f"agents off duty ({ending.reason})")
            return await self.off_duty(call)
        return ending

    def logged(self, outcome: Outcome) -> Outcome | None:
        """The call log's outcome for this session; None leaves the call's as it was."""
        return outcome if self.replaces is None or outcome in self.replaces else None


@dataclass(frozen=True)
class RouteTable:
    routes: Mapping[str, Route]

    @classmethod
    def of(cls, *routes: Route) -> RouteTable:
        return cls({route.name: route for route in routes})

    def find(self, name: str) -> Route:
        """The route, or one that logs the unknown name and fails to a person."""
        return self.routes.get(name) or Route(name, functools.partial(_unknown, name))


async def _unknown(name: str, call: Call) -> Ending:
    log.error("call %s: no flow for route %r", call.id, name)
    return Ending.failed(Reason.UNKNOWN_ROUTE)
