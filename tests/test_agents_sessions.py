"""Web sessions and failed-login counts in agents.sqlite or PostgreSQL (the ``backend``
fixture: each test on both; a clock we move)."""

from __future__ import annotations

import pytest

from ivr.agents.schema import PG_SCHEMA, SCHEMA
from ivr.agents.sessions import Sessions
from ivr.agents.store import AgentStore
from ivr.agents.throttle import LoginThrottle
from ivr.store import Sql
from tests.rig.clock import Clock
from tests.rig.postgres import Backend

IDLE, LIFETIME = 30 * 60.0, 12 * 3600.0


@pytest.fixture
def clock() -> Clock:
    return Clock()


def tables(backend: Backend) -> Sql:
    """agents.sqlite's tables over a connection of their own (a node's)."""
    return backend.sql((SCHEMA,), (PG_SCHEMA,), "agents.sqlite")


def setup(backend: Backend, clock: Clock) -> tuple[AgentStore, Sessions]:
    path = backend.folder / "agents.sqlite"
    store = AgentStore(path, sql=tables(backend))
    return store, Sessions(path, IDLE, LIFETIME, clock, sql=tables(backend))


def login(store: AgentStore, sessions: Sessions, name: str) -> str:
    session_id = sessions.start(name, store.get(name, role=None).web_hash, "10.0.0.1")
    assert session_id is not None
    return session_id


def test_sessions_keep_only_a_hash_of_the_id(backend: Backend, clock: Clock) -> None:
    store, sessions = setup(backend, clock)
    store.add("siti", 1)
    session_id = login(store, sessions, "siti")
    rows = str(tables(backend).all("SELECT * FROM sessions"))
    assert len(rows) > 100 and session_id not in rows
    found = sessions.get(session_id)
    assert found is not None and (found.name, found.role, found.tier) == ("siti", "agent", 1)
    assert sessions.get(session_id + "x") is None


def test_sessions_read_the_accounts_role_and_tier_now(backend: Backend, clock: Clock) -> None:
    store, sessions = setup(backend, clock)
    store.add("siti", 1)
    session_id = login(store, sessions, "siti")
    tables(backend).run("UPDATE agents SET tier = 3, role = 'admin' WHERE name = 'siti'")
    found = sessions.get(session_id)
    assert found is not None and (found.role, found.tier) == ("admin", 3)


def test_sessions_idle_past_the_limit_are_refused_and_deleted(
    backend: Backend, clock: Clock
) -> None:
    store, sessions = setup(backend, clock)
    store.add("siti", 1)
    session_id = login(store, sessions, "siti")
    clock.now += IDLE - 60
    assert sessions.get(session_id) is not None  # used: idle counts from here
    clock.now += IDLE - 60
    assert sessions.get(session_id) is not None
    clock.now += IDLE + 1
    assert sessions.get(session_id) is None
    assert sessions.live() == []


