"""The per-agent report page without a hotline: admins (and supervisors) only, the figures
from queue_log rows, the same numbers in its CSV, a picture per table. (The console's
pause: tests/test_web_desk.py.)"""

from __future__ import annotations

import asyncio
import csv
import io
import time
from contextlib import closing
from pathlib import Path

import httpx
import pytest

from ivr import config as config_mod
from ivr.agents.store import AgentStore
from ivr.calldb import open_calldb
from ivr.config import Config
from ivr.queue.queuelog import QueueLog, parse
from ivr.ratings import Kind, Ratings
from ivr.web.agent_report_pages import AgentReportPages
from ivr.web.app import build_app
from ivr.web.pages import Pages
from ivr.web.screenpop import ScreenPop
from tests.test_web_complaints import NoAmi, logged_in


@pytest.fixture
def config(tmp_path: Path) -> Config:
    config = config_mod.load(file=None, env={}, overrides={"state_dir": tmp_path})
    now = time.time() - 3600
    lines = [
        f"{now:.0f}|c1|hajj-tier1|dewi|RINGNOANSWER|15000",
        f"{now + 20:.0f}|c1|hajj-tier1|dewi|CONNECT|20|x|3",
        f"{now + 80:.0f}|c1|hajj-tier1|dewi|COMPLETECALLER|20|60|1",
        f"{now + 100:.0f}|NONE|hajj-tier1|dewi|PAUSE|salat",
        f"{now + 400:.0f}|NONE|hajj-tier1|dewi|UNPAUSE|",
    ]
    with closing(open_calldb(config.calllog_path, threads=False)) as db:
        QueueLog(db).add(e for e in map(parse, lines) if e is not None)
    return config


def _app(config: Config) -> object:
    pop = ScreenPop(config.calllog_path, config.mirror_path)
    return build_app(config, pop=pop, ami=NoAmi())  # type: ignore[arg-type]


def test_agent_report_refused_to_agents_and_anonymous(config: Config) -> None:
    app = _app(config)
    password = AgentStore.for_config(config).add("siti", 1)[1].web

    async def visit() -> tuple[int, int, int]:
        transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as anon:
            nobody = (await anon.get("/admin/agent-report/agents.csv")).status_code
        async with logged_in(app, "siti", password) as agent:
            page = (await agent.get("/admin/agent-report")).status_code
            table = (await agent.get("/admin/agent-report/agents.csv")).status_code
        return nobody, page, table

    assert asyncio.run(visit()) == (401, 403, 403)


def test_agent_report_page_and_csv_show_the_agents_figures(config: Config) -> None:
    app = _app(config)
    password = AgentStore.for_config(config).add("rahmat", 0, role="admin")[1].web

    async def visit() -> tuple[str, str, str, int]:
        async with logged_in(app, "rahmat", password) as admin:
            page = (await admin.get("/admin/agent-report")).text
            total = (await admin.get("/admin/agent-report/agents.csv")).text
            hourly = (await admin.get("/admin/agent-report/agents-by-hour.csv")).text
            missing = (await admin.get("/admin/agent-report/nope.csv")).status_code
        return page, total, hourly, missing

    page, total, hourly, missing = asyncio.run(visit())
    [row] = list(csv.DictReader(io.StringIO(total)))
    assert row["petugas"] == "dewi" and row["panggilan ditangani"] == "1"
    assert row["jeda salat (detik)"] == "300" and row["dering tidak dijawab"] == "1"
    assert row["rata-rata waktu penanganan (detik)"] == "60.0"
    assert (row["penilaian (jumlah)"], row["penilaian (rata-rata)"]) == ("0", "")  # none rated
    assert "jam" in next(csv.DictReader(io.StringIO(hourly)))
    assert missing == 404
    for cell in ("dewi", "<td>300</td>", "Waktu jeda per petugas", 'id="table-agents-by-day"'):
        assert cell in page
    assert 'href="/admin/agent-report/agents.csv"' in page


def test_agent_report_satisfaction_columns_count_and_average_the_agents_ratings(
    config: Config,
) -> None:
    with closing(open_calldb(config.calllog_path)) as db, db:
        store = Ratings(db)
        store.add("c1", 4, Kind.AGENT, queue="hajj-tier1", agent="dewi")
        store.add("c2", 5, Kind.AGENT, queue="hajj-tier1", agent="dewi")
        store.add("c3", 1, Kind.SELF)  # a self-service rating counts for no agent
    pages = AgentReportPages(config, Pages.for_zone("Asia/Jakarta"))
    table = pages._tables(("agents",))["agents"]
    assert table.header[-2:] == ("penilaian (jumlah)", "penilaian (rata-rata)")
    assert table.rows[0][-2:] == (2, 4.5)
