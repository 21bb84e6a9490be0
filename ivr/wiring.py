"""Start-up: every part the controller runs with, built once from the config and wired
together in one place; ``serve`` runs them until SIGINT or SIGTERM.

A call's services (CallServices) are opened here, so a broken catalog or staffed hours
stop the start, never a call. The AMI consumers (queue tracker, callback dispatcher, the
resync after each login) and the periodic jobs (callbacks, escalation, the retention
purge, the complaint writer) are registered here too; each part pushes its own stop on
one exit stack, so they stop in the reverse order they started.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import time
from collections.abc import Callable, Coroutine, Iterator
from typing import Any

from ivr import livestate, retention, storefiles, tasks
from ivr.admin import overrides
from ivr.admin.studio import Studio
from ivr.agi.server import FastAgiServer
from ivr.ami.client import AmiClient
from ivr.ami.users import AmiUser, connect_until_up, for_config
from ivr.asterisk.render import RuntimeLayout
from ivr.call import CallServices
from ivr.calldb import CallDb, open_calldb
from ivr.campaigns import dialer as dialer_mod
from ivr.campaigns.dialer import CampaignDialer
from ivr.complaints import tickets
from ivr.complaints import writer as writer_mod
from ivr.complaints.desk import ComplaintDesk
from ivr.config import Config
from ivr.controller import Controller
from ivr.corrections.desk import CorrectionDesk
from ivr.data.mirror import Mirror
from ivr.flows import routes
from ivr.guard import Guard, Limits
from ivr.metrics import Metrics
from ivr.queue import dispatcher as dispatcher_mod
from ivr.queue import recorder, recordings, tracker
from ivr.queue.callbacks import Callbacks
from ivr.queue.desk import Desk
from ivr.queue.dispatcher import CallbackDispatcher
from ivr.queue.queuelog import QueueLog
from ivr.queue.resync import ControllerResync
from ivr.secrets import load_or_create
from ivr.settings import campaign_hours

log = logging.getLogger(__name__)

ESCALATE_EVERY = 60.0  # overdue complaint tickets go up a tier within a minute
# Asterisk's queue_log is read into the call log this often (the agent reports lag by
# at most this much).
QUEUE_LOG_EVERY = 5.0


def call_services(config: Config, *, clock: Callable[[], float] = time.time) -> CallServices:
    """Every store a call uses, opened once."""
    catalogs = overrides.watched_catalog(config)  # reloaded when a catalog file changes
    catalogs.current()  # a broken catalog stops the start, not a call
    calls = CallDb.open(config.calllog_path, clock=clock)
    hours = overrides.watched_schedule(config)
    hours.current()
    requests = _callbacks(config, calls)
    desk = Desk(hours.current, requests, calls.stays, config.agents.callbacks_per_day, clock)
    return CallServices(
        config.ivr,
        catalogs.current,
        calls.calls,
        Mirror(config.mirror_path),
        desk,
        _complaints(config, clock),
        Guard(calls.db, Limits.for_config(config), clock),
        calls.ppiu,
        _corrections(config, calls),
        Studio(config),
        clock,
        calls.campaigns,
        # Measured only when served: no histogram work on every prompt for nobody.
        Metrics() if config.agi.metrics_port else None,
        calls.ratings,
    )


def _callbacks(config: Config, calls: CallDb) -> Callbacks:
    """The callback requests: calls.sqlite's, or with ``[database] url`` PostgreSQL's
    (their tables brought to this release first, as a SQLite store's are when opened)."""
    if not config.database.postgres:
        return calls.callbacks
    from ivr import pgstore  # psycopg only where PostgreSQL is configured (import time)

    storefiles.migrate_shared(config)
    return Callbacks(pgstore.PgSql(pgstore.open_pool(config.database, "hajj-ivr-controller")))


def node_name(config: Config) -> str:
    """This controller among the nodes sharing one PostgreSQL: host and FastAGI port (two
    controllers on one machine listen on two ports), the same after a restart; or the
    name ``cluster.node`` gives it."""
    return config.cluster.node or f"{socket.gethostname()}:{config.agi.port}"


def _corrections(config: Config, calls: CallDb) -> CorrectionDesk:
    c = config.complaints
    config.recordings_dir.mkdir(parents=True, exist_ok=True)  # RECORD FILE writes here
    return CorrectionDesk(
        calls.corrections,
        config.recordings_dir,  # beside complaints' (Asterisk's folder), named correction-*
        c.correction_record_seconds,
        c.record_silence_seconds,
    )


def _complaints(config: Config, clock: Callable[[], float]) -> ComplaintDesk:
    c = config.complaints
    desk_tickets = tickets.for_config(config, clock)
    config.recordings_dir.mkdir(parents=True, exist_ok=True)  # RECORD FILE writes here
    return ComplaintDesk(
        desk_tickets,
        writer_mod.for_tickets(desk_tickets, config.state_dir, c.write_retry_seconds),
        config.recordings_dir,
        c.record_max_seconds,
        c.record_silence_seconds,
    )


def controller(config: Config, *, clock: Callable[[], float] = time.time) -> Controller:
    return Controller(routes.TABLE, call_services(config, clock=clock))


async def serve(config: Config, ready: asyncio.Event | None = None) -> None:
    """FastAGI, AMI and the periodic jobs, until SIGINT or SIGTERM."""
    started = time.time()  # calls in progress from before are a stopped controller's
    ctl = controller(config)
    services = ctl.services
    async with contextlib.AsyncExitStack() as stack:
        _pidfile(stack, config)
        stack.callback(services.calllog.close)
        if config.database.postgres:
            from ivr import pgstore

            stack.callback(pgstore.close, services.desk.callbacks.sql)
        server = await _agi(stack, config, ctl)
        ami = _ami(stack, config, services, started)
        _metrics(stack, config, services, ami)
        for job in _jobs(config, services, ami):
            stack.push_async_callback(_cancel, asyncio.create_task(job))
        config.controller_pidfile.write_text(str(os.getpid()))
        log.info("FastAGI listening on %s:%d", config.agi.host, server.port)
        await _until_signalled(ready)
        log.info("stopping the controller")


async def _agi(stack: contextlib.AsyncExitStack, config: Config, ctl: Controller) -> FastAgiServer:
    agi = config.agi
    server = FastAgiServer(
        ctl.handle,
        agi.host,
        agi.port,
        max_sessions=agi.max_sessions,
        header_timeout=agi.header_timeout,
        command_timeout=agi.command_timeout,
        on_played=None if ctl.services.metrics is None else ctl.services.metrics.played,
        on_command=None if ctl.services.metrics is None else ctl.services.metrics.commanded,
    )
    await server.start()
    # Calls in their last prompt may finish.
    stack.push_async_callback(server.close, grace=2.0)
    return server


def _metrics(
    stack: contextlib.AsyncExitStack, config: Config, services: CallServices, ami: AmiClient
) -> None:
    """/metrics for Prometheus (and bench/) when ``[agi] metrics_port`` is set: the
    controller's own figures and the hotline's state read at each scrape."""
    metrics, agi = services.metrics, config.agi
    if metrics is None:
        return
    members = livestate.ami_members(ami, asyncio.get_running_loop())
    metrics.add(livestate.LiveState.for_config(config, members))
    token = load_or_create(config.secrets_path).metrics_token if agi.metrics_token else ""
    stack.callback(metrics.serve(agi.host, agi.metrics_port, token))
    log.info("metrics on http://%s:%d/metrics", agi.host, agi.metrics_port)


def _ami(
    stack: contextlib.AsyncExitStack, config: Config, services: CallServices, started: float
) -> AmiClient:
    """The controller's AMI connection and what listens on it (not connected yet: the
    connecting is one of the jobs)."""
    ami = for_config(config, AmiUser.CONTROLLER)
    desk = services.desk
    ami.on_connect(ControllerResync(services.calllog, desk.records, started))
    queue_tracker = tracker.QueueTracker(services.calllog, desk.records)
    for name in tracker.EVENTS:
        ami.on_event(name, queue_tracker)
    recording_tracker = recorder.RecordingTracker(
        recordings.Recordings(services.calllog.db), desk.records
    )
    for name in recorder.EVENTS:
        ami.on_event(name, recording_tracker)
    stack.push_async_callback(ami.close)
    return ami


def _jobs(
    config: Config, services: CallServices, ami: AmiClient
) -> Iterator[Coroutine[Any, Any, None]]:
    complaints = services.complaints
    yield connect_until_up(ami, "controller")
    if dials_out(config):
        yield from _outbound(config, services, ami)
    else:
        log.info("IVR node: callbacks and schedule-change calls are the agent node's to dial")
    yield tasks.every(ESCALATE_EVERY, lambda: _escalate(complaints.tickets), "complaint escalation")
    yield tasks.every(retention.DAY, lambda: _purge(config), "retention purge")
    yield tasks.every(QUEUE_LOG_EVERY, lambda: _read_queue_log(config), "queue log read")
    # The writer stops between writes: what it had not applied stays in the spool.
    yield complaints.writer.run()


def dials_out(config: Config) -> bool:
    """Whether this node's controller originates callbacks and schedule-change calls: a
    callback's agent leg waits in a queue, so only where the queues are (one node, or the
    agent node of a cluster); an IVR node has none (docs/decisions.md, "Agent node")."""
    return config.cluster.role != "ivr"


def _outbound(
    config: Config, services: CallServices, ami: AmiClient
) -> Iterator[Coroutine[Any, Any, None]]:
    """The callback dispatcher and the campaign dialer, hearing their AMI events."""
    desk = services.desk
    node = node_name(config)
    dispatcher = CallbackDispatcher(ami, desk.callbacks, config.agents, desk.schedules, node=node)
    for name in dispatcher_mod.EVENTS:
        ami.on_event(name, dispatcher.on_event)
    # Nothing of ours is in progress after a restart (other nodes' calls are theirs).
    desk.callbacks.recover(node if config.database.postgres else None)
    campaigns = _campaigns(config, services, ami)
    yield dispatcher.run()
    yield campaigns.run()


def _campaigns(config: Config, services: CallServices, ami: AmiClient) -> CampaignDialer:
    """The schedule-change dialer, hearing its AMI events (nothing rings after a restart)."""
    assert services.campaigns is not None  # call_services always opens it
    services.campaigns.recover()
    hours = campaign_hours(config.campaigns, config.agents)
    dialer = CampaignDialer(
        ami, services.campaigns, config.campaigns, hours, config.mirror_path, config.ivr.hotline
    )
    for name in dialer_mod.EVENTS:
        ami.on_event(name, dialer.on_event)
    return dialer


def _escalate(desk: tickets.Tickets) -> None:
    """Overdue complaint tickets go up a tier on their own."""
    for ticket in desk.escalate_overdue():
        log.info("complaint %s overdue: now tier %d", ticket.number, ticket.tier)


def _purge(config: Config) -> None:
    """Personal data past its retention period goes (at start, then once a day)."""
    log.info("retention purge: %s", retention.purge(config).summary())  # counts only


def _read_queue_log(config: Config) -> None:
    """The lines Asterisk added to queue_log since the last run -> calls.sqlite."""
    with contextlib.closing(open_calldb(config.calllog_path)) as db:
        QueueLog(db).read(RuntimeLayout(config.asterisk_dir).log / "queue_log")


def _pidfile(stack: contextlib.AsyncExitStack, config: Config) -> None:
    stack.callback(config.controller_pidfile.unlink, missing_ok=True)


async def _cancel(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def _until_signalled(ready: asyncio.Event | None) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    if ready is not None:
        ready.set()
    await stop.wait()
