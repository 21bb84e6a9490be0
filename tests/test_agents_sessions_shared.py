"""Accounts, sessions and login locks as two nodes' web apps and CLIs share them (two
connections to one store, on SQLite and on PostgreSQL): whatever ends a session on one
node is refused on the other at its next request."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from ivr.agents.schema import PG_SCHEMA, SCHEMA
from ivr.agents.sessions import Sessions
from ivr.agents.store import AgentStore
from ivr.agents.throttle import LoginThrottle
from ivr.store import Sql
from tests.rig.clock import Clock
from tests.rig.postgres import Backend

IDLE, LIFETIME = 30 * 60.0, 12 * 3600.0


@dataclass
class Node:
    accounts: AgentStore  # its CLI's (`hajj-ivr agents remove`) or dashboard's
    sessions: Sessions  # its web app's
    throttle: LoginThrottle


def node(backend: Backend, clock: Clock) -> Node:
    """One node: its accounts, sessions and login locks, each over its own connection."""

    def tables() -> Sql:
        return backend.sql((SCHEMA,), (PG_SCHEMA,), "agents.sqlite")

    path = backend.folder / "agents.sqlite"
    return Node(
        AgentStore(path, sql=tables()),
        Sessions(path, IDLE, LIFETIME, clock, sql=tables()),
        LoginThrottle(path, 5, 8, 900.0, clock, sql=tables()),
    )


@pytest.fixture
def clock() -> Clock:
    return Clock()


def login(at: Node, name: str) -> str:
    session_id = at.sessions.start(name, at.accounts.get(name, role=None).web_hash, "10.0.0.1")
    assert session_id is not None
    return session_id


def test_sessions_started_on_one_node_valid_on_the_other(backend: Backend, clock: Clock) -> None:
    one, two = node(backend, clock), node(backend, clock)
    one.accounts.add("siti", 2)
    session_id = login(one, "siti")
    found = two.sessions.get(session_id)
    assert found is not None and (found.name, found.role, found.tier) == ("siti", "agent", 2)
    assert [s.name for s in two.sessions.live()] == ["siti"]


@pytest.mark.parametrize("role", ["agent", "admin"])
def test_sessions_of_an_account_removed_on_one_node_refused_on_the_other(
    backend: Backend, clock: Clock, role: str
) -> None:
    one, two = node(backend, clock), node(backend, clock)
    one.accounts.add("rahmat", 1, role=role)
    on_one, on_two = login(one, "rahmat"), login(two, "rahmat")
    assert two.sessions.get(on_two) is not None
    one.accounts.remove("rahmat", role=role)  # node one's CLI
    assert two.sessions.get(on_two) is None and two.sessions.get(on_one) is None
    assert one.sessions.get(on_two) is None
    two.accounts.add("rahmat", 1, role=role)  # the name again: no old session comes back
    assert two.sessions.get(on_one) is None and two.sessions.live() == []


def test_sessions_ended_or_repassworded_on_one_node_refused_on_the_other(
    backend: Backend, clock: Clock
) -> None:
    one, two = node(backend, clock), node(backend, clock)
    one.accounts.add("siti", 1)
    logout, kept = login(one, "siti"), login(one, "siti")
    two.sessions.end(logout)  # the logout was served by node two
    assert one.sessions.get(logout) is None and one.sessions.get(kept) is not None
    assert two.sessions.end_all("siti") == 1  # `hajj-ivr sessions end siti` on node two
    assert one.sessions.get(kept) is None
    again = login(one, "siti")
    checked = one.accounts.get("siti").web_hash
    two.accounts.new_web_password("siti")
    assert one.sessions.get(again) is None
    assert one.sessions.start("siti", checked, "10.0.0.1") is None  # the old password's check


def test_throttle_failures_on_one_node_lock_the_name_on_the_other(
    backend: Backend, clock: Clock
) -> None:
    one, two = node(backend, clock), node(backend, clock)
    for i in range(3):
        one.throttle.failed("siti", f"10.0.0.{i}")
    for i in range(2):
        two.throttle.failed("siti", f"10.0.1.{i}")
    lock = one.throttle.locked("siti", "10.0.2.1")
    assert lock is not None and (lock.kind, lock.key) == ("name", "siti")
    assert [x.key for x in two.throttle.all_locked()] == ["siti"]
    assert two.throttle.clear("siti") == 5  # `hajj-ivr sessions unlock siti` on node two
    assert one.throttle.locked("siti", "10.0.2.1") is None
