"""Several campaign dialers on one set of campaign calls (nodes sharing PostgreSQL, or two
connections to one calls.sqlite): never the same pilgrim twice, every pilgrim called, a
restart putting back only its own node's calls."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import psycopg

from ivr.campaigns import store
from ivr.campaigns.dialer import CampaignDialer
from ivr.campaigns.store import PG_SCHEMA, SCHEMA, CampaignCall, Campaigns, Target
from ivr.config import AgentSettings
from ivr.settings import CampaignSettings, campaign_hours
from tests.rig.clock import Clock
from tests.rig.postgres import Backend
from tests.test_campaign_dialer import SETTINGS, FakeAmi

CONTACTS = 60
NODES = ("ivr1", "ivr2")


def two_stores(backend: Backend) -> tuple[Campaigns, Campaigns]:
    """The same campaigns through two connections (two nodes' controllers)."""
    one, two = (Campaigns(backend.sql((SCHEMA,), (PG_SCHEMA,))) for _ in NODES)
    return one, two


def running(campaigns: Campaigns, count: int, now: float) -> list[int]:
    targets = [
        Target(f"11{n:08d}", f"0811{n:08d}", "SOC-01", "2026-04-22 08:00", "x", "GA1", "WIB")
        for n in range(count)
    ]
    made = campaigns.create("import-1", ["SOC-01"], targets, now)
    assert made is not None and campaigns.start(made.id, now)
    return [k.id for k in campaigns.calls(made.id)]


def dialer(campaigns: Campaigns, ami: FakeAmi, node: str, clock: Clock) -> CampaignDialer:
    """A node's dialer, with its own fake Asterisk, allowed every call at once."""
    settings = CampaignSettings(
        at_once=CONTACTS * 2, attempts=SETTINGS.attempts, dial=SETTINGS.dial
    )
    hours = campaign_hours(settings, AgentSettings())
    return CampaignDialer(
        ami,  # type: ignore[arg-type]
        campaigns,
        settings,
        hours,
        Path("/nonexistent/mirror.sqlite"),  # no import to follow
        "500425",
        clock,
        node=node,
    )


def test_campaign_claims_two_dialers_at_once_never_dial_the_same_pilgrim(
    backend: Backend,
) -> None:
    stores, clock = two_stores(backend), Clock()
    ids = running(stores[0], CONTACTS, clock.now)
    amis = FakeAmi(), FakeAmi()
    dialers = [dialer(stores[i], amis[i], NODES[i], clock) for i in range(2)]
    start = threading.Barrier(2)

    def dial_all(d: CampaignDialer) -> None:
        start.wait()
        while asyncio.run(d.tick()):
            pass

    workers = [threading.Thread(target=dial_all, args=(d,)) for d in dialers]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    dialled = [_call_of(f) for ami in amis for f in ami.originated]
    assert sorted(dialled) == sorted(ids)  # each pilgrim once, none left out
    calls = {k.id: k for k in stores[1].calls(stores[1].all()[0].id)}
    assert all(k.state == store.DIALING and k.attempts == 1 for k in calls.values())
    for ami, node in zip(amis, NODES, strict=True):  # each call names the node dialling it
        assert all(calls[_call_of(f)].node == node for f in ami.originated)


def test_campaign_claims_take_each_due_call_once_then_none(backend: Backend) -> None:
    one, two = two_stores(backend)
    first, second = running(one, 2, now=100)
    taken = [one.claim(200, "ivr1"), two.claim(200, "ivr2"), one.claim(200, "ivr1")]
    assert [k.id if k else None for k in taken] == [first, second, None]
    assert taken[0] is not None and (taken[0].state, taken[0].node) == (store.DIALING, "ivr1")
    assert taken[0].attempts == 0  # counted when dialled, not when taken
    one.dial(first, 201)
    assert one.call(first).attempts == 1  # type: ignore[union-attr]


def test_campaign_claims_nothing_of_a_paused_campaign_or_not_yet_due(backend: Backend) -> None:
    one, _ = two_stores(backend)
    (call,) = running(one, 1, now=100)
    one.ended(_claimed(one, 100), "NOANSWER", 100, store.Retry(3, 600))
    assert one.claim(200, "ivr1") is None  # retried only 600 s later
    campaign = one.all()[0].id
    assert one.pause(campaign)
    assert one.claim(800, "ivr1") is None
    assert one.start(campaign, 800) and _claimed(one, 800) == call


def test_campaign_claims_recover_of_one_node_leaves_the_other_nodes_calls(
    backend: Backend,
) -> None:
    one, two = two_stores(backend)
    first, second = running(one, 2, now=100)
    one.claim(200, "ivr1")
    two.claim(200, "ivr2")
    assert one.recover("ivr1") == 1
    assert one.call(first).state == store.WAITING  # type: ignore[union-attr]
    assert one.call(second).state == store.DIALING  # type: ignore[union-attr]
    assert two.recover() == 1  # None: every node's (SQLite, one node)


def test_campaign_claims_on_postgres_a_call_another_node_is_taking_is_skipped(
    pg_url: str, tmp_path: Path
) -> None:
    """SKIP LOCKED: while another node holds the first call's row, a claim takes the next
    at once (without it, the claim would wait for that lock)."""
    backend = Backend("postgresql", tmp_path, pg_url)
    one = Campaigns(backend.sql((SCHEMA,), (PG_SCHEMA,)))
    first, second = running(one, 2, now=100)
    with psycopg.connect(pg_url) as other_node:
        other_node.execute("SELECT id FROM campaign_calls WHERE id = %s FOR UPDATE", (first,))
        claimed: list[CampaignCall | None] = []
        worker = threading.Thread(target=lambda: claimed.append(one.claim(200, "ivr2")))
        worker.start()
        worker.join(timeout=30)
        other_node.rollback()
        worker.join(timeout=30)
    try:
        assert claimed and claimed[0] is not None and claimed[0].id == second
        assert one.call(first).state == store.WAITING  # type: ignore[union-attr]
    finally:
        backend.close()


def _claimed(campaigns: Campaigns, now: float) -> int:
    k = campaigns.claim(now, "ivr1")
    assert k is not None
    campaigns.dial(k.id, now)
    return k.id


def _call_of(fields: object) -> int:
    """The campaign call an Originate dials (its ActionID: hajj-cp-CALL-ATTEMPT-TIME)."""
    assert isinstance(fields, dict)
    return int(str(fields["ActionID"]).split("-")[2])


def test_campaign_claims_two_nodes_following_one_import_make_one_campaign(
    backend: Backend,
) -> None:
    one, two = two_stores(backend)
    target = Target("1100000001", "081100000001", "SOC-01", "a", "b", "GA1", "WIB")
    made = one.create("import-1", ["SOC-01"], [target], now=100)
    assert made is not None and two.create("import-1", ["SOC-01"], [target], now=100) is None
    assert two.seen("import-1") and len(two.calls(made.id)) == 1


def test_campaign_claims_a_finished_campaign_is_finished_by_one_node(backend: Backend) -> None:
    one, two = two_stores(backend)
    (call,) = running(one, 1, now=100)
    one.settle(call, store.REFUSED, 100)
    assert one.finish_done(200) == [one.all()[0].id] and two.finish_done(200) == []
