"""The agent desk without a hotline: the state buttons as AMI actions (a fake app_queue),
the state the page polls, the after-call disposition (stored, shown on the call page, only
by the agent who took the call), the after-call-work pause of browser-phone agents, the
page's controls and its CSP-clean script."""

from __future__ import annotations

import asyncio
import time
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from ivr import config as config_mod
from ivr import retention
from ivr.agents import members
from ivr.agents.members import member_of, state_of
from ivr.agents.store import AgentStore
from ivr.calldb import open_calldb
from ivr.calllog import CallLog
from ivr.config import Config
from ivr.dispositions import DispositionError, Dispositions
from ivr.queue.records import QueueRecords
from ivr.web.screenpop import ScreenPop
from tests.rig import callstores, web
from tests.rig.fakequeue import FakeQueue, app_for
from tests.rig.postgres import Backend
from tests.test_web_complaints import logged_in

STATIC = Path(__file__).parent.parent / "ivr" / "web" / "static"


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return config_mod.load(file=None, env={}, overrides={"state_dir": tmp_path})


@pytest.fixture
def fake() -> FakeQueue:
    return FakeQueue()


def post_all(
    app: Any, name: str, password: str, steps: list[tuple[str, dict[str, str]]]
) -> list[tuple[int, Any]]:
    """Log in, then post each (path, form) with the page's CSRF token; the state after each."""

    async def visit() -> list[tuple[int, Any]]:
        out = []
        async with logged_in(app, name, password) as client:
            token = web.csrf((await client.get("/agent")).text)
            for path, form in steps:
                answer = await client.post(
                    path, data={"csrf": token} | form, headers={"Accept": "application/json"}
                )
                state = (await client.get("/agent/api/state")).json()
                out.append((answer.status_code, state))
        return out

    return asyncio.run(visit())


def test_desk_state_buttons_send_queue_actions_on_the_chosen_phone(
    config: Config, fake: FakeQueue
) -> None:
    password = AgentStore.for_config(config).add("desk-siti", 1)[1].web
    steps = [
        ("/agent/login", {"phone": "browser"}),
        ("/agent/pause", {"reason": "salat"}),
        ("/agent/unpause", {}),
        ("/agent/login", {"phone": "desk"}),  # moves the member to the desk phone
        ("/agent/pause", {"reason": "istirahat"}),
        ("/agent/logout", {}),
    ]
    done = post_all(app_for(config, fake), "desk-siti", password, steps)
    assert [code for code, _ in done] == [200] * 6
    shown = [(s["state"], s["phone"], s["reason"]) for _, s in done]
    assert shown == [
        ("available", "browser", ""),
        ("paused", "browser", "salat"),
        ("available", "browser", ""),
        ("available", "desk", ""),
        ("paused", "desk", "istirahat"),
        ("logged out", "", ""),
    ]
    assert done[1][1]["paused_for"] >= 29  # the pause's timer, from LastPause
    web_phone, desk_phone = "PJSIP/webrtc-desk-siti", "PJSIP/agent-desk-siti"
    assert fake.sent == [
        (
            "QueueAdd",
            {
                "Queue": "hajj-tier1",
                "Interface": web_phone,
                "MemberName": "desk-siti",
                "StateInterface": web_phone,
                "Paused": "false",
            },
        ),
        (
            "QueuePause",
            {"Queue": "hajj-tier1", "Interface": web_phone, "Paused": "true", "Reason": "salat"},
        ),
        ("QueuePause", {"Queue": "hajj-tier1", "Interface": web_phone, "Paused": "false"}),
        ("QueueRemove", {"Queue": "hajj-tier1", "Interface": web_phone}),
        (
            "QueueAdd",
            {
                "Queue": "hajj-tier1",
                "Interface": desk_phone,
                "MemberName": "desk-siti",
                "StateInterface": desk_phone,
                "Paused": "false",
            },
        ),
        (
            "QueuePause",
            {
                "Queue": "hajj-tier1",
                "Interface": desk_phone,
                "Paused": "true",
                "Reason": "istirahat",
            },
        ),
        ("QueueRemove", {"Queue": "hajj-tier1", "Interface": desk_phone}),
    ]


def test_desk_state_refusals_bad_form_not_in_queue_no_csrf_asterisk_down(
    config: Config, fake: FakeQueue
) -> None:
    password = AgentStore.for_config(config).add("desk-tono", 2)[1].web
    app = app_for(config, fake)
    steps = [
        ("/agent/pause", {"reason": "tidur"}),  # no such reason
        ("/agent/login", {"phone": "fax"}),  # no such phone
        ("/agent/pause", {"reason": "salat"}),  # not in the queue
        ("/agent/unpause", {}),
        ("/agent/logout", {}),
        ("/agent/pause", {"reason": "salat", "csrf": "forged"}),
    ]
    codes = [code for code, _ in post_all(app, "desk-tono", password, steps)]
    assert codes == [400, 400, 409, 409, 409, 403]
    assert fake.sent == []
    fake.down = True
    [(code, state)] = post_all(app, "desk-tono", password, [("/agent/login", {"phone": "desk"})])
    assert code == 503 and state["state"] == "unknown"


