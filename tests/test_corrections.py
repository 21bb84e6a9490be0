"""Correction cases: the unit that owns each field, the import hook that marks a case
"data changed", resolving (a callback to a confirmed number) and the news on the next call.
Real stores: calls.sqlite or PostgreSQL (the ``backend`` tests run on both) and a mirror
imported from the sample export."""

from __future__ import annotations

import csv
import os
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import pytest

from ivr import cli, retention, storefiles, storeplace
from ivr import config as config_mod
from ivr.admin import reloads
from ivr.agents.store import AgentStore
from ivr.calldb import SCHEMAS, open_calldb
from ivr.corrections import cases as cases_mod
from ivr.corrections import units
from ivr.corrections.cases import CaseError, Cases, NewCase, UnitCount
from ivr.data import sample
from ivr.data.importer import import_export
from ivr.data.mirror import Jemaah, Mirror
from ivr.queue import callbacks
from ivr.queue.callbacks import Callbacks
from ivr.settings import DatabaseSettings
from tests.rig.postgres import Backend

SOC, RESERVE = "1100123456", "1300234567"
DAY = 86400.0


def stores(backend: Backend) -> tuple[Cases, Callbacks]:
    """The cases and the callback requests, as the controller has them (one place)."""
    sql = backend.sql(
        (cases_mod.SCHEMA, callbacks.SCHEMA),
        (cases_mod.PG_SCHEMA, callbacks.PG_SCHEMA),
        name="calls.sqlite",
    )
    return Cases(sql), Callbacks(sql)


def configured(backend: Backend, state: Path) -> config_mod.Config:
    """A hotline's config on the backend: its state dir, and [database] url on PostgreSQL
    (its shared tables migrated, as `hajj-ivr db migrate` does)."""
    url = {"database.url": backend.url} if backend.postgres else {}
    config = config_mod.load(file=None, env={}, overrides={"state_dir": state, **url})
    storefiles.migrate_shared(config)
    return config


@contextmanager
def cases_of(config: config_mod.Config) -> Iterator[Cases]:
    """The hotline's cases where it keeps them, on a connection of the test's own."""
    with storeplace.opened(config.database, config.calllog_path, SCHEMAS, wal=True) as sql:
        yield Cases(sql)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[Path, Path, Path]]:
    """(the export folder, the live mirror, calls.sqlite)."""
    export = tmp_path / "export"
    sample.write_sample(export)
    mirror = tmp_path / "mirror.sqlite"
    import_export(export, mirror, imported_by="tests")
    yield export, mirror, tmp_path / "calls.sqlite"


def pilgrim(mirror: Path, porsi: str) -> Jemaah:
    data = Mirror(mirror)
    try:
        found = data.lookup(porsi)
    finally:
        data.close()
    assert found is not None
    return found


def file(db: Cases, j: Jemaah, field: str, number: str = "1234567897") -> str:
    unit = units.owner(j, field)
    snap = units.snapshot(j, field)
    db.open(NewCase(number, 1.0, "call", j.nomor_porsi, field, unit.key, unit.name, True, snap))
    return number


def edit(export: Path, porsi: str, **values: str) -> None:
    """Change columns of one pilgrim in the export's jemaah.csv."""
    path = export / "jemaah.csv"
    with path.open(newline="") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        if row["nomor_porsi"] == porsi:
            row.update(values)
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def test_units_each_field_goes_to_the_unit_that_owns_it(world: tuple[Path, Path, Path]) -> None:
    _, mirror, _ = world
    soc, reserve = pilgrim(mirror, SOC), pilgrim(mirror, RESERVE)
    owners = {field: units.owner(soc, field).key for field in units.FIELDS}
    assert owners == {
        "estimate": "kab:3372",
        "kloter": "emb:SOC",
        "documents": "prop:11",
        "payment": "kab:3372",
        "name": "kab:3372",
        "other": "kab:3372",
    }
    assert units.owner(reserve, "kloter").key == f"kab:{reserve.kd_kab}"  # no kloter yet
    assert units.valid_key("kab:3372") and units.valid_key("emb:SOC")
    assert not units.valid_key("3372") and not units.valid_key("kab:33 72")


