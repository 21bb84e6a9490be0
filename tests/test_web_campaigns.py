"""The campaign pages and commands without a hotline: admins only, progress and outcomes
with numbers masked, start, pause and resume with CSRF (in the reload log), the CSV; the
same from `hajj-ivr campaigns`. The real call and the page over a live hotline:
tests/test_call_campaigns.py."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
import pytest

from ivr import cli, storefiles, storeplace
from ivr import config as config_mod
from ivr.admin.audit import Audit
from ivr.agents.store import AgentStore
from ivr.calldb import SCHEMAS
from ivr.campaigns.store import Campaigns, Target
from ivr.config import Config
from ivr.web.app import build_app
from ivr.web.screenpop import ScreenPop
from tests.rig import web
from tests.rig.postgres import Backend
from tests.test_web_complaints import NoAmi, logged_in

NUMBERS = ("081200123456", "081299887766")


def _targets() -> list[Target]:
    return [
        Target(f"110012345{i}", n, "SOC-01", "2026-04-22 13:00", "2026-04-23 21:35", "GA", "WIB")
        for i, n in enumerate(NUMBERS)
    ]


@pytest.fixture
def config(tmp_path: Path, backend: Backend) -> Config:
    """A hotline with one running campaign, in calls.sqlite or with [database] url in
    PostgreSQL (the pages and commands read it where it is)."""
    url = {"database.url": backend.url} if backend.postgres else {}
    config = config_mod.load(file=None, env={}, overrides={"state_dir": tmp_path, **url})
    storefiles.migrate_shared(config)
    with storeplace.opened(config.database, config.calllog_path, SCHEMAS) as sql:
        store = Campaigns(sql)
        made = store.create("import-1", ["SOC-01"], _targets(), time.time())
        assert made is not None
        first = store.calls(made.id)[0]
        store.start(made.id, time.time())
        store.dial(first.id, time.time())
        store.answered(first.id, "1796157340.3")
        store.heard(first.id)
    return config


def _app(config: Config) -> object:
    pop = ScreenPop(config.calllog_path, config.mirror_path)
    return build_app(config, pop=pop, ami=NoAmi())  # type: ignore[arg-type]


def _admin(config: Config) -> str:
    return AgentStore.for_config(config).add("rahmat", 0, role="admin")[1].web


def test_campaign_pages_need_an_admin(config: Config) -> None:
    app = _app(config)
    password = AgentStore.for_config(config).add("siti", 1)[1].web

    async def visit() -> tuple[int, int, int]:
        transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as anon:
            nobody = (await anon.get("/admin/campaigns/1/calls.csv")).status_code
        async with logged_in(app, "siti", password) as agent:
            page = (await agent.get("/admin/campaigns")).status_code
            post = (await agent.post("/admin/campaigns/1/pause", data={})).status_code
        return nobody, page, post

    assert asyncio.run(visit()) == (401, 403, 403)


def test_campaign_page_shows_progress_and_masked_outcomes_per_pilgrim(config: Config) -> None:
    app = _app(config)

    async def visit() -> tuple[str, str, str]:
        async with logged_in(app, "rahmat", _admin(config)) as admin:
            listing = (await admin.get("/admin/campaigns")).text
            page = (await admin.get("/admin/campaigns/1")).text
            csv = (await admin.get("/admin/campaigns/1/calls.csv")).text
        return listing, page, csv

    listing, page, csv = asyncio.run(visit())
    assert 'href="/admin/campaigns/1"' in listing and "berjalan" in listing
    assert 'id="total">2<' in page and 'id="waiting">1<' in page and 'id="heard">1<' in page
    assert "0812******56" in page and "mendengar jadwal" in page
    assert 'href="/admin/calls/1796157340.3"' in page
    assert csv.splitlines()[1].startswith("1100123450,0812******56,SOC-01,")
    for number in NUMBERS:
        assert number not in page + csv + listing


def test_campaign_pause_and_resume_with_csrf_go_to_the_reload_log(config: Config) -> None:
    app = _app(config)

    async def act() -> tuple[int, str, str]:
        async with logged_in(app, "rahmat", _admin(config)) as admin:
            forged = (await admin.post("/admin/campaigns/1/pause", data={"csrf": "x"})).status_code
            token = web.csrf((await admin.get("/admin/campaigns/1")).text)
            paused = (await admin.post("/admin/campaigns/1/pause", data={"csrf": token})).text
            resumed = (await admin.post("/admin/campaigns/1/start", data={"csrf": token})).text
        return forged, paused, resumed

    forged, paused, resumed = asyncio.run(act())
    assert forged == 403
    assert "kampanye #1 (kloter SOC-01) dijeda" in paused and 'id="start">Lanjutkan<' in paused
    assert "kampanye #1 (kloter SOC-01) dijalankan" in resumed and 'id="pause"' in resumed
    log = Audit.for_config(config).recent(5)
    assert [(r.who, r.what, r.ok) for r in log][:2] == [("rahmat", "campaign", True)] * 2


def test_campaign_page_of_no_campaign_says_so(config: Config) -> None:
    app = _app(config)

    async def visit() -> tuple[str, str]:
        async with logged_in(app, "rahmat", _admin(config)) as admin:
            missing = (await admin.get("/admin/campaigns/99")).text
            junk = (await admin.get("/admin/campaigns/x1")).text
        return missing, junk

    for page in asyncio.run(visit()):
        assert "Kampanye tidak ditemukan." in page


def test_cli_campaigns_list_start_pause_show(
    config: Config, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    if config.database.postgres:  # the commands read the campaigns where the hotline keeps them
        monkeypatch.setenv("HAJJ_IVR_DATABASE_URL", config.database.url)
    state = ["--state-dir", str(config.state_dir)]
    assert cli.main([*state, "campaigns", "list"]) == 0
    assert "#1    running" in capsys.readouterr().out
    assert cli.main([*state, "campaigns", "pause", "1"]) == 0
    assert cli.main([*state, "campaigns", "pause", "1"]) == 1  # paused already
    assert "only a running one pauses" in capsys.readouterr().err
    assert cli.main([*state, "campaigns", "start", "1"]) == 0
    assert cli.main([*state, "campaigns", "show", "1"]) == 0
    shown = capsys.readouterr().out
    assert "0812******56" in shown and "heard" in shown
    assert all(number not in shown for number in NUMBERS)
    assert cli.main([*state, "campaigns", "show", "7"]) == 1
    assert "no campaign #7" in capsys.readouterr().err