def test_desk_state_routes_refuse_anonymous_and_non_agents(config: Config, fake: FakeQueue) -> None:
    admin = AgentStore.for_config(config).add("desk-rahmat", 0, role="admin")[1].web
    app = app_for(config, fake)

    async def visit() -> list[int]:
        import httpx

        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as anon:
            codes = [(await anon.get("/agent/api/state")).status_code]
            codes.append((await anon.post("/agent/login", data={})).status_code)
        async with logged_in(app, "desk-rahmat", admin) as client:
            page = await client.get("/agent")  # admins may look at the page
            token = web.csrf(page.text)
            codes.append(page.status_code)
            for path in ("/agent/login", "/agent/logout", "/agent/disposition"):
                codes.append((await client.post(path, data={"csrf": token})).status_code)
            codes.append((await client.get("/agent/api/state")).status_code)
        return codes

    assert asyncio.run(visit()) == [401, 401, 200, 403, 403, 403, 403]
    assert fake.sent == []


def member(location: str, **fields: str) -> dict[str, str]:
    return {"Location": location, "Queue": "hajj-tier1", "Status": "1", "Paused": "0"} | fields


def test_members_find_the_agent_under_either_interface(config: Config) -> None:
    store = AgentStore.for_config(config)
    store.add("desk-ani", 1)
    agent = store.get("desk-ani")
    by_web = {"PJSIP/webrtc-desk-ani": member("PJSIP/webrtc-desk-ani", CallsTaken="3")}
    by_desk = {"PJSIP/agent-desk-ani": member("PJSIP/agent-desk-ani", Paused="1")}
    assert state_of(agent, member_of(agent, by_web)).state == "available"
    assert state_of(agent, member_of(agent, by_web)).phone == "webrtc-desk-ani"
    assert state_of(agent, member_of(agent, by_web)).calls_taken == 3
    assert state_of(agent, member_of(agent, by_desk)).state == "paused"
    assert state_of(agent, member_of(agent, by_desk)).phone == "agent-desk-ani"
    assert member_of(agent, {"PJSIP/agent-other": member("PJSIP/agent-other")}) is None


def taken_call(config: Config, call_id: str, agent: str) -> None:
    """A call in the log and its queue stay answered by ``agent``."""
    with closing(open_calldb(config.calllog_path)) as db:
        CallLog.over(db, time.time).start(call_id, "081234567890", "hotline")
        stays = QueueRecords(db)
        now = time.time()
        stays.joined(call_id, "hajj-tier1", "081234567890", "caller_request", "", now, 1)
        stays.answered(call_id, "hajj-tier1", agent, now + 12, 12.0)
        db.commit()


def test_disposition_saved_by_the_agent_who_took_the_call_and_shown_on_the_call_page(
    config: Config, fake: FakeQueue
) -> None:
    store = AgentStore.for_config(config)
    siti = store.add("desk-dewi", 1)[1].web
    joko = store.add("desk-joko", 1)[1].web
    admin = store.add("desk-wulan", 0, role="admin")[1].web
    taken_call(config, "1795650000.7", "desk-dewi")
    pop = ScreenPop(config.calllog_path, config.mirror_path)
    # Answered, its queue stay not written yet; then a call only rung.
    pop.latest["desk-dewi"] = {"call_id": "1795650000.9", "caller": "0812", "state": "ended"}
    pop.latest["desk-joko"] = {"call_id": "1795650000.8", "caller": "0813", "state": "missed"}
    app = app_for(config, fake, pop)
    note = {"call_id": "1795650000.7", "topic": "payment", "resolved": "no"}
    steps = [
        ("/agent/disposition", note | {"note": "minta <b>rincian</b>"}),
        ("/agent/disposition", {"call_id": "1795650000.9", "topic": "other", "resolved": "yes"}),
        ("/agent/disposition", note | {"topic": "cuaca"}),
        ("/agent/disposition", note | {"resolved": "maybe"}),
    ]
    codes = [code for code, _ in post_all(app, "desk-dewi", siti, steps)]
    assert codes == [200, 200, 400, 400]
    # Another agent's call, or one only rung: refused.
    rung = {"call_id": "1795650000.8", "topic": "other", "resolved": "yes"}
    refused = post_all(
        app, "desk-joko", joko, [("/agent/disposition", note), ("/agent/disposition", rung)]
    )
    assert [code for code, _ in refused] == [403, 403]

    async def call_page() -> str:
        async with logged_in(app, "desk-wulan", admin) as client:
            return (await client.get("/admin/calls/1795650000.7")).text

    page = asyncio.run(call_page())
    assert 'id="dispositions"' in page and "desk-dewi" in page and "Pelunasan" in page
    assert "minta &lt;b&gt;rincian&lt;/b&gt;" in page and "<td>belum</td>" in page
    with closing(open_calldb(config.calllog_path)) as db:
        kept = Dispositions(db).for_call("1795650000.7")
        assert [(d.agent, d.topic, d.resolved) for d in kept] == [("desk-dewi", "payment", False)]
        assert Dispositions(db).for_call("1795650000.9")[0].agent == "desk-dewi"


