"""The hotline's state for /metrics, read when Prometheus scrapes (a prometheus_client
Collector in the controller's registry, ivr/metrics.py).

Nothing is counted on a call's path for these: each scrape reads the stores the wallboard
reads (calls in the IVR and callers waiting per tier from calls.sqlite with the
wallboard's own definitions, callback requests not done yet, the data mirror's dates, the
import log) and asks app_queue for its members (QueueStatus over the controller's AMI
link) for the agents' states. A part that cannot be read (AMI down, no mirror yet) is left
out of that scrape, logged, and never fails the page: the histograms still go out.
"""

from __future__ import annotations

import asyncio
import calendar
import logging
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from ivr import calldb, reports, storeplace
from ivr.admin.audit import Audit
from ivr.agents.members import member_of, queue_members, state_of
from ivr.agents.store import TIERS, AgentStore, queue_of
from ivr.ami.client import AmiClient
from ivr.config import Config
from ivr.data.mirror import Mirror
from ivr.errors import HajjIvrError
from ivr.queue import callbacks as callbacks_mod
from ivr.settings import DatabaseSettings

log = logging.getLogger(__name__)

# Every state ivr.agents.members gives, as label values (a zero for each, so a graph of
# one state never has gaps).
STATES = ("logged_out", "available", "ringing", "on_call", "paused", "phone_offline")
AMI_WAIT = 5.0  # seconds a scrape waits for QueueStatus (Prometheus's own timeout is 10 s)
Members = Callable[[], Mapping[str, Mapping[str, str]] | None]


@dataclass(frozen=True)
class LiveState(Collector):
    """``members``: app_queue's members by interface, or None when AMI cannot tell."""

    calldb: Path
    mirror: Path
    agents: AgentStore
    audit: Audit
    members: Members
    clock: Callable[[], float] = time.time
    database: DatabaseSettings = field(default_factory=DatabaseSettings)  # callbacks' home

    @classmethod
    def for_config(cls, config: Config, members: Members) -> LiveState:
        return cls(
            config.calllog_path,
            config.mirror_path,
            AgentStore.for_config(config),
            Audit.for_config(config),
            members,
            database=config.database,
        )

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        for part in (self._calls, self._agents, self._mirror):
            try:
                yield from part()
            except (HajjIvrError, OSError, ValueError) as e:
                # The scrape goes on without this part; the log says which and why.
                log.warning("metrics: %s not read (%s)", part.__name__, type(e).__name__)

    def _calls(self) -> Iterator[GaugeMetricFamily]:
        with storeplace.opened(self.database, self.calldb, calldb.SCHEMAS, wal=True) as sql:
            live = reports.live(sql, self.clock())
            pending = callbacks_mod.Callbacks(sql).pending()
        yield GaugeMetricFamily("hajj_calls_in_ivr", "Calls in the IVR now", live.in_ivr)
        waiting = GaugeMetricFamily(
            "hajj_calls_waiting", "Callers waiting for an agent now, by tier", labels=["tier"]
        )
        longest = GaugeMetricFamily(
            "hajj_longest_wait_seconds",
            "How long the caller waiting longest has waited, by tier (0: nobody waits)",
            labels=["tier"],
        )
        for tier in TIERS:
            count, wait = live.waiting.get(queue_of(tier), (0, 0.0))
            waiting.add_metric([str(tier)], count)
            longest.add_metric([str(tier)], round(wait, 1))
        yield waiting
        yield longest
        callbacks = GaugeMetricFamily(
            "hajj_callbacks_pending",
            "Callback requests not done yet (open: waiting their turn; calling: ringing)",
            labels=["state"],
        )
        for state, count in sorted(pending.items()):
            callbacks.add_metric([state], count)
        yield callbacks

    def _agents(self) -> Iterator[GaugeMetricFamily]:
        members = self.members()
        yield GaugeMetricFamily(
            "hajj_ami_up",
            "1 when the controller's AMI link answered QueueStatus for this scrape",
            int(members is not None),
        )
        if members is None:
            return
        counts = {(tier, state): 0 for tier in TIERS for state in STATES}
        for agent in self.agents.all():  # role "agent" only
            state = state_of(agent, member_of(agent, members)).state
            counts[agent.tier, state.replace(" ", "_")] += 1
        family = GaugeMetricFamily(
            "hajj_agents",
            "Agents by tier and state (app_queue's members)",
            labels=["tier", "state"],
        )
        for (tier, state), count in counts.items():
            family.add_metric([str(tier), state], count)
        yield family

    def _mirror(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        ok, failed = self.audit.counts("data")
        imports = CounterMetricFamily(
            "hajj_imports", "Data imports run (the admin log's), by result", labels=["result"]
        )
        imports.add_metric(["ok"], ok)
        imports.add_metric(["failed"], failed)
        yield imports
        if not self.mirror.exists():
            return
        with Mirror(self.mirror) as mirror:
            info = mirror.info
        yield GaugeMetricFamily(
            "hajj_mirror_as_of_timestamp_seconds",
            "The date the data in the mirror is as of (its midnight UTC, unix time)",
            calendar.timegm(info.as_of.timetuple()),
        )
        yield GaugeMetricFamily(
            "hajj_mirror_imported_timestamp_seconds",
            "When the data in the mirror was imported (unix time)",
            calendar.timegm(info.imported_at.utctimetuple()),  # stored in UTC
        )


def ami_members(ami: AmiClient, loop: asyncio.AbstractEventLoop) -> Members:
    """app_queue's members read over ``ami`` (on ``loop``) from the scrape's thread."""

    def read() -> Mapping[str, Mapping[str, str]] | None:
        if not ami.connected:
            return None
        future = asyncio.run_coroutine_threadsafe(queue_members(ami), loop)
        try:
            return future.result(AMI_WAIT)
        except (HajjIvrError, TimeoutError):
            future.cancel()
            return None

    return read
