"""The correction pages without a hotline (the app over ASGI): a unit login sees and
resolves only its unit's cases and no other page; an admin sees every unit, the cases
per unit and the accuracy report with its plot and CSV. The browser tests (Chromium) are
in tests/test_call_corrections.py, over the cases real calls filed."""

from __future__ import annotations

import asyncio
import time
from contextlib import closing
from pathlib import Path

import pytest

from ivr import config as config_mod
from ivr import pgstore, storefiles
from ivr.agents.store import AgentError, AgentStore
from ivr.calldb import CallDb
from ivr.config import Config
from ivr.corrections.cases import Cases, NewCase
from ivr.queue.callbacks import Callbacks
from ivr.web.app import build_app
from ivr.web.screenpop import ScreenPop
from tests.rig import web
from tests.test_web_complaints import NoAmi, logged_in

SOLO, SURABAYA, EMB = "1000000016", "1000000113", "1000000210"


@pytest.fixture
def config(tmp_path: Path) -> Config:
    config = config_mod.load(file=None, env={}, overrides={"state_dir": tmp_path})
    now = time.time()
    calls = CallDb.open(config.calllog_path)
    with closing(calls.db):
        for number, unit, name in [
            (SOLO, "kab:3372", "Kota Surakarta"),
            (SURABAYA, "kab:3578", "Kota Surabaya"),
            (EMB, "emb:SOC", "SOC"),
        ]:
            calls.corrections.open(
                NewCase(number, now - 7200, "c", "1100123456", "estimate", unit, name, False, "")
            )
        calls.corrections.call_back_at(SOLO, "081234567890")
        for kabupaten in ["Kota Surakarta"] * 4 + ["Kota Surabaya"]:
            calls.calls.lookup("c", "1100123456", kabupaten, "Jawa Tengah")
    return config


def app_of(config: Config) -> object:
    pop = ScreenPop(config.calllog_path, config.mirror_path)
    return build_app(config, pop=pop, ami=NoAmi())  # type: ignore[arg-type]


def test_unit_login_sees_and_resolves_only_its_units_cases(config: Config) -> None:
    store = AgentStore.for_config(config)
    password = store.add("solo", 0, role="unit", unit="kab:3372")[1].web
    app = app_of(config)

    async def unit_works() -> None:
        async with logged_in(app, "solo", password) as client:
            assert (await client.get("/")).headers["location"] == "/corrections"
            page = (await client.get("/corrections?unit=kab:3578")).text  # no other unit
            assert SOLO in page and SURABAYA not in page and EMB not in page
            assert "report-accuracy" not in page and "per-unit" not in page
            for path in ("/agent", "/complaints", "/admin", "/admin/corrections/accuracy.csv"):
                assert (await client.get(path)).status_code == 403, path
            token = web.csrf(page)
            other = await client.post(f"/corrections/{SURABAYA}/resolve", data={"csrf": token})
            assert other.status_code == 404
            assert (await client.get(f"/corrections/{EMB}/recording")).status_code == 404
            done = await client.post(f"/corrections/{SOLO}/resolve", data={"csrf": token})
            assert done.status_code == 303
            forged = await client.post(f"/corrections/{SOLO}/resolve", data={"csrf": "x"})
            assert forged.status_code == 403

    asyncio.run(unit_works())
    with closing(CallDb.open(config.calllog_path).db) as db:
        cases = Cases(db)
        solo, surabaya = cases.get(SOLO), cases.get(SURABAYA)
        assert solo is not None and (solo.state, solo.resolved_by) == ("resolved", "solo")
        assert solo.callback_id is not None  # the caller confirmed a number
        assert surabaya is not None and surabaya.state == "open"


def test_admin_sees_every_unit_and_the_accuracy_report(config: Config) -> None:
    password = AgentStore.for_config(config).add("rahmat", 0, role="admin")[1].web
    app = app_of(config)

    async def admin_reads() -> tuple[str, str, str]:
        async with logged_in(app, "rahmat", password) as client:
            page = (await client.get("/corrections")).text
            only = (await client.get("/corrections?unit=emb:SOC")).text
            csv = (await client.get("/admin/corrections/accuracy.csv")).text
        return page, only, csv

    page, only, csv = asyncio.run(admin_reads())
    assert all(n in page for n in (SOLO, SURABAYA, EMB))
    assert 'id="per-unit"' in page and 'id="report-accuracy"' in page and "<svg" in page
    assert EMB in only and SOLO not in only
    assert page.count("<td>2 jam</td>") == 3 + 3  # each case's age, each unit's oldest
    lines = csv.splitlines()
    assert lines[0] == "unit,nama,laporan,pencarian,per 10.000"
    # One case over 4 lookups in Surakarta, one over 1 in Surabaya; SOC: no mirror here.
    assert lines[1:] == [
        "kab:3578,Kota Surabaya,1,1,10000.0",
        "kab:3372,Kota Surakarta,1,4,2500.0",
        "emb:SOC,SOC,1,0,",
    ]


def test_unit_login_needs_a_unit_and_only_a_unit_login_has_one(tmp_path: Path) -> None:
    store = AgentStore(tmp_path / "agents.sqlite")
    for role, unit in [
        ("unit", ""),
        ("unit", "3372"),
        ("unit", "kab:33 72"),
        ("admin", "kab:3372"),
    ]:
        with pytest.raises(AgentError):
            store.add("x", 0, role=role, unit=unit)
    store.add("solo", 0, role="unit", unit="kab:3372")
    assert store.unit_of("solo") == "kab:3372" and [a.name for a in store.all("unit")] == ["solo"]
    store.remove("solo", role="unit")
    assert store.unit_of("solo") == ""


def test_unit_resolves_a_case_kept_in_postgres_with_its_callback_there(
    tmp_path: Path, pg_url: str
) -> None:
    """With [database] url the pages read and resolve the cases every node filed, and the
    callback goes where the dispatchers take it from."""
    overrides = {"state_dir": tmp_path, "database.url": pg_url}
    config = config_mod.load(file=None, env={}, overrides=overrides)
    storefiles.migrate_shared(config)
    with pgstore.opened(config.database) as sql:
        Cases(sql).open(
            NewCase(SOLO, time.time(), "c", "1100123456", "estimate", "kab:3372", "", False, "")
        )
        Cases(sql).call_back_at(SOLO, "081234567890")
    password = AgentStore.for_config(config).add("solo", 0, role="unit", unit="kab:3372")[1].web
    app = app_of(config)

    async def resolve() -> int:
        async with logged_in(app, "solo", password) as client:
            page = (await client.get("/corrections")).text
            assert SOLO in page
            done = await client.post(f"/corrections/{SOLO}/resolve", data={"csrf": web.csrf(page)})
            return done.status_code

    assert asyncio.run(resolve()) == 303
    with pgstore.opened(config.database) as sql:
        solo = Cases(sql).get(SOLO)
        assert solo is not None and (solo.state, solo.resolved_by) == ("resolved", "solo")
        assert solo.callback_id is not None
        callback = Callbacks(sql).get(solo.callback_id)
        assert callback is not None and callback.number == "081234567890"
    with closing(CallDb.open(config.calllog_path).db) as db:
        assert Cases(db).get(SOLO) is None  # nothing in calls.sqlite