def test_dispositions_store_refuses_bad_rows_and_goes_with_its_calls(backend: Backend) -> None:
    """On SQLite and PostgreSQL: the store's refusals, and the purge with the calls."""
    sql = callstores.stores(backend)
    store = Dispositions(sql, clock=lambda: 1000.0)
    with pytest.raises(DispositionError):
        store.add("c1", "dewi", "weather", True, "")
    with pytest.raises(DispositionError):
        store.add("c1", "dewi", "other", True, "x" * 2001)
    with pytest.raises(DispositionError):
        store.add("", "dewi", "other", True, "")
    CallLog.over(sql, lambda: 1000.0).start("c1", "0812", "hotline")
    first = store.add("c1", "dewi", "kloter", True, "ok")
    second = store.add("c1", "dewi", "other", False, "")
    assert [(d.id, d.topic, d.resolved) for d in store.for_call("c1")] == [
        (first.id, "kloter", True),
        (second.id, "other", False),
    ]
    overrides = {
        "state_dir": backend.folder,
        "database.url": backend.url,
        "retention.calls_days": 1,
    }
    config = config_mod.load(file=None, env={}, overrides=overrides)
    dry = retention.purge(config, now=1000.0 + 2 * 86400, dry_run=True)
    assert dry.count("after-call dispositions") == 2
    done = retention.purge(config, now=1000.0 + 2 * 86400)
    assert done.count("after-call dispositions") == 2
    assert Dispositions(sql).for_call("c1") == []


def test_desk_page_has_the_panels_controls_and_next_tier(config: Config, fake: FakeQueue) -> None:
    store = AgentStore.for_config(config)
    one, three = store.add("desk-rina", 1)[1].web, store.add("desk-tiga", 3)[1].web
    app = app_for(config, fake)

    async def pages() -> tuple[str, str]:
        async with logged_in(app, "desk-rina", one) as a, logged_in(app, "desk-tiga", three) as b:
            return (await a.get("/agent")).text, (await b.get("/agent")).text

    tier1, tier3 = asyncio.run(pages())
    for part in (
        'id="state-bar"',
        'id="pop"',
        'id="controls"',
        'id="after-call"',
        'id="answer"',
        "Jawab <kbd>F2</kbd>",
        "Tutup <kbd>F4</kbd>",
        'id="dtmf"',
        'data-digit="#"',
        'action="/agent/disposition"',
        '<option value="payment">Pelunasan</option>',
        'action="/complaints/new"',
        '<script type="module" src="/static/console.js">',
    ):
        assert part in tier1, part
    assert 'id="transfer" data-tier="2"' in tier1 and "Alihkan ke tier 2" in tier1
    assert 'id="transfer"' not in tier3  # tier 3 passes no call up
    assert tier1.count('name="csrf"') == tier1.count("<form") == 7  # each with its token


def test_console_script_has_no_inline_handlers_and_uses_the_phone_api() -> None:
    script = (STATIC / "console.js").read_text()
    page = (Path(__file__).parent.parent / "ivr/web/templates/agent.html").read_text()
    assert " onclick=" not in page and "<script>" not in page and "style=" not in page
    for call in ("answer()", "reject()", "hangup()", "setMuted(", "setHeld(", "sendDtmf("):
        assert call in script, call
    assert 'import("/static/phone.js")' in script and "/agent/phone/config" in script


def test_members_actions_pause_without_reason_and_refuse_a_strange_phone(
    config: Config, fake: FakeQueue
) -> None:
    store = AgentStore.for_config(config)
    store.add("desk-eka", 2)
    agent = store.get("desk-eka")

    async def act() -> None:
        with pytest.raises(ValueError):
            await members.login(fake, agent, "PJSIP/agent-someone")
        await members.login(fake, agent, agent.web_interface)
        await members.login(fake, agent, agent.web_interface)  # already in: nothing sent
        await members.pause(fake, agent, True)  # `agents pause NAME` without --reason

    asyncio.run(act())
    assert [name for name, _ in fake.sent] == ["QueueAdd", "QueuePause"]
    assert fake.sent[-1][1] == {
        "Queue": "hajj-tier2",
        "Interface": "PJSIP/webrtc-desk-eka",
        "Paused": "true",
    }
