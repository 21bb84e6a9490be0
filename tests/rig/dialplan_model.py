"""dialplan/extensions.conf as far as the fast tier needs it, step by step in Python.

[hajj-inbound] picks the route from the number dialled; [hajj-ivr] runs the controller
(AGI) and sends every call it did not serve to [hajj-agent], which keeps the queue and the
wait, announces the call (UserEvent HajjToAgent), and offers a callback when nobody is
logged in or after agents.callback_after seconds in the queue. Nobody answers in the fast
tier: queues with agents, transfers, callbacks' own legs and SIP stay with the real one.

What the model must not restate is read from the real files: the HajjToAgent event's
fields from extensions.conf, the variables AMI events carry from what renders manager.conf. Queue
events go through the real QueueTracker, so transcripts gain the same "queue ..." lines.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ivr import chanvars
from ivr.agi.scripted import ScriptedLine
from ivr.asterisk import render
from ivr.channel import Channel
from ivr.config import Config
from ivr.outcomes import Result
from ivr.queue.tracker import QueueTracker
from tests.rig.together import Pace, PacedChannel, no_pace

DIALPLAN = Path(__file__).resolve().parents[2] / "dialplan"
ECHO_NUMBER = "*500"
RECORD_NUMBER = "*79"  # [hajj-agent-phone] only
INBOUND, STAFF_PHONE = "hajj-inbound", "hajj-agent-phone"


def hand_over_fields(extensions: str) -> tuple[tuple[str, str], ...]:
    """The HajjToAgent UserEvent's ``Key: ${VARIABLE}`` pairs, in order."""
    found = re.search(r"UserEvent\(HajjToAgent,(.*)\)\s*$", extensions, re.M)
    assert found, "no HajjToAgent UserEvent in extensions.conf"
    pairs = (part.split(":", 1) for part in found[1].split(","))
    return tuple((key.strip(), value.strip()) for key, value in pairs)


class Stop(Exception):
    """The test ends the call here (TestCall.end_on saw its event)."""


@dataclass
class DialplanModel:
    """The dialplan around the controller: one instance per hotline, run() per call."""

    handle: Callable[[Channel], Coroutine[Any, Any, None]]
    config: Config
    tracker: QueueTracker
    agents_logged_in: int = 0
    fields: tuple[tuple[str, str], ...] = field(
        default_factory=lambda: hand_over_fields((DIALPLAN / "extensions.conf").read_text())
    )
    carried: tuple[str, ...] = render.CHANNELVARS  # what manager.conf's channelvars renders

    def run(self, line: ScriptedLine, number: str, end_on: str = "") -> None:
        """The call from answer to hang-up (or to ``end_on``, where the test hangs up)."""
        asyncio.run(self.arun(line, number, end_on))

    async def arun(
        self,
        line: ScriptedLine,
        number: str,
        end_on: str = "",
        pace: Pace = no_pace,
        context: str = INBOUND,
    ) -> None:
        """run() on the running loop; ``pace`` makes it wait its turn among other calls
        after each step that takes time (tests/rig/together.py). ``context``: where the
        number is dialled (a staff phone's reaches *79, recording prompts)."""
        try:
            await _Run(self, line, end_on, pace).inbound(number, context)
        except Stop:
            line.hang_up("test")
        line.hang_up("ivr")  # Hangup(): a no-op when the caller is gone already


@dataclass
class _Run:
    model: DialplanModel
    line: ScriptedLine
    end_on: str
    pace: Pace

    async def inbound(self, number: str, context: str = INBOUND) -> None:
        """[hajj-inbound] (or a staff phone's *79) and [hajj-ivr]; a call that carries its
        route already (a schedule-change call: [hajj-campaign-call], a person answered)
        goes to [hajj-ivr]."""
        line = self.line
        route = line.variables.get(chanvars.ROUTE) or (
            "echo" if number == ECHO_NUMBER else "hotline"  # any other number: hotline
        )
        if context == STAFF_PHONE and number == RECORD_NUMBER:
            route = chanvars.ROUTE_RECORD
        elif number == RECORD_NUMBER:  # _X. does not match "*79": no such extension
            line.hang_up("ivr")
            return
        line.set_variable(f"__{chanvars.ROUTE}", route)
        await self.agi(route)
        if line.hung_up or line.variables.get(chanvars.RESULT) == Result.DONE:
            return
        reason = line.variables.get(chanvars.REASON) or "controller_incomplete"
        line.set_variable(f"__{chanvars.REASON}", reason)
        await self.agent()

    async def agi(self, route: str) -> None:
        await self.model.handle(PacedChannel(self.line, route, self.pace))

    async def agent(self) -> None:
        """[hajj-agent]: to the queue, or the callback offer when nobody can answer."""
        line = self.line
        if not line.variables.get(chanvars.QUEUE):
            line.set_variable(f"__{chanvars.QUEUE}", chanvars.FIRST_QUEUE)
        if not line.variables.get(chanvars.WAIT_FROM):
            line.set_variable(f"__{chanvars.WAIT_FROM}", str(int(line.clock())))
        fields = {key: line.substitute(value) for key, value in self.model.fields}
        self.emit({"Event": "UserEvent", "UserEvent": "HajjToAgent", **fields})
        if self.model.agents_logged_in == 0:
            line.set_variable(chanvars.OFFER, chanvars.OFFER_NOBODY)
            if await self.offer():
                return
        # A caller who stays goes back to the queue (without the "nobody" check).
        while await self.queue():
            line.set_variable(chanvars.OFFER, chanvars.OFFER_WAITED)
            if await self.offer():
                return

    async def offer(self) -> bool:
        """The callback route; True when the call is over (served, or the caller gone)."""
        self.line.set_variable(chanvars.RESULT, "")
        await self.agi("callback")
        return self.line.hung_up or self.line.variables.get(chanvars.RESULT) == Result.DONE

    async def queue(self) -> bool:
        """Queue(${HAJJ_QUEUE},tc,,,${HAJJ_CALLBACK_AFTER}) with nobody answering; False
        when the caller hangs up meanwhile."""
        line = self.line
        self.emit(self.queue_event("QueueCallerJoin", Position="1"))
        joined = line.t
        stayed = line.wait(self.model.config.agents.callback_after)
        await self.pace(line.t)
        if not stayed:
            held = f"{line.t - joined:.0f}"
            self.emit(self.queue_event("QueueCallerAbandon", Position="1", HoldTime=held))
            return False
        self.emit(self.queue_event("QueueCallerLeave", Position="1", Count="0"))
        return True

    def queue_event(self, name: str, **more: str) -> dict[str, str]:
        line = self.line
        carried = [f"{n}={line.variables[n]}" for n in self.model.carried if n in line.variables]
        return {
            "Event": name,
            "Queue": line.variables[chanvars.QUEUE],
            "CallerIDNum": line.caller.number,
            "ChanVariable": "\n".join(carried),
            **more,
        }

    def emit(self, event: dict[str, str]) -> None:
        """What AMI reports: to the call's events and the queue tracker."""
        event.setdefault("Uniqueid", self.line.uniqueid)
        self.line.events.append(event)
        self.model.tracker(event)
        if event["Event"] == self.end_on:
            raise Stop