def test_import_that_changes_the_disputed_field_marks_the_case_data_changed(
    world: tuple[Path, Path, Path], backend: Backend
) -> None:
    export, mirror, _ = world
    soc = pilgrim(mirror, SOC)
    store, _ = stores(backend)
    estimate = file(store, soc, "estimate", "1000000016")
    kloter = file(store, soc, "kloter", "1000000113")
    edit(export, SOC, estimasi_masehi="2027", estimasi_hijriah="1448")
    import_export(export, mirror, imported_by="tests", force=True)
    database = DatabaseSettings(url=backend.url)  # the importing node's
    assert cases_mod.after_import(database, backend.folder / "calls.sqlite", mirror) == 1
    changed, same = store.get(estimate), store.get(kloter)
    assert changed is not None and changed.state == "changed" and changed.changed_at
    assert same is not None and same.state == "open"  # its kloter did not move
    # A changed case is not counted again.
    assert cases_mod.after_import(database, backend.folder / "calls.sqlite", mirror) == 0


def test_import_that_removes_the_porsi_marks_its_case_changed(
    world: tuple[Path, Path, Path],
) -> None:
    export, mirror, calls = world
    with closing(open_calldb(calls, threads=False)) as db:
        number = file(Cases(db), pilgrim(mirror, RESERVE), "name")
    path = export / "jemaah.csv"
    kept = [line for line in path.read_text().splitlines() if not line.startswith(RESERVE)]
    path.write_text("\n".join(kept) + "\n")
    import_export(export, mirror, imported_by="tests", force=True)
    assert cases_mod.after_import(DatabaseSettings(), calls, mirror) == 1
    with closing(open_calldb(calls, threads=False)) as db:
        case = Cases(db).get(number)
    assert case is not None and case.state == "changed"


def test_resolving_asks_for_a_callback_only_to_a_confirmed_number(
    world: tuple[Path, Path, Path], backend: Backend
) -> None:
    _, mirror, _ = world
    soc = pilgrim(mirror, SOC)
    store, callbacks = stores(backend)
    confirmed = file(store, soc, "payment", "1000000016")
    store.call_back_at(confirmed, "081234567890")
    silent = file(store, soc, "name", "1000000113")
    with pytest.raises(CaseError):  # another unit's case is not found for this one
        store.resolve(confirmed, "unit-sby", callbacks, unit="kab:3578", now=5.0)
    done = store.resolve(confirmed, "unit-ska", callbacks, unit="kab:3372", now=5.0)
    quiet = store.resolve(silent, "rahmat", callbacks, now=6.0)  # an admin: any unit
    assert (done.state, done.resolved_by, done.resolved_at) == ("resolved", "unit-ska", 5.0)
    assert done.callback_id is not None and quiet.callback_id is None
    callback = callbacks.get(done.callback_id)
    assert callback is not None
    assert (callback.number, callback.porsi) == ("081234567890", SOC)
    assert callback.handover.reason == "correction_resolved"
    assert len(callbacks.all()) == 1
    # Resolving again changes nothing and asks for no second callback.
    assert store.resolve(confirmed, "unit-ska", callbacks, now=7.0).resolved_at == 5.0
    assert len(callbacks.all()) == 1
    # The caller hears both on their next call for the porsi, once.
    assert [c.number for c in store.untold(SOC)] == [confirmed, silent]
    store.told(confirmed, 8.0)
    assert [c.number for c in store.untold(SOC)] == [silent]


def test_cases_by_unit_count_each_state(world: tuple[Path, Path, Path], backend: Backend) -> None:
    _, mirror, _ = world
    soc = pilgrim(mirror, SOC)
    store, callbacks = stores(backend)
    file(store, soc, "estimate", "1000000016")
    file(store, soc, "kloter", "1000000113")
    store.resolve("1000000113", "x", callbacks)
    assert store.by_unit() == [
        UnitCount("emb:SOC", "SOC", {"open": 0, "changed": 0, "resolved": 1}, None),
        UnitCount("kab:3372", "Kota Surakarta", {"open": 1, "changed": 0, "resolved": 0}, 1.0),
    ]
    assert [c.number for c in store.search(unit="kab:3372")] == ["1000000016"]
    assert [c.number for c in store.search(state="resolved")] == ["1000000113"]


def test_cases_filed_on_one_node_are_resolved_on_another(
    world: tuple[Path, Path, Path], backend: Backend
) -> None:
    """The controller that filed it and the web app that resolves it: two connections."""
    _, mirror, _ = world
    node, _ = stores(backend)
    web, callbacks = stores(backend)
    number = file(node, pilgrim(mirror, SOC), "payment")
    node.call_back_at(number, "081234567890")
    done = web.resolve(number, "unit-ska", callbacks, unit="kab:3372", now=5.0)
    assert done.callback_id is not None and node.untold(SOC) == [done]
    assert web.file_names() == set() and node.get(number) == done


