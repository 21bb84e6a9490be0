"""Limits across calls: counts in a real call log (SQLite, and PostgreSQL shared by every
node) under a clock the test moves."""

from __future__ import annotations

from pathlib import Path

import pytest

from ivr import config as config_mod
from ivr.calllog import connect
from ivr.errors import ConfigError
from ivr.guard import PG_SCHEMA, SCHEMA, Guard, Limit, Limits, alerts
from tests.rig.clock import Clock
from tests.rig.postgres import Backend

HOUR = 3600.0
SOC, OTHER = "1100123456", "1300456789"


@pytest.fixture
def clock() -> Clock:
    return Clock()


LIMITS = Limits(Limit(5, 24 * HOUR), Limit(3, 24 * HOUR), Limit(4, HOUR))


@pytest.fixture
def guard(backend: Backend, clock: Clock) -> Guard:
    return Guard(backend.sql((SCHEMA,), (PG_SCHEMA,)), LIMITS, clock)


def test_guard_dob_tries_on_two_nodes_add_up_and_lock_both(backend: Backend, clock: Clock) -> None:
    """A guesser whose calls land on two nodes (two connections): five wrong dates in all
    lock the porsi on both, from any number."""
    nodes = [Guard(backend.sql((SCHEMA,), (PG_SCHEMA,)), LIMITS, clock) for _ in range(2)]
    for n in range(4):
        assert not nodes[n % 2].dob_failed(SOC, f"081100000{n}")
    assert nodes[0].dob_failed(SOC, "0811000009")  # the fifth, on the first node
    assert nodes[1].dob_locked(SOC, "0899999999") and nodes[0].dob_locked(SOC, "0899999999")
    assert [(a.what, a.count) for a in nodes[1].alerts()] == [("porsi", 5)]


def test_guard_lookups_on_two_nodes_share_the_hourly_limit(backend: Backend, clock: Clock) -> None:
    nodes = [Guard(backend.sql((SCHEMA,), (PG_SCHEMA,)), LIMITS, clock) for _ in range(2)]
    assert [nodes[n % 2].lookup_allowed("0811000001") for n in range(5)] == [True] * 4 + [False]


def test_guard_dob_porsi_locked_after_the_limit_from_any_number(guard: Guard) -> None:
    for n in range(4):  # four numbers, one wrong date each...
        assert not guard.dob_failed(SOC, f"08110000000{n}")
    assert guard.dob_failed(SOC, "0811000009")  # ...the fifth locks the porsi
    assert guard.dob_locked(SOC, "0811999999")  # for a number that never tried too
    assert not guard.dob_locked(OTHER, "0811999999")


def test_guard_dob_caller_locked_after_the_limit_across_porsi(guard: Guard) -> None:
    for n in range(5):  # one number, five pilgrims, one wrong date each
        guard.dob_failed(f"110000000{n}", "+62811000001")
    assert guard.dob_locked(OTHER, "0811000001")  # +62 and 0 are the same number
    assert not guard.dob_locked(OTHER, "0811000002")


def test_guard_dob_lock_ends_when_the_failures_leave_the_window(guard: Guard, clock: Clock) -> None:
    for _ in range(5):
        guard.dob_failed(SOC, "0811000001")
        clock.now += HOUR
    assert guard.dob_locked(SOC, "0811000002")
    clock.now += 20 * HOUR  # the first failure is now 24 h old
    assert not guard.dob_locked(SOC, "0811000002")


def test_guard_withheld_numbers_share_one_bucket(guard: Guard) -> None:
    for caller in ("", "anonymous", "Restricted", "unknown", "x"):
        guard.dob_failed(f"11000000{len(caller):02d}", caller)
    assert guard.dob_locked(OTHER, "") and guard.dob_locked(OTHER, "anonymous")
    assert not guard.dob_locked(OTHER, "0811000001")


def test_guard_lookups_per_number_per_hour(guard: Guard, clock: Clock) -> None:
    assert [guard.lookup_allowed("0811000001") for _ in range(5)] == [True] * 4 + [False]
    assert guard.lookup_allowed("0811000002")
    clock.now += HOUR + 1
    assert guard.lookup_allowed("0811000001")


def test_guard_status_locks_the_ticket_and_the_number_apart(guard: Guard) -> None:
    ticket = "1234567890"
    assert not guard.status_failed("0811000001", ticket)
    assert not guard.status_failed("0811000002", ticket)
    assert guard.status_failed("0811000003", ticket)  # three wrong PINs: the ticket
    assert guard.status_locked("0811000004", ticket)
    assert not guard.status_locked("0811000004", "9999999999")
    for _ in range(3):  # made-up numbers (no ticket): the number only
        guard.status_failed("0811000005")
    assert guard.status_locked("0811000005") and guard.status_locked("0811000005", "x")


def test_guard_alerts_show_each_lock_masked_newest_first(guard: Guard, clock: Clock) -> None:
    for _ in range(5):
        guard.dob_failed(SOC, "")
    clock.now += 60
    for n in range(3):
        guard.status_failed(f"081100000{n}0", "1234567890")
    shown = [(a.kind, a.what, a.subject, a.count) for a in guard.alerts()]
    assert shown == [
        ("status_failed", "ticket", "1234567890", 3),
        ("dob_failed", "caller", "anonymous", 5),
        ("dob_failed", "porsi", "11******56", 5),
    ]
    assert guard.alerts()[0].at == clock.now


def test_guard_alerts_for_the_dashboard_read_the_configured_limits(backend: Backend) -> None:
    config = config_mod.load(file=None, env={}, overrides={"ivr.dob_lock_failures": 2})
    writer = Guard(backend.sql((SCHEMA,), (PG_SCHEMA,)), Limits.for_config(config))
    writer.dob_failed(SOC, "0811000001")
    writer.dob_failed(SOC, "0811000002")
    dashboard = backend.sql((SCHEMA,), (PG_SCHEMA,))  # its own connection
    assert [(a.what, a.subject) for a in alerts(dashboard, config)] == [("porsi", "11******56")]


def test_guard_alerts_read_a_sqlite_connection_as_the_wallboard_passes_it(tmp_path: Path) -> None:
    config = config_mod.load(file=None, env={}, overrides={"ivr.dob_lock_failures": 1})
    db = connect(tmp_path / "calls.sqlite", SCHEMA)
    Guard(db, Limits.for_config(config)).dob_failed(SOC, "0811000001")
    assert [a.what for a in alerts(db, config)] == ["caller", "porsi"]


def test_guard_prune_forgets_counts_past_their_window(guard: Guard, clock: Clock) -> None:
    guard.dob_failed(SOC, "0811000001")
    guard.lookup_allowed("0811000001")
    clock.now += 2 * HOUR
    assert guard.prune() == 1  # the lookup (1 h window); the wrong date stays 24 h
    clock.now += 23 * HOUR
    assert guard.prune() == 2


@pytest.mark.parametrize(
    "key", ["ivr.dob_lock_failures", "ivr.lookups_per_hour", "agents.callbacks_per_day"]
)
def test_config_limits_must_be_above_zero(key: str) -> None:
    with pytest.raises(ConfigError, match=f"{key} = 0 must be above 0"):
        config_mod.load(file=None, env={}, overrides={key: 0})
