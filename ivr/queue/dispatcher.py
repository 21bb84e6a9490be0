"""Serve callback requests: when agents are on duty and one is free, call them back.

The request goes into the agent queue as a virtual caller (a Local channel, context
hajj-callback-agent) ahead of new callers, so its place in line holds. When an agent
answers, the other half of the Local channel (hajj-callback-pilgrim) dials the pilgrim:
the agent leg is answered first, then the pilgrim leg. The dialplan reports each stage as
a ``HajjCallback`` UserEvent; every attempt and outcome is stored (callbacks.py).
One callback is in progress at a time per dispatcher; with the requests in PostgreSQL
every node runs one, and :meth:`Callbacks.claim` gives each request to one of them only
(a claim with no agent free is released, its place kept). A stored number that is not
one we may call (``ivr.phone``: a request from before the rule, or a store edited by
hand) is never originated: the request fails with ``number_refused``; the dialplan
checks it again.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Callable, Mapping

from ivr import chanvars, handover, phone, tasks
from ivr.ami.client import AmiClient
from ivr.config import AgentSettings
from ivr.hours import Schedule
from ivr.queue.callbacks import Callback, Callbacks

log = logging.getLogger(__name__)

# How long the virtual caller waits in the queue for an agent before we try again later.
AGENT_WAIT = 300
AGENT_RETRY = 30.0
POLL = 2.0
# What on_event reads (manager.conf lets the controller hear these; tests check it).
EVENTS = ("UserEvent", "AgentConnect", "OriginateResponse")


class CallbackDispatcher:
    def __init__(
        self,
        ami: AmiClient,
        callbacks: Callbacks,
        settings: AgentSettings,
        schedule: Callable[[], Schedule],  # the current staffed hours (they may be edited)
        clock: Callable[[], float] = time.time,
        node: str = "",  # this controller's name on the requests it calls (ivr.wiring)
    ) -> None:
        self.ami = ami
        self.callbacks = callbacks
        self.settings = settings
        self.schedule = schedule
        self.clock = clock
        self.node = node
        self._current: tuple[int, float] | None = None  # (callback id, started at)
        self.wake = asyncio.Event()

    def on_event(self, event: Mapping[str, str]) -> None:
        name = event.get("Event")
        if name == "UserEvent" and event.get("UserEvent") == "HajjCallback":
            self._stage(event)
        elif name == "AgentConnect":
            cb_id = handover.from_event(event).callback_id
            if cb_id is not None:
                self.callbacks.agent_answered(cb_id, event.get("MemberName", ""), self.clock())
        elif (
            name == "OriginateResponse"
            and event.get("ActionID", "").startswith("hajj-cb-")
            and event.get("Response") != "Success"
        ):
            failed = int(event["ActionID"].split("-")[2])
            log.info("callback %d: no agent took it (%s)", failed, event.get("Reason", ""))
            self.callbacks.agent_leg_failed(failed, "agent_unanswered", self.clock() + AGENT_RETRY)
            self._finish(failed)

    def _stage(self, event: Mapping[str, str]) -> None:
        cb_id = event.get("Id", "")
        if not cb_id.isdigit():
            return
        stage, now = event.get("Stage", ""), self.clock()
        if stage == "pilgrim":
            self.callbacks.pilgrim_answered(int(cb_id), now)
        elif stage == "ended":
            status = event.get("DialStatus", "") or "NOTDIALLED"
            cb = self.callbacks.pilgrim_leg_ended(
                int(cb_id),
                status,
                now,
                self.settings.callback_attempts,
                self.settings.callback_retry,
            )
            log.info("callback %s: pilgrim leg %s -> %s", cb_id, status, cb.state if cb else "?")
            self._finish(int(cb_id))

    def _finish(self, cb_id: int) -> None:
        if self._current and self._current[0] == cb_id:
            self._current = None
            self.wake.set()

    async def run(self) -> None:
        """Forever: serve the next due request whenever agents are free."""
        await tasks.ticking(self.tick, self.wake, POLL, "callbacks")

    async def tick(self) -> Callback | None:
        now = self.clock()
        if self._current is not None:
            cb_id, started = self._current
            if now - started < AGENT_WAIT + 600:
                return None
            log.warning("callback %d: no outcome heard; back in line", cb_id)
            self.callbacks.agent_leg_failed(cb_id, "lost", now + AGENT_RETRY)
            self._current = None
        if not self.ami.connected or not self.schedule().is_open(_utc(now)):
            return None
        if self.callbacks.next_due(now) is None:
            return None  # nothing due: a look, no write
        cb = self.callbacks.claim(now, self.node)
        if cb is None:
            return None  # another node's dispatcher took it
        if phone.national(cb.number) != cb.number:
            log.warning(
                "callback %d: %s is not a number we may call; refused",
                cb.id,
                phone.mask(cb.number, 4, 2),
            )
            self.callbacks.refuse(cb.id, "number_refused", now)
            return None
        if not await self._agent_free(cb.queue):
            self.callbacks.release(cb.id)
            return None
        self._current = (cb.id, now)
        log.info("callback %d: calling an agent in %s", cb.id, cb.queue)
        await self.ami.originate(**self._originate(cb))
        return cb

    async def _agent_free(self, queue: str) -> bool:
        answer = await self.ami.action_list("QueueSummary", Queue=queue)
        return any(
            e.get("Event") == "QueueSummary" and int(e.get("Available", "0") or 0) > 0
            for e in answer
        )

    def _originate(self, cb: Callback) -> dict[str, str]:
        dial = self.settings.callback_dial.replace("{number}", cb.number)
        # Inherited (__) so both halves of the Local channel and the agent's leg see them:
        # the handover for the agent's screen, and what the dialplan needs to call back.
        fields = handover.inherited(
            {
                **handover.encode(cb.handover),
                chanvars.CALLBACK_DIAL: dial,
                chanvars.CALLBACK_NUMBER: cb.number,
                chanvars.CALLBACK_QUEUE: cb.queue,
                chanvars.CALLBACK_AGENT_WAIT: str(AGENT_WAIT),
            }
        )
        return {
            "Channel": "Local/s@hajj-callback-agent/n",
            "Context": "hajj-callback-pilgrim",
            "Exten": "s",
            "Priority": "1",
            "CallerID": f'"Callback" <{cb.number}>',
            "Timeout": str((AGENT_WAIT + 10) * 1000),
            "ActionID": f"hajj-cb-{cb.id}-{int(self.clock())}",
            "Variable": ",".join(f"{k}={v}" for k, v in fields.items()),
        }


def _utc(ts: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(ts, dt.UTC)
