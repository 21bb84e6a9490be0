"""/metrics over real calls: the controller's page, scraped while and after the rig's
Asterisk carries a few Local calls, says what the call log and the stores say about them.

One caller sits in the main menu while another waits in tier 1's queue (an agent's SIPp
phone is logged in and never answers, so the caller waits rather than being offered a
callback); two look a porsi up; one asks for a callback with nobody logged in. The
module leaves the agent logged out, the phone stopped and its callback request closed.
"""

from __future__ import annotations

import asyncio
import collections
import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from ivr import testcall
from ivr.agents.store import AgentStore
from ivr.ami.users import AmiUser, session
from ivr.queue.callbacks import Callbacks
from ivr.secrets import load_or_create
from ivr.testcall import CallResult, place
from tests.rig import sipp
from tests.rig.hotline import Hotline, Scenario
from tests.scenarios.callbacks import OFFER_ACCEPTED
from tests.scenarios.pilgrim import SOC, found
from tests.scenarios.tier import said
from tests.test_call_agents import state as agent_state
from tests.test_call_agents import wait_for

pytestmark = pytest.mark.asterisk

Labels = tuple[tuple[str, str], ...]
Page = dict[tuple[str, Labels], float]
AGENT = "mira"  # tier 1; her phone rings and is never answered
CALLBACK_NUMBER = "081234567091"
# What res_prometheus exports that docs/grafana-hajj-ivr.json graphs (test_docs_grafana).
ASTERISK_METRICS = {
    "asterisk_core_uptime_seconds",
    "asterisk_channels_count",
    "asterisk_calls_count",
    "asterisk_bridges_count",
    "asterisk_endpoints_state",
}


def scrape(hotline: Hotline) -> Page:
    """{(sample name, its labels sorted): value} of the controller's /metrics."""
    agi = hotline.config.agi
    page = httpx.get(f"http://{agi.host}:{agi.metrics_port}/metrics", timeout=10).text
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(page)
        for s in family.samples
    }


def value(page: Page, name: str, **labels: str) -> float:
    return page.get((name, tuple(sorted(labels.items()))), 0.0)


def family(page: Page, name: str) -> dict[Labels, float]:
    return {labels: v for (n, labels), v in page.items() if n == name}


def rows(hotline: Hotline, sql: str, *args: object) -> list[sqlite3.Row]:
    with closing(sqlite3.connect(hotline.config.calllog_path)) as db:
        db.row_factory = sqlite3.Row
        return list(db.execute(sql, args))


