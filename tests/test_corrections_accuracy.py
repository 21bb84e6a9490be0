"""The accuracy report (ivr/corrections/accuracy.py) on both backends: disputes over the
found lookups of each unit's pilgrims, an embarkation's counted through the live mirror
(SQLite on every node) a batch of porsi at a time."""

from __future__ import annotations

from pathlib import Path

import pytest

from ivr import calllog
from ivr.corrections import accuracy
from ivr.corrections import cases as cases_mod
from ivr.corrections.cases import Cases, NewCase
from ivr.data import sample
from ivr.data.importer import import_export
from ivr.store import Sql
from tests.rig.postgres import Backend

SOC = "1100123456"  # the sample's pilgrim in a kloter from SOC, kabupaten Kota Surakarta


@pytest.fixture
def mirror(tmp_path: Path) -> Path:
    sample.write_sample(tmp_path / "export")
    import_export(tmp_path / "export", tmp_path / "mirror.sqlite", imported_by="tests")
    return tmp_path / "mirror.sqlite"


def store(backend: Backend) -> Sql:
    return backend.sql((cases_mod.SCHEMA, calllog.SCHEMA), (cases_mod.PG_SCHEMA, calllog.PG_SCHEMA))


def looked_up(sql: Sql, porsi: str, at: float, times: int, found: int = 1) -> None:
    for n in range(times):
        sql.run(
            "INSERT INTO lookups (call_id, at, porsi, found, province, province_name, kabupaten)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (f"c{n}", at, porsi, found, "11", "Jawa Tengah", "Kota Surakarta"),
        )


def disputed(sql: Sql, number: str, unit: str, name: str, at: float) -> None:
    Cases(sql).open(NewCase(number, at, "c", SOC, "kloter", unit, name, True, ""))


def test_accuracy_counts_an_embarkations_lookups_through_the_mirror(
    backend: Backend, mirror: Path
) -> None:
    sql = store(backend)
    looked_up(sql, SOC, at=100.0, times=4)
    looked_up(sql, SOC, at=100.0, times=2, found=0)  # not found: not a lookup of its data
    looked_up(sql, SOC, at=1.0, times=5)  # before the period
    disputed(sql, "1000000016", "emb:SOC", "SOC", 100.0)
    disputed(sql, "1000000113", "kab:3372", "Kota Surakarta", 100.0)
    disputed(sql, "1000000210", "kab:3372", "Kota Surakarta", 100.0)
    table = accuracy.accuracy(store(backend), mirror, since=50.0)  # the page's own connection
    assert table.rows == [
        ("kab:3372", "Kota Surakarta", 2, 4, 5000.0),
        ("emb:SOC", "SOC", 1, 4, 2500.0),
    ]


def test_accuracy_embarkation_lookups_in_more_porsi_than_one_mirror_query_takes(
    backend: Backend, mirror: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(accuracy, "BATCH", 2)  # porsi nobody has fill the first batches
    sql = store(backend)
    for n in range(5):
        looked_up(sql, f"99000000{n:02d}", at=100.0, times=1)
    looked_up(sql, SOC, at=100.0, times=3)
    disputed(sql, "1000000016", "emb:SOC", "SOC", 100.0)
    assert accuracy.accuracy(sql, mirror, since=50.0).rows == [("emb:SOC", "SOC", 1, 3, 3333.3)]


def test_accuracy_without_a_mirror_counts_no_embarkation_lookups(
    backend: Backend, tmp_path: Path
) -> None:
    sql = store(backend)
    looked_up(sql, SOC, at=100.0, times=2)
    disputed(sql, "1000000016", "emb:SOC", "SOC", 100.0)
    rows = accuracy.accuracy(sql, tmp_path / "no-mirror.sqlite", since=50.0).rows
    assert rows == [("emb:SOC", "SOC", 1, 0, None)]