def test_cases_a_store_that_refuses_the_row_is_a_case_error(backend: Backend) -> None:
    """A case number filed twice (the primary key): CaseError, which the flow turns into
    an officer (on PostgreSQL the refusal is psycopg's, wrapped in SharedStoreError)."""
    store, _ = stores(backend)
    new = NewCase("1000000016", 1.0, "call", SOC, "name", "kab:3372", "Kota", False, "{}")
    store.open(new)
    with pytest.raises(CaseError, match="not stored"):
        store.open(new)


def test_cli_import_marks_the_cases_whose_data_changed(
    world: tuple[Path, Path, Path],
    backend: Backend,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    export, _, _ = world
    state = export.parent / "state"
    config = configured(backend, state)
    if backend.postgres:
        monkeypatch.setenv("HAJJ_IVR_DATABASE_URL", backend.url)
    assert cli.main(["--state-dir", str(state), "data", "import", str(export), "--quiet"]) == 0
    with cases_of(config) as store:
        number = file(store, pilgrim(config.mirror_path, SOC), "payment")
    edit(export, SOC, sisa_pelunasan="0", status_pelunasan="LUNAS")
    capsys.readouterr()
    argv = ["--state-dir", str(state), "data", "import", str(export), "--quiet", "--force"]
    assert cli.main(argv) == 0
    assert "correction cases whose data changed: 1" in capsys.readouterr().out
    with cases_of(config) as store:
        case = store.get(number)
    assert case is not None and case.state == "changed"


def test_dashboard_import_marks_the_cases_whose_data_changed(
    world: tuple[Path, Path, Path], backend: Backend
) -> None:
    export, _, _ = world
    config = configured(backend, export.parent / "s")
    assert reloads.import_data(config, "rahmat", export)[1].ok
    with cases_of(config) as store:
        file(store, pilgrim(config.mirror_path, SOC), "documents")
    edit(export, SOC, status_visa="TERBIT")
    _, attempt = reloads.import_data(config, "rahmat", export, force=True)
    assert attempt.ok and "correction cases whose data changed: 1" in attempt.detail


def test_retention_empties_resolved_cases_and_keeps_open_ones_messages(
    world: tuple[Path, Path, Path], backend: Backend
) -> None:
    export, live, _ = world
    config = configured(backend, export.parent / "s")
    config.recordings_dir.mkdir(parents=True)
    soc = pilgrim(live, SOC)
    with storeplace.opened(config.database, config.calllog_path, SCHEMAS) as sql:
        store = Cases(sql)
        done, still = (
            file(store, soc, "name", "1000000016"),
            file(store, soc, "other", "1000000113"),
        )
        for number in (done, still):
            message = config.recordings_dir / f"correction-{number}.wav"
            message.write_bytes(b"RIFF")
            os.utime(message, (0, 0))  # older than any period by its file time
            store.recorded(number, message.name)
        store.call_back_at(done, "081234567890")
        store.resolve(done, "unit", Callbacks(sql), now=DAY)
    report = retention.purge(config, now=DAY * 182)  # closed_complaints_days = 180
    assert report.count("resolved correction cases emptied") == 1
    assert report.count("recordings of no ticket") == 0  # the open case's message stays
    assert not (config.recordings_dir / f"correction-{done}.wav").exists()
    assert (config.recordings_dir / f"correction-{still}.wav").exists()
    with cases_of(config) as store:
        emptied, kept = store.get(done), store.get(still)
    assert emptied is not None and (emptied.porsi, emptied.callback_number) == ("", "")
    assert (emptied.recording, emptied.unit, emptied.state) == ("", "kab:3372", "resolved")
    assert kept is not None and kept.porsi == SOC and kept.recording


def test_cli_units_add_list_password_remove(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = ["--state-dir", str(tmp_path)]
    assert cli.main([*state, "units", "add", "solo", "--unit", "kab:3372"]) == 0
    added = capsys.readouterr().out
    assert "/corrections (login solo, password " in added and "SIP" not in added
    assert cli.main([*state, "units", "add", "x", "--unit", "3372"]) == 1  # no kind
    assert cli.main([*state, "units", "list"]) == 0
    assert capsys.readouterr().out == "solo\tkab:3372\n"
    assert cli.main([*state, "units", "password", "solo"]) == 0
    assert cli.main([*state, "admins", "password", "solo"]) == 1  # a unit, not an admin
    assert cli.main([*state, "units", "remove", "solo"]) == 0
    assert AgentStore(tmp_path / "agents.sqlite").unit_of("solo") == ""