@pytest.fixture(scope="module")
def ringing_agent(hotline: Hotline, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """mira logged in to tier 1 with a phone that never answers: callers wait."""
    passwords = hotline.add_agent(AGENT, 1)
    workdir = Path(tmp_path_factory.mktemp("metrics-phone"))
    phone = sipp.AgentPhone.start(
        workdir, hotline.config.asterisk.sip_port, f"agent-{AGENT}", passwords.sip, answer=False
    )
    try:
        hotline.cli("agents", "login", AGENT)
        wait_for(lambda: agent_state(hotline, AGENT) == "available", 30, "mira available")
        yield AGENT
    finally:
        hotline.cli("agents", "logout", AGENT, check=False)
        phone.stop()


# --- while the calls are up --------------------------------------------------------------


def live_store(hotline: Hotline) -> tuple[set[str], dict[str, float]]:
    """What the call log says now: calls in the IVR; callers waiting in tier 1 (joined at)."""
    in_ivr = {r["id"] for r in rows(hotline, "SELECT id FROM calls WHERE outcome = 'in_progress'")}
    waiting = {
        r["call_id"]: r["joined_at"]
        for r in rows(
            hotline,
            "SELECT call_id, joined_at FROM queue_calls "
            "WHERE outcome = 'waiting' AND queue = 'hajj-tier1'",
        )
    }
    return in_ivr, waiting


def settled(
    hotline: Hotline, menu: list[str], queued: list[str]
) -> tuple[Page, set[str], dict[str, float]] | None:
    """A scrape taken while the store stood still around it, once the menu caller is in
    the IVR and the queued caller waits in tier 1; None before that."""
    if not (menu and queued):
        return None
    before = live_store(hotline)
    in_ivr, waiting = before
    if menu[0] not in in_ivr or queued[0] not in waiting:
        return None
    page = scrape(hotline)
    return (page, in_ivr, waiting) if live_store(hotline) == before else None


async def menu_and_queue(
    hotline: Hotline,
) -> tuple[tuple[Page, set[str], dict[str, float]], list[CallResult], float]:
    """One caller in the main menu (no keys), one who keys 0 and waits for an officer;
    the page scraped while both are there, then both hang up."""
    number = hotline.config.ivr.hotline
    menu: list[str] = []
    queued: list[str] = []
    stop = asyncio.Event()
    async with session(hotline.config, AmiUser.CALLS) as ami:
        calls = [
            asyncio.create_task(
                place(ami, testcall.TestCall(number, "", timeout=120), stop, menu.append)
            ),
            asyncio.create_task(
                place(ami, testcall.TestCall(number, "0", timeout=120), stop, queued.append)
            ),
        ]
        try:
            seen = await asyncio.to_thread(
                wait_for, lambda: settled(hotline, menu, queued), 60, "a caller in each place"
            )
            scraped_at = time.time()
        finally:
            stop.set()
            results = await asyncio.gather(*calls)
    return seen, results, scraped_at


def test_metrics_scraped_during_and_after_real_calls_match_the_call_log(
    hotline: Hotline, ringing_agent: str
) -> None:
    before = scrape(hotline)
    (page, in_ivr, waiting), (menu, queued), scraped_at = asyncio.run(menu_and_queue(hotline))

    # While they were up: what the store said, on the page.
    assert value(page, "hajj_calls_in_ivr") == len(in_ivr) >= 1
    assert value(page, "hajj_calls_waiting", tier="1") == len(waiting) >= 1
    longest = value(page, "hajj_longest_wait_seconds", tier="1")
    assert 0 <= longest <= scraped_at - min(waiting.values()) + 1
    agents = [a for a in AgentStore(hotline.config.agents_path).all() if a.role == "agent"]
    assert value(page, "hajj_ami_up") == 1
    assert sum(family(page, "hajj_agents").values()) == len(agents)
    on_duty = value(page, "hajj_agents", tier="1", state="available") + value(
        page, "hajj_agents", tier="1", state="ringing"
    )
    assert on_duty >= 1  # mira, between rings or ringing

    # Afterwards: two porsi looked up, a callback asked for with nobody logged in.
    hotline.cli("agents", "logout", ringing_agent)
    wait_for(lambda: agent_state(hotline, AGENT) == "logged out", 20, "mira logged out")
    looked = hotline.calls(
        {
            "found": Scenario(found(SOC.nomor_porsi) + "W" * 16 + "1", said("Data per")),
            # "Maaf, nomor porsi tersebut tidak terdaftar ...": a line that starts so
            # never came, and the call sat in the callback offers to its 240-s timeout.
            "unknown": Scenario(found("1399999999"), said("tidak terdaftar")),
        }
    )
    # Ended by the IVR (no early hang-up): the callback route's ending reaches the log.
    spec = Scenario(OFFER_ACCEPTED, None, 90, f'"Uji" <{CALLBACK_NUMBER}>')
    callback = hotline.calls({"callback": spec})["callback"]
    try:
        after = _ended(hotline, [menu, queued, *looked.values(), callback])
        _assert_counts(hotline, before, after, [menu, queued, *looked.values()], callback)
    finally:
        _close_callbacks(hotline)


def _ended(hotline: Hotline, calls: list[CallResult]) -> Page:
    """The page once every call's row has its outcome (the controller writes it as the
    AGI session ends, a moment after the caller hung up)."""
    ids = [c.call_id for c in calls]
    marks = ", ".join("?" * len(ids))
    wait_for(
        lambda: (
            not rows(
                hotline,
                f"SELECT 1 FROM calls WHERE id IN ({marks}) AND outcome = 'in_progress'",
                *ids,
            )
        ),
        30,
        "every call's outcome in the call log",
    )
    return scrape(hotline)


def _assert_counts(
    hotline: Hotline, before: Page, after: Page, single: list[CallResult], callback: CallResult
) -> None:
    """Outcomes by route: one AGI session each for the single calls; the callback caller's
    call ran the hotline route (to an officer) and then the callback route."""
    ids = [c.call_id for c in [*single, callback]]
    marks = ", ".join("?" * len(ids))
    logged = {
        r["id"]: (r["route"], r["outcome"])
        for r in rows(hotline, f"SELECT id, route, outcome FROM calls WHERE id IN ({marks})", *ids)
    }
    assert logged[callback.call_id] == ("hotline", "callback")
    expected = collections.Counter(logged[c.call_id] for c in single)
    expected.update([("hotline", "agent"), ("callback", "callback")])
    counted = {
        (dict(labels)["route"], dict(labels)["outcome"]): v
        - before.get(("hajj_calls_total", labels), 0)
        for labels, v in family(after, "hajj_calls_total").items()
    }
    assert {k: v for k, v in counted.items() if v} == dict(expected)

    lookups = rows(hotline, f"SELECT porsi, found FROM lookups WHERE call_id IN ({marks})", *ids)
    assert sorted((r["porsi"], r["found"]) for r in lookups) == sorted(
        [("1399999999", 0), (SOC.nomor_porsi, 1)]
    )
    assert _delta(before, after, "hajj_lookup_seconds_count") == len(lookups)

    says = rows(
        hotline, f"SELECT 1 FROM transcript WHERE kind = 'say' AND call_id IN ({marks})", *ids
    )
    streamed = _delta(before, after, "hajj_agi_command_seconds_count", command="STREAM FILE")
    assert streamed >= len(says) > 0  # every line heard is one prompt or more
    assert _delta(before, after, "hajj_agi_command_seconds_count", command="SET VARIABLE") > 0

    assert any(
        r["number"] == CALLBACK_NUMBER
        for r in rows(hotline, "SELECT number FROM callbacks WHERE state IN ('open', 'calling')")
    )
    states, page = _pending_while_scraped(hotline)
    assert sum(family(page, "hajj_callbacks_pending").values()) == sum(states.values())
    for state in ("open", "calling"):
        assert value(page, "hajj_callbacks_pending", state=state) == states[state], state


def _pending_while_scraped(hotline: Hotline) -> tuple[collections.Counter[str], Page]:
    """The callbacks not done yet by state, read before and after a scrape that saw the
    same (the dispatcher may claim an open request, or give it back, between two reads:
    a callback whose agent is free turns `calling` for its ring)."""

    def states() -> collections.Counter[str]:
        found = rows(hotline, "SELECT state FROM callbacks WHERE state IN ('open', 'calling')")
        return collections.Counter(r["state"] for r in found)

    for _ in range(20):
        first, page, then = states(), scrape(hotline), states()
        if first == then:
            return first, page
        time.sleep(0.5)
    raise AssertionError(f"the callbacks' states kept changing: {first} then {then}")


def _delta(before: Page, after: Page, name: str, **labels: str) -> float:
    return value(after, name, **labels) - value(before, name, **labels)


def _close_callbacks(hotline: Hotline) -> None:
    """The request made here is closed, so no later module's agent is called back for it."""
    with closing(sqlite3.connect(hotline.config.calllog_path)) as db:
        store = Callbacks(db)
        for (callback_id,) in db.execute(
            "SELECT id FROM callbacks WHERE number = ? AND state IN ('open', 'calling')",
            (CALLBACK_NUMBER,),
        ).fetchall():
            store.refuse(callback_id, "test_closed", time.time())
        db.commit()


def test_asterisk_res_prometheus_serves_its_metrics_behind_basic_auth(hotline: Hotline) -> None:
    """Asterisk's own /metrics (res_prometheus on its loopback HTTP server): refused
    without the password from the secrets file, served with it; nothing else is served
    there (no status page, static files, ARI or AMI over HTTP)."""
    base = f"http://127.0.0.1:{hotline.config.asterisk.http_port}"
    for path in ("/", "/httpstatus", "/static/index.html", "/ari/api-docs/resources.json"):
        assert httpx.get(base + path, timeout=10).status_code == 404, path
    assert httpx.get(base + "/rawman?action=ping", timeout=10).status_code == 404
    url = f"{base}/metrics"
    user = f"{hotline.config.asterisk.ami_user}-prometheus"
    password = load_or_create(hotline.config.secrets_path).asterisk_metrics_password
    assert httpx.get(url, timeout=10).status_code == 401
    assert httpx.get(url, auth=(user, "wrong"), timeout=10).status_code == 401
    page = httpx.get(url, auth=(user, password), timeout=10)
    assert page.status_code == 200
    names = {family.name for family in text_string_to_metric_families(page.text)}
    assert names >= ASTERISK_METRICS, sorted(names)
