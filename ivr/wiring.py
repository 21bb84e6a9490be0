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

from ivr import heartbeats, livestate, mirrorsync, retention, silentnodes, storefiles, tasks
from ivr.admin import overrides, reloads
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
from ivr.queue.desk import Desk
from ivr.queue.dispatcher import CallbackDispatcher
from ivr.queue.queuelog import QueueLog
from ivr.queue.resync import ControllerResync
from ivr.secrets import load_or_create
from ivr.settings import campaign_hours
from ivr.store import Sql

log = logging.getLogger(__name__)

ESCALATE_EVERY = 60.0  # overdue complaint tickets go up a tier within a minute
# Asterisk's queue_log is read into the call log this often (the agent reports lag by
# at most this much).
QUEUE_LOG_EVERY = 5.0
# With [database] url: another node's dashboard edits (announcements, hours) reach this
# node's files within this many seconds.
OVERRIDES_EVERY = 5.0


def call_services(config: Config, *, clock: Callable[[], float] = time.time) -> CallServices:
    """Every store a call uses, opened once."""
    catalogs = overrides.watched_catalog(config)  # reloaded when a catalog file changes
    catalogs.current()  # a broken catalog stops the start, not a call
    calls = CallDb.open(
        config.calllog_path, clock=clock, shared=_shared(config), node=node_name(config)
    )
    hours = overrides.watched_schedule(config)
    hours.current()
    desk = Desk(hours.current, calls.callbacks, calls.stays, config.agents.callbacks_per_day, clock)
    shared = calls.sql if config.database.postgres else None
    return CallServices(
        config.ivr,
        catalogs.current,
        calls.calls,
        Mirror(config.mirror_path),
        desk,
        _complaints(config, clock, shared),
        Guard(calls.sql, Limits.for_config(config), clock),
        calls.ppiu,
        _corrections(config, calls),
        Studio(config, sql=shared),
        clock,
        calls.campaigns,
        # Measured only when served: no histogram work on every prompt for nobody.
        Metrics() if config.agi.metrics_port else None,
        calls.ratings,
    )


def _shared(config: Config) -> Sql | None:
    """With ``[database] url`` the controller's one pool, for every PostgreSQL store (its
    tables brought to this release first, as a SQLite store's are when opened); None
    without."""
    if not config.database.postgres:
        return None
    from ivr import pgstore  # psycopg only where PostgreSQL is configured (import time)

    storefiles.migrate_shared(config)
    return pgstore.PgSql(pgstore.open_pool(config.database, "hajj-ivr-controller"))


def node_name(config: Config) -> str:
    """This controller among the nodes sharing one PostgreSQL: host and FastAGI port (two
    controllers on one machine listen on two ports), the same after a restart; in a
    cluster, [cluster] node when set."""
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


