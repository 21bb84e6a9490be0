"""The controller: FastAGI server + AMI connection, built once and run until stopped.

Each AGI connection is one call. The route named in the AGI URL picks the flow; the flow's
outcome is handed back to the dialplan as channel variables. Whatever happens inside a
flow, the caller is never left in silence: errors become RESULT=failed and the dialplan
sends the call to a person.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sqlite3
import time
from dataclasses import dataclass

from ivr import chanvars, retention
from ivr import guard as guard_mod
from ivr.admin import overrides
from ivr.admin.overrides import Watched
from ivr.agi.server import FastAgiServer
from ivr.ami.client import AmiUser, connect_until_up, for_config
from ivr.call import Call
from ivr.calllog import CallLog
from ivr.channel import Channel
from ivr.complaints import tickets
from ivr.complaints import writer as writer_mod
from ivr.complaints.desk import ComplaintDesk
from ivr.config import Config
from ivr.data.mirror import Mirror
from ivr.errors import AgiError, CallerHangup, HajjIvrError
from ivr.flows import ROUTES, Flow, callback
from ivr.guard import Guard, Limits
from ivr.outcomes import Ending, Outcome, Reason
from ivr.prompts.catalog import Catalog
from ivr.queue import callbacks as callbacks_mod
from ivr.queue import records as records_mod
from ivr.queue import tracker as tracker_mod
from ivr.queue.callbacks import Callbacks
from ivr.queue.desk import Desk
from ivr.queue.dispatcher import CallbackDispatcher
from ivr.queue.records import QueueRecords
from ivr.queue.resync import ControllerResync

log = logging.getLogger(__name__)

# Routes whose hand-over to a person becomes a callback offer outside staffed hours.
CLOSED_HOURS_ROUTES = frozenset({chanvars.ROUTE_HOTLINE})

# Routes run later in a call already logged (the callback offer while queued): only these
# outcomes replace the call's, so declining or hanging up there leaves it "agent".
LATER_ROUTES = frozenset({chanvars.ROUTE_CALLBACK})
LATER_OUTCOMES = frozenset({Outcome.CALLBACK, Outcome.CLOSED})


@dataclass
class Controller:
    config: Config
    catalogs: Watched[Catalog]  # reloaded when a prompt catalog file changes
    calllog: CallLog
    routes: dict[str, Flow]
    mirror: Mirror
    desk: Desk
    complaints: ComplaintDesk
    guard: Guard

    @classmethod
    def build(cls, config: Config) -> Controller:
        catalogs = overrides.watched_catalog(config)
        catalogs.current()  # a broken catalog stops the start, not a call
        calllog = CallLog(
            config.calllog_path, records_mod.SCHEMA, callbacks_mod.SCHEMA, guard_mod.SCHEMA
        )
        hours = overrides.watched_schedule(config)
        hours.current()
        desk = Desk(
            hours.current,
            Callbacks(calllog.db),
            QueueRecords(calllog.db),
            config.agents.callbacks_per_day,
        )
        c = config.complaints
        desk_tickets = tickets.for_config(config)
        complaints = ComplaintDesk(
            desk_tickets,
            writer_mod.for_tickets(desk_tickets, config.state_dir, c.write_retry_seconds),
            config.recordings_dir,
            c.record_max_seconds,
            c.record_silence_seconds,
        )
        config.recordings_dir.mkdir(parents=True, exist_ok=True)  # RECORD FILE writes here
        mirror = Mirror(config.mirror_path)
        guard = Guard(calllog.db, Limits.for_config(config))
        return cls(config, catalogs, calllog, dict(ROUTES), mirror, desk, complaints, guard)

    @property
    def catalog(self) -> Catalog:
        return self.catalogs.current()

    async def handle(self, channel: Channel) -> None:
        """One call, start to end. Never raises: the outcome goes back to the dialplan."""
        route = channel.env.get("agi_network_script", "").strip("/")
        call = Call(
            channel,
            self.catalog,
            self.calllog,
            self.config.ivr,
            self.mirror,
            self.desk,
            self.complaints,
            self.guard,
        )
        log.info("call %s from %s on route %s", call.id, channel.masked_callerid, route)
        outcome = Outcome.FAILED
        try:
            self.calllog.start(call.id, call.caller, route)
            outcome = await self._hand_over(call, await self._run(call, route))
        except CallerHangup:
            log.info("call %s: caller hung up", call.id)
            outcome = Outcome.HANGUP
        except Exception as e:  # the dialplan still routes the caller to a person
            log.error(
                "call %s: hand-over failed (%s); the dialplan takes over", call.id, type(e).__name__
            )
        finally:
            with contextlib.suppress(Exception):
                if route in LATER_ROUTES and outcome not in LATER_OUTCOMES:
                    self.calllog.leave(call.id)  # the call's outcome stays "agent"
                else:
                    self.calllog.finish(call.id, outcome, call.reason)

    async def _run(self, call: Call, route: str) -> Ending:
        flow = self.routes.get(route)
        if flow is None:
            log.error("call %s: no flow for route %r", call.id, route)
            return Ending.failed(Reason.UNKNOWN_ROUTE)
        try:
            ending = await flow(call)
            if ending.to_person and route in CLOSED_HOURS_ROUTES and not self.desk.staffed():
                # No dead queue off duty: a callback on the next staffed day instead.
                call.reason = ending.reason
                call.note(f"agents off duty ({ending.reason})")
                ending = await callback.closed(call)
            return ending
        except CallerHangup:
            raise
        except Exception as e:
            # Type and place only: exception texts can carry a pilgrim's data.
            log.error(
                "call %s: flow %s failed with %s at %s; to an agent",
                call.id,
                route,
                type(e).__name__,
                _where(e),
            )
            return Ending.failed(Reason.CONTROLLER_ERROR)

    async def _hand_over(self, call: Call, ending: Ending) -> Outcome:
        """Tell the dialplan how the call goes on; return the call log's outcome."""
        call.reason = ending.reason
        if ending.to_person:
            call.note(f"to agent: {ending.reason}")
            with contextlib.suppress(AgiError):
                if ending.announce and not call.channel.hung_up:
                    call.pending.clear()
                    await call.say("to-agent")
            await self._context_for_agent(call, ending)
        await call.channel.set_variable(chanvars.RESULT, ending.result)
        return ending.outcome

    async def _context_for_agent(self, call: Call, ending: Ending) -> None:
        """What the IVR learned travels with the call (inherited by the agent's leg)."""
        context = {
            chanvars.REASON: ending.reason,
            chanvars.PORSI: call.porsi,
            chanvars.VERIFIED: "yes" if call.verified and call.verified == call.porsi else "no",
            chanvars.TOPICS: " ".join(call.topics),
            chanvars.TICKET: call.ticket,
        }
        for name, value in context.items():
            if value:
                await call.channel.set_variable(f"__{name}", value)


