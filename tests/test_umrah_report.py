"""The umrah licences asked (ivr/ppiulog.py): the store, the fraud report of unknown and
revoked numbers, its place on the dashboard's reports page with its CSV, and the umrah
announcements' form on the actions page."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
from pathlib import Path

import httpx
import pytest

from ivr import config as config_mod
from ivr import ppiulog, reports
from ivr.admin import overrides
from ivr.agents.store import AgentStore
from ivr.calldb import CallDb
from ivr.data.ppiu import Check
from ivr.prompts.catalog import Catalog
from ivr.store import Sql
from ivr.web.app import build_app
from ivr.web.screenpop import ScreenPop
from tests.rig.postgres import Backend
from tests.test_web_complaints import NoAmi, logged_in

NOW = 1_790_000_000.0
FAKE, REVOKED, GOOD = "1111111111111", "8120001357924", "9120001234567"


def fill(db: CallDb | Sql) -> None:
    """What calls would have logged: the fake number thrice, one from last month."""
    asked = [
        (NOW - 60, FAKE, Check.UNKNOWN),
        (NOW - 50, FAKE, Check.UNKNOWN),
        (NOW - 40, REVOKED, Check.REVOKED),
        (NOW - 30, GOOD, Check.LICENSED),
        (NOW - 20, "2222222222222", Check.NO_LIST),
        (NOW - 10, FAKE, Check.UNKNOWN),
        (NOW - 40 * 86400, "3333333333333", Check.UNKNOWN),
    ]
    for at, licence, outcome in asked:
        store = db.db if isinstance(db, CallDb) else db
        ppiulog.PpiuLog(store, clock=at.__float__).add(f"call-{at}", licence, outcome)


@pytest.fixture
def config(tmp_path: Path) -> config_mod.Config:
    return config_mod.load(
        file=None, env={}, overrides={"state_dir": tmp_path, "prompts.engine": "espeak"}
    )


def test_ppiulog_store_two_nodes_checks_are_one_report(backend: Backend) -> None:
    """Licences asked on either node (two connections) are counted together."""
    fill(backend.sql((ppiulog.SCHEMA,), (ppiulog.PG_SCHEMA,)))
    ppiulog.PpiuLog(backend.sql((ppiulog.SCHEMA,), (ppiulog.PG_SCHEMA,)), clock=lambda: NOW).add(
        "call-b", REVOKED, Check.REVOKED
    )
    report = backend.sql((ppiulog.SCHEMA,), (ppiulog.PG_SCHEMA,))
    assert ppiulog.suspicious(report, NOW - 86400) == [
        (FAKE, "unknown", 3),
        (REVOKED, "revoked", 2),
    ]


def test_ppiulog_suspicious_counts_unknown_and_revoked_since_most_asked_first(
    tmp_path: Path,
) -> None:
    db = CallDb.open(tmp_path / "calls.sqlite")
    try:
        fill(db)
        assert ppiulog.suspicious(db.db, NOW - 86400) == [
            (FAKE, "unknown", 3),
            (REVOKED, "revoked", 1),
        ]
        table = reports.REPORTS["ppiu-suspicious"](db.sql, NOW - 86400, dt.UTC)
        assert table.header == ("nomor izin", "hasil", "kali")
        assert table.rows == [(FAKE, "unknown", 3), (REVOKED, "revoked", 1)]
    finally:
        db.close()


def test_reports_page_shows_the_ppiu_report_and_its_csv(
    config: config_mod.Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = CallDb.open(config.calllog_path)
    fill(db)
    db.close()
    monkeypatch.setattr(reports, "report_start", lambda now, zone: NOW - 86400)
    _, passwords = AgentStore.for_config(config).add("rahmat", 0, role="admin")
    app = build_app(config, pop=ScreenPop(config.calllog_path, config.mirror_path), ami=NoAmi())  # type: ignore[arg-type]

    async def read() -> tuple[str, str]:
        async with logged_in(app, "rahmat", passwords.web) as client:
            page = (await client.get("/admin/reports")).text
            answer = await client.get("/admin/reports/ppiu-suspicious.csv")
            assert answer.headers["content-type"].startswith("text/csv")
            return page, answer.text

    page, text = asyncio.run(read())
    assert 'id="report-ppiu-suspicious"' in page and FAKE in page
    assert list(csv.reader(io.StringIO(text))) == [
        ["nomor izin", "hasil", "kali"],
        [FAKE, "unknown", "3"],
        [REVOKED, "revoked", "1"],
    ]


def test_umrah_announcements_saved_from_the_actions_page(config: config_mod.Config) -> None:
    _, passwords = AgentStore.for_config(config).add("rahmat", 0, role="admin")
    app = build_app(config, pop=ScreenPop(config.calllog_path, config.mirror_path), ami=NoAmi())  # type: ignore[arg-type]
    text = 'Umrah "plus" Turki: pastikan visanya.'

    async def save() -> httpx.Response:
        async with logged_in(app, "rahmat", passwords.web) as client:
            page = (await client.get("/admin/actions")).text
            assert 'id="umrah-announcements"' in page and "Sebelum mendaftar umrah" in page
            token = page.split('name="csrf" value="', 1)[1].split('"', 1)[0]
            form = {"csrf": token, "announcement": [text, "  "]}
            return await client.post("/admin/actions/umrah-announcements", data=form)

    answer = asyncio.run(save())
    assert "1 pengumuman umrah disimpan" in answer.text, answer.text
    catalog = Catalog.load(config.prompts_dir, config.overrides_dir)
    assert overrides.UMRAH.texts(catalog) == [text]
    assert overrides.GENERAL.texts(catalog)[0].startswith("Jadwal musim haji")
