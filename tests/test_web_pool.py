"""With [database] url the web app's pages borrow PostgreSQL connections from a pool of its
own, opened with the app (ivr.pgstore.lending): wallboard reads every 2 s and the nodes
page every 5 s must not connect anew each time. Without the app's lifespan (a command) a
use opens one connection, as before."""

from __future__ import annotations

import asyncio
from pathlib import Path

import psycopg
import pytest
from starlette.applications import Starlette

from ivr import pgstore
from ivr.agents.store import AgentStore
from ivr.calllog import CallLog
from ivr.outcomes import Outcome
from ivr.settings import DatabaseSettings
from ivr.web.app import build_app
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
