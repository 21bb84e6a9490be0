"""A campaign from an import: the optional no_hp column, the kloter whose asrama entry or
flight moved, and the pilgrims of those kloter with a number."""

from __future__ import annotations

import sqlite3
import time
from contextlib import closing
from pathlib import Path

import pytest

from ivr import config as config_mod
from ivr import retention
from ivr.calldb import open_calldb
from ivr.campaigns import build, store
from ivr.campaigns.store import Campaigns
from ivr.data.importer import import_export
from ivr.data.report import ImportRefused
from ivr.data.sample import write_sample
from ivr.store import open_store
from tests.scenarios import campaigns as scenario
from tests.scenarios.campaigns import KLOTER, NUMBER, PORSI, edit_csv


def _numbers(mirror: Path) -> dict[str, str]:
    with closing(sqlite3.connect(mirror)) as db:
        return dict(db.execute("SELECT nomor_porsi, no_hp FROM kontak"))


def test_import_without_no_hp_column_still_imports_with_no_numbers(
    tmp_path: Path, export: Path
) -> None:
    def drop(rows: list[dict[str, str]]) -> list[dict[str, str]]:
        return [{k: v for k, v in row.items() if k != "no_hp"} for row in rows]

    edit_csv(export / "jemaah.csv", drop)
    report = import_export(export, tmp_path / "mirror.sqlite")
    assert report.accepted and _numbers(tmp_path / "mirror.sqlite") == {}


def test_import_no_hp_normalised_to_the_national_form(tmp_path: Path, export: Path) -> None:
    def plus62(rows: list[dict[str, str]]) -> list[dict[str, str]]:
        rows[0]["no_hp"] = "+62 812-0012-3456"
        return rows

    edit_csv(export / "jemaah.csv", plus62)
    import_export(export, tmp_path / "mirror.sqlite")
    assert _numbers(tmp_path / "mirror.sqlite")[PORSI] == NUMBER


@pytest.mark.parametrize("bad", ["0099887766", "0800123456", "12345", "0812-abc"])
def test_import_bad_no_hp_refused_with_file_line_and_column(
    tmp_path: Path, export: Path, bad: str
) -> None:
    def spoil(rows: list[dict[str, str]]) -> list[dict[str, str]]:
        rows[2]["no_hp"] = bad
        return rows

    edit_csv(export / "jemaah.csv", spoil)
    with pytest.raises(ImportRefused) as refused:
        import_export(export, tmp_path / "mirror.sqlite")
    (row,) = refused.value.report.bad_rows
    assert (row.file, row.line) == ("jemaah.csv", 4)
    assert row.reason.startswith(f"no_hp {bad!r} is not an Indonesian mobile or landline")


def test_moved_lists_asrama_and_flight_moves_and_their_pilgrims_with_numbers(
    tmp_path: Path,
) -> None:
    sample, mirror = tmp_path / "sample", tmp_path / "mirror.sqlite"
    pilgrims = write_sample(sample)
    import_export(sample, mirror)
    assert build.moved(mirror).kloter == ()  # a first import moves nothing

    scenario.import_moved(sample, mirror, tmp_path / "moved")
    moved = build.moved(mirror)
    assert moved.kloter == (KLOTER,) and moved.import_key == build.import_key(mirror)
    going = [p for p in pilgrims if p.kloter == KLOTER and p.status_porsi == "AKTIF"]
    assert {t.porsi for t in moved.targets} == {p.nomor_porsi for p in going}
    (slamet,) = [t for t in moved.targets if t.porsi == PORSI]
    assert (slamet.number, slamet.asrama[:10], slamet.berangkat[:10], slamet.zone) == (
        NUMBER,
        "2026-04-22",
        "2026-04-23",
        "WIB",
    )


def test_moved_return_only_is_not_called_about(tmp_path: Path) -> None:
    sample, mirror = tmp_path / "sample", tmp_path / "mirror.sqlite"
    write_sample(sample)
    import_export(sample, mirror)

    def back_later(rows: list[dict[str, str]]) -> list[dict[str, str]]:
        rows[0]["pulang"] = rows[0]["pulang"].replace(":", ":1", 1)[:16]
        return rows

    edit_csv(sample / "kloter.csv", back_later)
    import_export(sample, mirror, force=True)
    assert build.moved(mirror).kloter == ()


def test_campaign_created_once_per_import_opted_out_numbers_skipped(tmp_path: Path) -> None:
    sample, mirror = tmp_path / "sample", tmp_path / "mirror.sqlite"
    write_sample(sample)
    import_export(sample, mirror)
    scenario.import_moved(sample, mirror, tmp_path / "moved")
    campaigns = Campaigns(open_store(tmp_path / "calls.sqlite", store.SCHEMA))
    campaigns.opt_out(NUMBER, now=1.0)
    moved = build.moved(mirror)
    made = campaigns.create(moved.import_key, moved.kloter, moved.targets, time.time())
    assert made is not None and made.state == store.READY and made.kloter == KLOTER
    assert campaigns.create(moved.import_key, moved.kloter, moved.targets, time.time()) is None
    slamet = scenario.target(campaigns, made.id)
    assert (slamet.state, slamet.outcome) == (store.DONE, store.SKIPPED)
    assert slamet.masked == "0812******56"
    progress = campaigns.progress(made.id)
    assert progress["total"] == len(moved.targets) and progress[store.SKIPPED] == 1


def test_retention_purges_finished_campaigns_calls_and_old_opt_outs(tmp_path: Path) -> None:
    config = config_mod.load(file=None, env={}, overrides={"state_dir": tmp_path})
    day, now = 86400.0, time.time()
    with closing(open_calldb(config.calllog_path, threads=False)) as db:
        campaigns = Campaigns(db)
        target = store.Target(
            PORSI, NUMBER, KLOTER, "2026-04-22 13:00", "2026-04-23 21:35", "GA", "WIB"
        )
        old = campaigns.create("old", [KLOTER], [target], now - 40 * day)
        new = campaigns.create("new", [KLOTER], [target], now)
        assert old is not None and new is not None
        db.execute(
            "UPDATE campaigns SET state = 'finished', finished_at = ? WHERE id = ?",
            (now - 31 * day, old.id),
        )
        campaigns.opt_out("081299990000", now - (store.OPTOUT_DAYS + 1) * day)
        campaigns.opt_out(NUMBER, now - day)
    report = retention.purge(config, now)
    assert report.count("finished campaign calls") == 1
    assert report.count("schedule-call opt-outs") == 1
    with closing(open_calldb(config.calllog_path, threads=False)) as db:
        campaigns = Campaigns(db)
        assert campaigns.calls(old.id) == [] and len(campaigns.calls(new.id)) == 1
        assert campaigns.opted_out() == {NUMBER}
