"""The web app reads the call log where ``[database]`` keeps it: the call list, a call's
page (transcript, queue stay, rating, disposition), the reports and the wallboard, on
SQLite and on PostgreSQL (the ``backend`` fixture; the app over its test client)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from ivr import config as config_mod
from ivr.agents.store import AgentStore
from ivr.calllog import CallLog
from ivr.dispositions import Dispositions
from ivr.outcomes import Outcome
from ivr.queue.recordings import Recordings
from ivr.queue.records import QueueRecords
from ivr.ratings import Kind, Ratings
from ivr.web.app import build_app
from tests.rig import callstores
from tests.rig.postgres import Backend
from tests.test_web_complaints import NoAmi, logged_in

CALL = "1795650000.7"


def test_web_calllog_pages_reports_and_wallboard_read_the_configured_backend(
    backend: Backend,
) -> None:
    sql = callstores.stores(backend)
    now = time.time()
    log = CallLog.over(sql, clock=lambda: now - 120)
    log.start(CALL, "081234567890", "hotline")
    log.add(CALL, "say", "Selamat datang di layanan informasi haji")
    log.topic(CALL, "kloter")
    log.lookup(CALL, "1200000001", "Kota Bandung", "Jawa Barat")
    log.finish(CALL, Outcome.AGENT, "caller_request")
    QueueRecords(sql).joined(CALL, "hajj-tier1", "0812", "caller_request", "", now - 100, 1)
    QueueRecords(sql).answered(CALL, "hajj-tier1", "dewi", now - 90, 10.0)
    Ratings(sql, clock=lambda: now - 30).add(CALL, 2, Kind.AGENT, agent="dewi")
    Dispositions(sql, clock=lambda: now - 20).add(CALL, "dewi", "kloter", True, "beres")
    CallLog.over(sql).start("in-ivr-now", "0813", "hotline")
    overrides = {"state_dir": backend.folder, "database.url": backend.url}
    config = config_mod.load(file=None, env={}, overrides=overrides)
    password = AgentStore.for_config(config).add("rahmat", 0, role="admin")[1].web
    app = build_app(config, ami=NoAmi())  # type: ignore[arg-type]

    async def read() -> dict[str, Any]:
        async with logged_in(app, "rahmat", password) as client:
            return {
                "listing": (await client.get("/admin/calls")).text,
                "call": (await client.get(f"/admin/calls/{CALL}")).text,
                "reports": await client.get("/admin/reports"),
                "wallboard": (await client.get("/admin/api/wallboard")).json(),
            }

    got = asyncio.run(read())
    assert CALL in got["listing"] and "in-ivr-now" in got["listing"]
    call = got["call"]
    assert "Selamat datang di layanan informasi haji" in call
    assert "dewi" in call and "beres" in call and "hajj-tier1" in call
    assert got["reports"].status_code == 200 and "kloter" in got["reports"].text
    board = got["wallboard"]
    assert board["in_ivr"] == 1 and board["answered"] == 1
    assert [r["call_id"] for r in board["review"]] == [CALL]  # rated 2: to review


def test_web_call_page_of_a_call_handed_to_an_agent_node_shows_what_happened_there(
    backend: Backend,
) -> None:
    """The agent node's channel has its own id: the IVR node's call page shows the stay
    filed with it (ivr_call), and the rating, note and recording filed under that channel."""
    sql = callstores.stores(backend)
    now, there = time.time(), "agentnode-1795650099.3"
    log = CallLog.over(sql, clock=lambda: now - 120, node="ivr1")
    log.start(CALL, "081234567890", "hotline")
    log.finish(CALL, Outcome.AGENT, "caller_request")
    stays = QueueRecords(sql, "agent1")
    stays.joined(there, "hajj-tier1", "0812", "caller_request", "", now - 100, 1, ivr_call=CALL)
    stays.answered(there, "hajj-tier1", "dewi", now - 90, 10.0)
    Ratings(sql, clock=lambda: now - 30).add(there, 5, Kind.AGENT, agent="dewi")
    Dispositions(sql, clock=lambda: now - 20).add(there, "dewi", "kloter", True, "sudah dijelaskan")
    Recordings(sql).started(there, "hajj-tier1", "dewi", "rec-agentnode.wav", now - 90)
    overrides = {"state_dir": backend.folder, "database.url": backend.url}
    config = config_mod.load(file=None, env={}, overrides=overrides)
    password = AgentStore.for_config(config).add("rahmat", 0, role="admin")[1].web
    app = build_app(config, ami=NoAmi())  # type: ignore[arg-type]

    async def read() -> str:
        async with logged_in(app, "rahmat", password) as client:
            return (await client.get(f"/admin/calls/{CALL}")).text

    page = asyncio.run(read())
    assert "hajj-tier1" in page and "dewi" in page
    assert "sudah dijelaskan" in page  # the agent's note
    assert 'src="/recordings/' in page  # the recording's player
    ratings = page.split('id="ratings"', 1)[1].split("</table>", 1)[0]
    assert "<td>5" in ratings
