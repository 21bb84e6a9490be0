"""With [database] url the web app's pages borrow PostgreSQL connections from a pool of its
own, opened with the app (ivr.pgstore.lending): wallboard reads every 2 s and the nodes
page every 5 s must not connect anew each time. Without the app's lifespan (a command) a
use opens one connection, as before."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import httpx
import psycopg
import pytest
from starlette.applications import Starlette

from ivr import config as config_mod
from ivr import pgstore, wiring
from ivr.agents.store import AgentStore
from ivr.calllog import CallLog
from ivr.outcomes import Outcome
from ivr.settings import DatabaseSettings
from ivr.web.app import build_app
from tests.rig.ports import free_port
from tests.test_data_published import node
from tests.test_web_complaints import NoAmi, logged_in

PAGES = ["/admin/api/wallboard", "/admin/nodes", "/admin/calls", "/admin/calls/call-1"]


class Ami(NoAmi):
    def on_connect(self, callback: object) -> None:
        pass


def test_web_pages_borrow_from_the_apps_pool_and_connect_anew_only_without_it(
    tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = node(tmp_path / "web", pg_url)
    with pgstore.opened(config.database) as sql:
        log = CallLog.over(sql, node="ivr1")
        log.start("call-1", "081234567890", "hotline")
        log.finish("call-1", Outcome.SERVED)
    password = AgentStore.for_config(config).add("rahmat", 0, role="admin")[1].web
    connects: list[str] = []
    real = pgstore.connect

    def counted(settings: DatabaseSettings) -> psycopg.Connection[tuple[object, ...]]:
        connects.append(settings.url)
        return real(settings)

    monkeypatch.setattr(pgstore, "connect", counted)

    async def read_all(app: Starlette, rounds: int) -> None:
        async with logged_in(app, "rahmat", password) as client:
            for _ in range(rounds):
                for path in PAGES:
                    answer = await client.get(path)
                    assert answer.status_code == 200, (path, answer.text[:200])

    async def with_lifespan(app: Starlette) -> None:
        async with app.router.lifespan_context(app):
            await read_all(app, 10)

    asyncio.run(with_lifespan(build_app(config, ami=Ami())))  # type: ignore[arg-type]
    assert connects == []  # 40 page reads, every one over the app's pool
    # An app whose lifespan never ran (a test client's): each use connects, as a command.
    asyncio.run(read_all(build_app(config, ami=Ami()), 1))  # type: ignore[arg-type]
    assert len(connects) >= len(PAGES)


def test_controller_scrapes_and_jobs_borrow_its_pool(
    tmp: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The controller (in this process, AMI nowhere) lends its pool the same way: after the
    one connection its start migrates over, /metrics scraped ten times reads the shared
    call log, and its jobs run, without a connection of their own."""
    folder = tmp / "ctl"
    folder.mkdir()
    node(folder, pg_url)  # the shared tables migrated
    metrics_port = free_port()
    overrides = {"state_dir": folder, "database.url": pg_url, "agi.port": free_port(),
                 "agi.metrics_port": metrics_port, "asterisk.ami_port": free_port()}  # fmt: skip
    config = config_mod.load(file=None, env={}, overrides=overrides)
    connects: list[str] = []
    real = pgstore.connect

    def counted(settings: DatabaseSettings) -> psycopg.Connection[tuple[object, ...]]:
        connects.append(settings.url)
        return real(settings)

    monkeypatch.setattr(pgstore, "connect", counted)

    async def scraped() -> list[str]:
        ready = asyncio.Event()
        serving = asyncio.create_task(wiring.serve(config, ready))
        await ready.wait()
        assert len(connects) == 1  # the migration at start, before the pool
        url = f"http://127.0.0.1:{metrics_port}/metrics"
        pages = [(await asyncio.to_thread(httpx.get, url, timeout=10)).text for _ in range(10)]
        os.kill(os.getpid(), signal.SIGTERM)  # caught by serve: its clean stop
        await serving
        return pages

    pages = asyncio.run(scraped())
    assert all("hajj_calls_in_ivr 0.0" in page for page in pages)
    assert len(connects) == 1  # ten scrapes, the purge, the pulls: none connected anew