def test_sessions_past_the_absolute_lifetime_are_refused_while_active(
    backend: Backend, clock: Clock
) -> None:
    store, sessions = setup(backend, clock)
    store.add("siti", 1)
    session_id = login(store, sessions, "siti")
    for _ in range(int(LIFETIME // 600)):
        assert sessions.get(session_id) is not None
        clock.now += 600  # a request every ten minutes all day
    clock.now += 1
    assert sessions.get(session_id) is None


def test_sessions_end_refuses_that_session_only(backend: Backend, clock: Clock) -> None:
    store, sessions = setup(backend, clock)
    store.add("siti", 1)
    phone, desk = login(store, sessions, "siti"), login(store, sessions, "siti")
    sessions.end(phone)
    assert sessions.get(phone) is None and sessions.get(desk) is not None
    assert sessions.end_all("siti") == 1 and sessions.get(desk) is None


def test_agents_remove_ends_sessions_and_the_name_added_again_gets_none(
    backend: Backend, clock: Clock
) -> None:
    store, sessions = setup(backend, clock)
    store.add("rahmat", 0, role="admin")
    session_id = login(store, sessions, "rahmat")
    store.remove("rahmat", role="admin")
    store.add("rahmat", 0, role="admin")
    assert sessions.get(session_id) is None


def test_agents_new_web_password_ends_sessions_and_lifts_the_name_lock(
    backend: Backend, clock: Clock
) -> None:
    store, sessions = setup(backend, clock)
    throttle = LoginThrottle(backend.folder / "x", 3, 100, 900, clock, sql=tables(backend))
    store.add("siti", 1)
    session_id = login(store, sessions, "siti")
    for _ in range(3):
        throttle.failed("siti", "10.0.0.9")
    assert throttle.locked("siti", "10.0.0.1") is not None
    _, password = store.new_web_password("siti")
    assert sessions.get(session_id) is None
    assert throttle.locked("siti", "10.0.0.1") is None
    assert store.check_login("siti", password) is not None


def test_sessions_start_refused_when_the_password_changed_since_the_check(
    backend: Backend, clock: Clock
) -> None:
    store, sessions = setup(backend, clock)
    store.add("siti", 1)
    checked = store.get("siti").web_hash
    store.new_web_password("siti")
    assert sessions.start("siti", checked, "10.0.0.1") is None
    store.remove("siti")
    assert sessions.start("siti", checked, "10.0.0.1") is None


# --- failed logins ------------------------------------------------------------------------


def throttle_for(backend: Backend, clock: Clock) -> LoginThrottle:
    return LoginThrottle(backend.folder / "x", 5, 8, 900.0, clock, sql=tables(backend))


def test_throttle_locks_a_name_after_its_failures_until_they_age(
    backend: Backend, clock: Clock
) -> None:
    throttle = throttle_for(backend, clock)
    for i in range(4):
        throttle.failed("siti", f"10.0.0.{i}")
        clock.now += 10
    assert throttle.locked("siti", "10.0.1.1") is None
    throttle.failed("siti", "10.0.0.9")
    lock = throttle.locked("siti", "10.0.1.1")  # any address: the name is locked
    assert lock is not None and (lock.kind, lock.key) == ("name", "siti")
    assert lock.seconds_left == 900 - 40
    assert throttle.locked("budi", "10.0.1.1") is None
    clock.now += 860
    assert throttle.locked("siti", "10.0.1.1") is None  # the first failure left the window


def test_throttle_locks_an_address_spraying_names(backend: Backend, clock: Clock) -> None:
    throttle = throttle_for(backend, clock)
    for i in range(8):
        throttle.failed(f"nama{i}", "10.0.0.66")
    lock = throttle.locked("siti", "10.0.0.66")
    assert lock is not None and (lock.kind, lock.key) == ("address", "10.0.0.66")
    assert throttle.locked("siti", "10.0.0.67") is None


def test_throttle_success_clears_the_name_not_the_address(backend: Backend, clock: Clock) -> None:
    throttle = throttle_for(backend, clock)
    for i in range(4):
        throttle.failed("siti", "10.0.0.5")
        throttle.failed(f"lain{i}", "10.0.0.5")
    throttle.succeeded("siti")
    throttle.failed("siti", "10.0.0.5")
    assert throttle.locked("siti", "10.0.0.1") is None
    assert throttle.locked("budi", "10.0.0.5") is not None  # 9 from the address


def test_throttle_unlock_and_list(backend: Backend, clock: Clock) -> None:
    throttle = throttle_for(backend, clock)
    long_name = "x" * 5000
    for _ in range(5):
        throttle.failed(long_name, "10.0.0.5")
    assert [lock.kind for lock in throttle.all_locked()] == ["name"]
    assert throttle.locked(long_name, "10.0.0.1") is not None  # capped, still counted
    assert throttle.clear(long_name) == 5
    assert throttle.locked(long_name, "10.0.0.1") is None and throttle.all_locked() == []
