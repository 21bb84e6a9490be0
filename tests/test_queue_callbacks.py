"""Callback requests: one open request per number and porsi, order of service, retries,
claims; every test on both backends (calls.sqlite, and PostgreSQL with [database] url)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ivr.calllog import connect
from ivr.queue.callbacks import SCHEMA, Callbacks, Request
from tests.rig.postgres import pg_callbacks


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callbacks]:
    if request.param == "sqlite":
        yield Callbacks(connect(tmp_path / "calls.sqlite", SCHEMA))
        return
    with pg_callbacks(request.getfixturevalue("pg_url")) as on_postgres:
        yield on_postgres


def test_callbacks_one_open_request_per_number_and_porsi(store: Callbacks) -> None:
    first, created = store.request(Request("0811000001", "1100123456"), now=100)
    again, created_again = store.request(Request("0811000001", "1100123456"), now=110)
    other_porsi, created_other = store.request(Request("0811000001", "1200000001"), now=120)
    assert created and not created_again and created_other
    assert again.id == first.id and other_porsi.id != first.id
    # Once served, the same caller may ask again.
    store.start(first.id)
    store.pilgrim_leg_ended(first.id, "ANSWER", 200, max_attempts=3, retry=60)
    _, created_later = store.request(Request("0811000001", "1100123456"), now=300)
    assert created_later


def test_callbacks_the_database_refuses_a_second_open_request(store: Callbacks) -> None:
    store.request(Request("0811000001"), now=1)
    refused = store.sql.insert_unique(
        "INSERT INTO callbacks (requested_at, number, porsi, waiting_since, next_at) "
        "VALUES (2, '0811000001', '', 2, 2) RETURNING id"
    )
    assert refused is None and len(store.all()) == 1


def test_callbacks_served_in_order_of_the_callers_place_in_line(store: Callbacks) -> None:
    late, _ = store.request(Request("0811000002", waiting_since=50), now=100)
    early, _ = store.request(Request("0811000003", waiting_since=40), now=101)
    tomorrow, _ = store.request(Request("0811000004", waiting_since=10, not_before=9999), now=102)
    assert store.next_due(now=200).id == early.id  # type: ignore[union-attr]
    store.start(early.id)
    assert store.next_due(now=200).id == late.id  # type: ignore[union-attr]
    # Once due, the request for the next staffed day has the oldest place of all.
    assert store.next_due(now=10_000).id == tomorrow.id  # type: ignore[union-attr]
    assert tomorrow.next_at == 9999


def test_callbacks_pilgrim_not_answering_is_retried_then_given_up(store: Callbacks) -> None:
    cb, _ = store.request(Request("0811000005"), now=0)
    for attempt, expected in [(1, "open"), (2, "open"), (3, "failed")]:
        store.start(cb.id)
        after = store.pilgrim_leg_ended(cb.id, "NOANSWER", 1000 * attempt, 3, retry=300)
        assert after is not None and (after.state, after.attempts) == (expected, attempt)
        if expected == "open":
            assert after.next_at == 1000 * attempt + 300
            assert store.next_due(now=1000 * attempt) is None  # not before the retry time
    assert store.get(cb.id).finished_at == 3000  # type: ignore[union-attr]


def test_callbacks_no_agent_taking_it_is_not_a_pilgrim_attempt(store: Callbacks) -> None:
    cb, _ = store.request(Request("0811000006"), now=0)
    store.start(cb.id)
    store.agent_leg_failed(cb.id, "agent_unanswered", retry_at=30)
    back = store.get(cb.id)
    assert back is not None and (back.state, back.attempts, back.next_at) == ("open", 0, 30)


def test_callbacks_recover_after_a_restart_puts_calls_in_progress_back(store: Callbacks) -> None:
    cb, _ = store.request(Request("0811000007"), now=0)
    store.start(cb.id)
    assert store.recover() == 1
    assert store.get(cb.id).state == "open"  # type: ignore[union-attr]


def test_callbacks_count_since_counts_every_request_of_a_number(store: Callbacks) -> None:
    first, _ = store.request(Request("0811000001", "1100123456"), now=100)
    store.start(first.id)
    store.pilgrim_leg_ended(first.id, "ANSWER", 200, max_attempts=3, retry=60)
    store.request(Request("0811000001", "1100123456"), now=300)
    store.request(Request("0811000001", "1100123456"), now=310)  # already open: not new
    store.request(Request("0811000002"), now=320)
    assert store.count_since("0811000001", since=0) == 2
    assert store.count_since("0811000001", since=150) == 1
    assert store.open_for("0811000001", "1100123456") is not None
    assert store.open_for("0811000001", "") is None


def test_callbacks_claim_takes_the_next_due_once(store: Callbacks) -> None:
    late, _ = store.request(Request("0811000002", waiting_since=50), now=100)
    early, _ = store.request(Request("0811000003", waiting_since=40), now=101)
    first = store.claim(now=200, node="a")
    second = store.claim(now=200, node="b")
    assert first is not None and (first.id, first.state, first.node) == (early.id, "calling", "a")
    assert second is not None and (second.id, second.node) == (late.id, "b")
    assert store.claim(now=200, node="a") is None  # both taken
    store.release(first.id)  # no agent free: back in its place, first in line again
    again = store.claim(now=200, node="b")
    assert again is not None and again.id == early.id


def test_callbacks_recover_of_one_node_leaves_the_other_nodes_calls(store: Callbacks) -> None:
    ours, _ = store.request(Request("0811000004"), now=0)
    theirs, _ = store.request(Request("0811000005"), now=1)
    assert store.claim(now=10, node="ivr1:4573") is not None
    assert store.claim(now=10, node="ivr2:4573") is not None
    assert store.recover("ivr1:4573") == 1
    assert store.get(ours.id).state == "open"  # type: ignore[union-attr]
    assert store.get(theirs.id).state == "calling"  # type: ignore[union-attr]


def test_callbacks_purge_finished_keeps_open_requests(store: Callbacks) -> None:
    done, _ = store.request(Request("0811000006"), now=0)
    store.request(Request("0811000007"), now=0)
    store.start(done.id)
    store.pilgrim_leg_ended(done.id, "ANSWER", 10, max_attempts=3, retry=60)
    assert store.purge_finished(before=100, dry_run=True) == 1
    assert store.purge_finished(before=100) == 1
    assert [cb.number for cb in store.all()] == ["0811000007"]