async def serve(config: Config, ready: asyncio.Event | None = None) -> None:
    """Run the FastAGI server and the AMI connection until SIGINT/SIGTERM."""
    started = time.time()  # calls in progress from before are a stopped controller's
    controller = Controller.build(config)
    agi = config.agi
    server = FastAgiServer(
        controller.handle,
        agi.host,
        agi.port,
        max_sessions=agi.max_sessions,
        header_timeout=agi.header_timeout,
        command_timeout=agi.command_timeout,
    )
    await server.start()
    ami = for_config(config, AmiUser.CONTROLLER)
    ami.on_connect(ControllerResync(controller.calllog, controller.desk.records, started))
    tracker = tracker_mod.QueueTracker(controller.calllog, controller.desk.records)
    for name in tracker_mod.EVENTS:
        ami.on_event(name, tracker)
    dispatcher = CallbackDispatcher(
        ami, controller.desk.callbacks, config.agents, controller.desk.schedules
    )
    for name in ("UserEvent", "AgentConnect", "OriginateResponse"):
        ami.on_event(name, dispatcher.on_event)
    controller.desk.callbacks.recover()
    ami_task = asyncio.create_task(connect_until_up(ami, "controller"))
    dispatch_task = asyncio.create_task(dispatcher.run())
    escalate_task = asyncio.create_task(_escalate_forever(controller.complaints.tickets))
    purge_task = asyncio.create_task(_purge_daily(config))
    writer_task = asyncio.create_task(controller.complaints.writer.run())
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    config.controller_pidfile.write_text(str(os.getpid()))
    log.info("FastAGI listening on %s:%d", agi.host, server.port)
    if ready is not None:
        ready.set()
    try:
        await stop.wait()
    finally:
        log.info("stopping the controller")
        # The writer stops between writes: what it had not applied stays in the spool.
        for task in (ami_task, dispatch_task, escalate_task, purge_task, writer_task):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await ami.close()
        await server.close(grace=2.0)  # calls in their last prompt may finish
        controller.calllog.close()
        config.controller_pidfile.unlink(missing_ok=True)


async def _escalate_forever(desk: tickets.Tickets, every: float = 60.0) -> None:
    """Overdue complaint tickets go up a tier on their own (checked every minute)."""
    while True:
        try:
            for ticket in await asyncio.to_thread(desk.escalate_overdue):
                log.info("complaint %s overdue: now tier %d", ticket.number, ticket.tier)
        except HajjIvrError as e:
            log.error("complaint escalation: %s", e)
        await asyncio.sleep(every)


async def _purge_daily(config: Config, every: float = retention.DAY) -> None:
    """Personal data past its retention period goes at start and then once a day."""
    while True:
        try:
            report = await asyncio.to_thread(retention.purge, config)
            log.info("retention purge: %s", report.summary())  # counts only
        except (HajjIvrError, sqlite3.Error, OSError) as e:
            log.error("retention purge failed (%s): %s", type(e).__name__, e)
        await asyncio.sleep(every)


def _where(error: BaseException) -> str:
    """file:line of the innermost frame of an exception (no message, no values)."""
    tb = error.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return f"{tb.tb_frame.f_code.co_filename}:{tb.tb_lineno}" if tb else "?"