def _complaints(config: Config, clock: Callable[[], float], shared: Sql | None) -> ComplaintDesk:
    c = config.complaints
    desk_tickets = tickets.for_config(config, clock, sql=shared)
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
    stop = _stop_asked()
    ctl = controller(config)
    services = ctl.services
    async with contextlib.AsyncExitStack() as stack:
        _pidfile(stack, config)
        stack.callback(services.calllog.close)  # calls.sqlite and the PostgreSQL pool
        server = await _agi(stack, config, ctl)
        ami = _ami(stack, config, services, started)
        _metrics(stack, config, services, ami)
        for job in (*_jobs(config, services, ami), *_cluster_jobs(config, services, server)):
            stack.push_async_callback(_cancel, asyncio.create_task(job))
        config.controller_pidfile.write_text(str(os.getpid()))
        log.info("FastAGI listening on %s:%d", config.agi.host, server.port)
        if ready is not None:
            ready.set()
        await stop.wait()
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
    # Nodes sharing PostgreSQL: only this node's calls are closed (its Asterisk lists its own).
    node = node_name(config) if config.database.postgres else None
    ami.on_connect(ControllerResync(services.calllog, desk.records, started, node=node))
    queue_tracker = tracker.QueueTracker(services.calllog, desk.records)
    for name in tracker.EVENTS:
        ami.on_event(name, queue_tracker)
    recording_tracker = recorder.RecordingTracker(
        recordings.Recordings(services.calllog.sql), desk.records
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
    reader = lambda: _read_queue_log(config, services.calllog.sql)  # noqa: E731
    yield tasks.every(QUEUE_LOG_EVERY, reader, "queue log read")
    if config.database.postgres:
        pull = _SharedPull(config, services.desk.callbacks.sql)
        yield tasks.every(OVERRIDES_EVERY, pull, "overrides pull")
    # The writer stops between writes: what it had not applied stays in the spool.
    yield complaints.writer.run()


def dials_out(config: Config) -> bool:
    """Whether this node's controller originates callbacks and schedule-change calls: a
    callback's agent leg waits in a queue, so only where the queues are (one node, or the
    agent node of a cluster); an IVR node that hands calls to agent nodes has none
    (docs/decisions.md, "Agent node")."""
    return not config.cluster.hands_over


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
    campaigns = _campaigns(config, services, ami, node)
    yield dispatcher.run()
    yield campaigns.run()


def _cluster_jobs(
    config: Config, services: CallServices, server: FastAgiServer
) -> Iterator[Coroutine[Any, Any, None]]:
    """With ``[database] url``: the data mirror published by another node swapped in
    here, this node's heartbeat, and what a silent node left open closed (over the
    controller's pool)."""
    if not config.database.postgres:
        return
    sql, node = services.desk.callbacks.sql, node_name(config)
    calls = lambda: server.active_sessions  # noqa: E731
    yield from mirrorsync.jobs(config, sql, node, config.cluster.role, calls)
    store, calllog, records = heartbeats.Heartbeats(sql), services.calllog, services.desk.records
    after = config.cluster.silent_after
    close = lambda: silentnodes.close(store, calllog, records, node, time.time(), after)  # noqa: E731
    yield tasks.every(heartbeats.EVERY, close, "silent nodes")


def _campaigns(config: Config, services: CallServices, ami: AmiClient, node: str) -> CampaignDialer:
    """The schedule-change dialer, hearing its AMI events (nothing of ours rings after a
    restart; other nodes' calls are theirs)."""
    assert services.campaigns is not None  # call_services always opens it
    services.campaigns.recover(node if config.database.postgres else None)
    hours = campaign_hours(config.campaigns, config.agents)
    dialer = CampaignDialer(
        ami,
        services.campaigns,
        config.campaigns,
        hours,
        config.mirror_path,
        config.ivr.hotline,
        node=node,
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


class _SharedPull:
    """Another node's dashboard edits and phone recordings into this node's files; new
    texts built to prompts here (each node has its own sounds), heard from the next call.
    Over the controller's pool; a run with nothing saved since the last reads only the
    save times."""

    def __init__(self, config: Config, sql: Sql) -> None:
        self.config, self.sql = config, sql
        self.studio = Studio(config, sql)
        self.files: dict[str, float] = {}
        self.recordings: dict[str, float] = {}

    def __call__(self) -> None:
        changed = overrides.pull(self.config, self.sql, self.files)
        if any(name != overrides.HOURS for name in changed):
            _, detail = reloads.build_prompts(self.config)
            log.info("overrides saved on another node: %s; prompts: %s", ", ".join(changed), detail)
        elif changed:
            log.info("overrides saved on another node: %s", ", ".join(changed))
        recorded = self.studio.pull(self.recordings)
        if recorded:
            log.info("prompts recorded by phone on another node: %s", ", ".join(recorded))


def _read_queue_log(config: Config, shared: Sql) -> None:
    """The lines Asterisk added to queue_log since the last run -> the call log: on
    PostgreSQL over the controller's pool; on SQLite over a connection of this worker
    thread's (its transaction must not take in the event loop's writes)."""
    queue_log = RuntimeLayout(config.asterisk_dir).log / "queue_log"
    if config.database.postgres:
        QueueLog(shared, node_name(config)).read(queue_log)
        return
    with contextlib.closing(open_calldb(config.calllog_path)) as db:
        QueueLog(db).read(queue_log)


def _pidfile(stack: contextlib.AsyncExitStack, config: Config) -> None:
    stack.callback(config.controller_pidfile.unlink, missing_ok=True)


async def _cancel(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


def _stop_asked() -> asyncio.Event:
    """Set by SIGINT or SIGTERM, caught from the first moment: a stop asked for while the
    controller starts (its port may already answer, a callback already be put back in line)
    ends it cleanly once it is up, where the signal's default action would kill it there."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return stop
