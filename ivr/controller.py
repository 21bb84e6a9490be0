"""The controller: runs the route the AGI URL names and hands the call back to the dialplan.

Each AGI connection is one call. The route named in the AGI URL picks the flow; the flow's
ending is handed back to the dialplan as channel variables. Whatever happens inside a
flow, the caller is never left in silence: errors become RESULT=failed and the dialplan
sends the call to a person. Start-up (building the stores, the AMI listeners, the
periodic jobs) is ivr/wiring.py's.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass

from ivr.call import Call, CallServices
from ivr.channel import Channel
from ivr.errors import CallerHangup
from ivr.outcomes import Ending, Outcome, Reason
from ivr.route import Route, RouteTable

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Controller:
    """Runs the route the AGI URL names and hands its ending back to the dialplan. It
    knows no route by name: the table carries each route's policy."""

    routes: RouteTable
    services: CallServices

    async def handle(self, channel: Channel) -> None:
        """One AGI session, start to end. Never raises: the ending goes back to the dialplan."""
        route = self.routes.find(channel.env.get("agi_network_script", "").strip("/"))
        call = Call(channel, self.services)
        calllog = self.services.calllog
        log.info("call %s from %s on route %s", call.id, call.masked_caller, route.name)
        outcome = Outcome.FAILED
        try:
            calllog.start(call.id, call.caller, route.name)
            await call.arrive()
            ending = await self._run(call, route)
            await call.hand_over(ending)
            outcome = ending.outcome
        except CallerHangup:
            log.info("call %s: caller hung up", call.id)
            outcome = Outcome.HANGUP
        except Exception as e:  # the dialplan still routes the caller to a person
            log.error(
                "call %s: hand-over failed (%s); the dialplan takes over", call.id, type(e).__name__
            )
            self._failed("handover")
        finally:
            with contextlib.suppress(Exception):
                logged = route.logged(outcome)
                if logged is None:
                    calllog.leave(call.id)  # a later route: the call's outcome stays
                else:
                    calllog.finish(call.id, logged, call.handover.reason)
                    if self.services.metrics is not None:
                        self.services.metrics.ended(route.name, logged)

    async def _run(self, call: Call, route: Route) -> Ending:
        """The route's ending; an error in a flow fails to a person (type and place only
        in the log)."""
        try:
            return await route.run(call)
        except CallerHangup:
            raise
        except Exception as e:
            # Type and place only: exception texts can carry a pilgrim's data.
            log.error(
                "call %s: flow %s failed with %s at %s; to an agent",
                call.id,
                route.name,
                type(e).__name__,
                _where(e),
            )
            self._failed("flow")
            return Ending.failed(Reason.CONTROLLER_ERROR)

    def _failed(self, where: str) -> None:
        if self.services.metrics is not None:
            self.services.metrics.failed(where)


def _where(error: BaseException) -> str:
    """file:line of the innermost frame of an exception (no message, no values)."""
    tb = error.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return f"{tb.tb_frame.f_code.co_filename}:{tb.tb_lineno}" if tb else "?"
