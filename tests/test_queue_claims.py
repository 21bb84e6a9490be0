"""Several dispatchers on one set of callback requests (nodes sharing PostgreSQL, or two
on one calls.sqlite): never the same pilgrim twice, all of them served, more than one
callback at a time."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from ivr.calllog import connect
from ivr.hours import Schedule
from ivr.queue.callbacks import SCHEMA, Callback, Callbacks, Request
from ivr.queue.dispatcher import CallbackDispatcher
from tests.rig.clock import Clock
from tests.rig.postgres import pg_callbacks
from tests.test_queue_dispatcher import OPEN_SETTINGS, FakeAmi

REQUESTS = 60


def dispatcher(ami: FakeAmi, store: Callbacks, node: str, clock: Clock) -> CallbackDispatcher:
    """A node's dispatcher, on duty all day, with its own fake Asterisk."""
    schedule = Schedule.from_settings(OPEN_SETTINGS)
    return CallbackDispatcher(ami, store, OPEN_SETTINGS, lambda: schedule, clock, node=node)  # type: ignore[arg-type]


@pytest.fixture(params=["sqlite", "postgresql"])
def two_nodes(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Callbacks, ...]]:
    """The same requests through two connections (two nodes' stores)."""
    if request.param == "sqlite":
        path = tmp_path / "calls.sqlite"
        yield Callbacks(connect(path, SCHEMA)), Callbacks(connect(path, SCHEMA))
        return
    url = request.getfixturevalue("pg_url")
    with pg_callbacks(url, "node-1") as one, pg_callbacks(url, "node-2") as two:
        yield one, two


def test_claims_two_nodes_at_once_never_share_a_request_and_take_them_all(
    two_nodes: tuple[Callbacks, ...],
) -> None:
    first = two_nodes[0]
    for n in range(REQUESTS):
        first.request(Request(f"08110000{n:02d}", waiting_since=n), now=n)
    taken: dict[str, list[int]] = {"node-1": [], "node-2": []}
    start = threading.Barrier(2)

    def claim_all(store: Callbacks, node: str) -> None:
        start.wait()
        while (cb := store.claim(now=1000, node=node)) is not None:
            taken[node].append(cb.id)

    workers = [
        threading.Thread(target=claim_all, args=(store, node))
        for store, node in zip(two_nodes, taken, strict=True)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    one, two = taken["node-1"], taken["node-2"]
    assert not set(one) & set(two)  # nobody called twice
    assert sorted(one + two) == [cb.id for cb in sorted(first.all(REQUESTS), key=lambda c: c.id)]
    assert first.pending() == {"open": 0, "calling": REQUESTS}
    owners = {cb.id: cb.node for cb in first.all(REQUESTS)}
    assert all(owners[i] == "node-1" for i in one) and all(owners[i] == "node-2" for i in two)


def test_claims_two_dispatchers_call_two_pilgrims_at_once(
    two_nodes: tuple[Callbacks, ...],
) -> None:
    clock = Clock()
    amis = FakeAmi(), FakeAmi()
    nodes = [dispatcher(amis[i], two_nodes[i], f"ivr{i + 1}", clock) for i in range(2)]
    store = two_nodes[0]
    a, _ = store.request(Request("0811000001", waiting_since=clock.now - 300), clock.now)
    b, _ = store.request(Request("0811000002", waiting_since=clock.now - 200), clock.now)

    async def both() -> list[Callback | None]:
        return list(await asyncio.gather(*(d.tick() for d in nodes)))

    served = asyncio.run(both())
    assert sorted(cb.id for cb in served if cb is not None) == [a.id, b.id]
    dialled = [f["Variable"] for ami in amis for f in ami.originated]
    assert len(dialled) == 2
    assert any("0811000001" in v for v in dialled) and any("0811000002" in v for v in dialled)
    # A third tick on either node finds nothing: each has its one call in progress.
    assert asyncio.run(both()) == [None, None]


def test_claims_a_dispatcher_with_no_agent_free_leaves_it_to_the_other(
    two_nodes: tuple[Callbacks, ...],
) -> None:
    clock = Clock()
    busy, free = FakeAmi(available=0), FakeAmi()
    first = dispatcher(busy, two_nodes[0], "ivr1", clock)
    second = dispatcher(free, two_nodes[1], "ivr2", clock)
    cb, _ = two_nodes[0].request(Request("0811000003"), clock.now)
    assert asyncio.run(first.tick()) is None and busy.originated == []
    assert two_nodes[0].get(cb.id).state == "open"  # type: ignore[union-attr]
    served = asyncio.run(second.tick())
    assert served is not None and served.id == cb.id and len(free.originated) == 1


def test_claims_on_postgres_a_request_another_node_is_taking_is_skipped_not_waited_for(
    pg_url: str,
) -> None:
    """SKIP LOCKED: while one node's claim holds the first request's row, another node's
    claim takes the next at once (without it, the claim would wait for that lock)."""
    with pg_callbacks(pg_url) as store, psycopg.connect(pg_url) as other_node:
        first, _ = store.request(Request("0811000001", waiting_since=1), now=1)
        second, _ = store.request(Request("0811000002", waiting_since=2), now=2)
        other_node.execute("SELECT id FROM callbacks WHERE id = %s FOR UPDATE", (first.id,))
        claimed: list[Callback | None] = []
        worker = threading.Thread(target=lambda: claimed.append(store.claim(now=10, node="b")))
        worker.start()
        worker.join(timeout=30)
        other_node.rollback()  # the lock goes; a claim that waited would finish now
        worker.join(timeout=30)
        assert claimed and claimed[0] is not None and claimed[0].id == second.id
        assert store.get(first.id).state == "open"  # type: ignore[union-attr]
