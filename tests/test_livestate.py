"""/metrics' state read at scrape time (ivr/livestate.py) over real stores: the call log
and its queue stays and callbacks, the agent store, the admin log and a real mirror."""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path

import pytest
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from ivr import config as config_mod
from ivr.admin.audit import Audit
from ivr.agents.store import AgentStore
from ivr.calldb import CallDb
from ivr.config import Config
from ivr.livestate import LiveState, Members
from ivr.metrics import Metrics
from ivr.outcomes import Outcome
from ivr.queue.callbacks import Request
from ivr.settings import DatabaseSettings
from ivr.store import Sql
from tests.rig import callstores
from tests.rig.postgres import Backend

NOW = time.time()
Sample = tuple[str, tuple[tuple[str, str], ...]]


def scrape(metrics: Metrics) -> dict[Sample, float]:
    """{(sample name, its labels sorted): value}."""
    page = generate_latest(metrics.registry).decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(page)
        for s in family.samples
    }


@pytest.fixture
def config(tmp_path: Path, live: Path) -> Config:
    """A state dir holding a live mirror of the sample export (as of 2026-04-10)."""
    return config_mod.load(overrides={"state_dir": str(live.parent)})


def state(
    config: Config, members: Members, database: DatabaseSettings | None = None
) -> dict[Sample, float]:
    metrics = Metrics()
    agents, audit = AgentStore.for_config(config), Audit.for_config(config)
    paths = (config.calllog_path, config.mirror_path)
    where = database or DatabaseSettings()
    metrics.add(LiveState(*paths, agents, audit, members, clock=lambda: NOW, database=where))
    return scrape(metrics)


def calls(config: Config, shared: Sql | None = None) -> None:
    """One call in the IVR, three callers waiting (two at tier 1, the longest 50 s), an
    open callback and one being called, a finished call and a done callback (``shared``:
    written to PostgreSQL, as a controller with a URL writes them)."""
    db = CallDb.open(config.calllog_path, clock=lambda: NOW - 10, shared=shared)
    try:
        db.calls.start("in-ivr", "0811000001", "hotline")
        db.calls.start("queued-1", "0811000002", "hotline")
        db.calls.finish("queued-1", Outcome.AGENT)
        db.stays.joined("queued-1", "hajj-tier1", "0811000002", "caller_request", "", NOW - 50, 1)
        db.stays.joined("queued-2", "hajj-tier1", "0811000003", "caller_request", "", NOW - 20, 2)
        db.stays.joined("queued-3", "hajj-tier2", "0811000004", "transfer", "", NOW - 5, 1)
        db.stays.joined("answered", "hajj-tier1", "0811000005", "no_input", "", NOW - 90, 1)
        db.stays.answered("answered", "hajj-tier1", "alice", NOW - 80, 10)
        first, _ = db.callbacks.request(Request("0811000006"), now=NOW - 100)
        db.callbacks.request(Request("0811000007"), now=NOW - 90)
        done, _ = db.callbacks.request(Request("0811000008"), now=NOW - 80)
        db.callbacks.start(first.id)
        db.callbacks.refuse(done.id, "not allowed", NOW - 70)
    finally:
        db.close()


def agents(config: Config) -> None:
    store = AgentStore.for_config(config)
    for name, tier in [("alice", 1), ("bob", 2), ("carol", 1), ("dedi", 3)]:
        store.add(name, tier)
    store.add("boss", 0, role="admin")


def members(alice: Mapping[str, str], bob: Mapping[str, str]) -> Members:
    """app_queue's members as QueueStatus gives them: alice's and bob's; the others out."""
    return lambda: {"PJSIP/agent-alice": alice, "PJSIP/agent-bob": bob}


def test_livestate_calls_waiting_per_tier_and_callbacks_from_the_call_log(
    config: Config, backend: Backend
) -> None:
    calls(config, callstores.stores(backend) if backend.postgres else None)
    got = state(config, lambda: None, callstores.database(backend))
    assert got[("hajj_calls_in_ivr", ())] == 1
    assert got[("hajj_calls_waiting", (("tier", "1"),))] == 2
    assert got[("hajj_calls_waiting", (("tier", "2"),))] == 1
    assert got[("hajj_calls_waiting", (("tier", "3"),))] == 0
    assert got[("hajj_longest_wait_seconds", (("tier", "1"),))] == 50
    assert got[("hajj_longest_wait_seconds", (("tier", "2"),))] == 5
    assert got[("hajj_longest_wait_seconds", (("tier", "3"),))] == 0
    assert got[("hajj_callbacks_pending", (("state", "open"),))] == 1
    assert got[("hajj_callbacks_pending", (("state", "calling"),))] == 1


def test_livestate_agents_by_tier_and_state_from_queue_members(config: Config) -> None:
    agents(config)
    on_call = {"Status": "2", "InCall": "1", "Paused": "0"}
    paused = {"Status": "1", "Paused": "1", "PausedReason": "prayer"}
    got = state(config, members(on_call, paused))

    def agents_in(tier: int, state_name: str) -> float:
        return got[("hajj_agents", (("state", state_name), ("tier", str(tier))))]

    assert got[("hajj_ami_up", ())] == 1
    assert agents_in(1, "on_call") == 1 and agents_in(1, "logged_out") == 1  # alice, carol
    assert agents_in(2, "paused") == 1 and agents_in(2, "available") == 0  # bob
    assert agents_in(3, "logged_out") == 1  # dedi; the admin is no agent
    assert sum(v for (name, _), v in got.items() if name == "hajj_agents") == 4
    available = state(config, members({"Status": "1", "Paused": "0"}, paused))
    assert available[("hajj_agents", (("state", "available"), ("tier", "1")))] == 1


def test_livestate_ami_down_leaves_agents_out_the_rest_still_scraped(config: Config) -> None:
    agents(config)
    got = state(config, lambda: None)
    assert got[("hajj_ami_up", ())] == 0
    assert not [name for name, _ in got if name == "hajj_agents"]
    assert got[("hajj_calls_in_ivr", ())] == 0


def test_livestate_imports_counted_from_the_admin_log_mirror_dates(config: Config) -> None:
    audit = Audit.for_config(config)
    audit.record("admin", "data", True, "imported")
    audit.record("admin", "data", False, "bad export")
    audit.record("admin", "data", True, "imported")
    audit.record("admin", "prompts", True, "not an import")
    got = state(config, lambda: None)
    assert got[("hajj_imports_total", (("result", "ok"),))] == 2
    assert got[("hajj_imports_total", (("result", "failed"),))] == 1
    as_of = got[("hajj_mirror_as_of_timestamp_seconds", ())]
    assert time.strftime("%Y-%m-%d %H:%M", time.gmtime(as_of)) == "2026-04-10 00:00"
    imported = got[("hajj_mirror_imported_timestamp_seconds", ())]
    assert NOW - 600 < imported <= time.time()  # the fixture imported it just now


def test_livestate_a_broken_mirror_leaves_it_out_the_page_still_served(
    config: Config, caplog: pytest.LogCaptureFixture
) -> None:
    config.mirror_path.write_bytes(b"not a database")
    got = state(config, lambda: None)
    assert ("hajj_mirror_as_of_timestamp_seconds", ()) not in got
    assert got[("hajj_calls_in_ivr", ())] == 0
    assert ("hajj_lookup_seconds_count", ()) in got
    assert "metrics: _mirror not read" in caplog.text
