"""The dashboard's edits (announcements, staffed hours, ...) and the prompts recorded by
phone with ``[database] url``: saved on one node, pulled into every other node's overrides
folder (and sounds), where the catalog and the schedule pick them up; one node keeps its
files only."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import cast

from ivr import config as config_mod
from ivr import pgstore, storefiles
from ivr.admin import overrides
from ivr.admin.studio import Studio, recorded_dirs
from ivr.config import Config
from ivr.prompts import build
from ivr.prompts.catalog import Catalog
from ivr.settings import DatabaseSettings
from ivr.store import Row, Sql
from tests.rig import web

PROMPTS = Path(__file__).resolve().parents[1] / "prompts"


def node(folder: Path, url: str) -> Config:
    return dataclasses.replace(Config(), state_dir=folder, database=DatabaseSettings(url=url))


def test_overrides_saved_on_one_node_pulled_into_the_other(tmp_path: Path, pg_url: str) -> None:
    one, two = node(tmp_path / "one", pg_url), node(tmp_path / "two", pg_url)
    storefiles.migrate_shared(one)
    assert overrides.pull(two) == []
    ids = overrides.save_announcements(one, ["Manasik hari Sabtu", "Vaksin meningitis"])
    overrides.save_hours(two, "07:00-15:00", "mon,tue,wed,thu,fri", "")
    assert overrides.pull(two) == [overrides.ANNOUNCEMENTS]
    assert overrides.pull(one) == [overrides.HOURS]
    catalog = Catalog.load(PROMPTS, two.overrides_dir)
    assert [catalog[i].text for i in ids] == ["Manasik hari Sabtu", "Vaksin meningitis"]
    assert overrides.hours_settings(one).hours == "07:00-15:00"
    assert (overrides.pull(one), overrides.pull(two)) == ([], [])  # nothing new: no write
    overrides.save_announcements(two, ["Manasik hari Minggu"])
    assert overrides.pull(one) == [overrides.ANNOUNCEMENTS]
    assert overrides.GENERAL.texts(Catalog.load(PROMPTS, one.overrides_dir)) == [
        "Manasik hari Minggu"
    ]


class Counted:
    """A store's Sql that keeps the reads it ran (what a pull asked PostgreSQL for)."""

    def __init__(self, sql: Sql) -> None:
        self.sql, self.ran = sql, list[str]()

    def all(self, sql: str, args: Sequence[object] = ()) -> list[Row]:
        self.ran.append(sql)
        return self.sql.all(sql, args)


def test_overrides_pulls_with_nothing_saved_since_read_the_save_times_only(
    tmp_path: Path, pg_url: str
) -> None:
    """The controller pulls every 5 s over its pool: a pull that finds no file or
    recording saved since the last reads their save times, never the texts or the audio."""
    one, two = node(tmp_path / "one", pg_url), node(tmp_path / "two", pg_url)
    storefiles.migrate_shared(one)
    overrides.save_announcements(one, ["Manasik hari Sabtu"])
    take = Studio(one).take_path("call-1")
    take.parent.mkdir(parents=True)
    web.tone_wav(take.with_suffix(".wav"), 1.2)
    Studio(one).keep(Catalog.load(PROMPTS)["you-entered"], 1234, take, "rahmat")
    files: dict[str, float] = {}
    recordings: dict[str, float] = {}
    with pgstore.opened(two.database) as pooled:
        counted = Counted(pooled)
        sql = cast(Sql, counted)
        assert overrides.pull(two, sql, files) == [overrides.ANNOUNCEMENTS]
        assert Studio(two, sql).pull(recordings) == ["you-entered"]
        counted.ran.clear()
        for _ in range(3):
            assert overrides.pull(two, sql, files) == []
            assert Studio(two, sql).pull(recordings) == []
        assert set(counted.ran) == {
            "SELECT name, saved_at FROM override_files",
            "SELECT prompt, saved_at FROM recorded_prompts",
        }
        overrides.save_announcements(one, ["Manasik hari Minggu"])
        assert overrides.pull(two, sql, files) == [overrides.ANNOUNCEMENTS]
        assert overrides.GENERAL.texts(Catalog.load(PROMPTS, two.overrides_dir)) == [
            "Manasik hari Minggu"
        ]


def test_overrides_on_one_node_are_its_files_only(tmp_path: Path) -> None:
    config = dataclasses.replace(Config(), state_dir=tmp_path)
    overrides.save_hours(config, "07:00-15:00", "mon,tue,wed,thu,fri", "")
    assert overrides.pull(config) == []
    assert (config.overrides_dir / overrides.HOURS).exists()


def test_prompt_recorded_by_phone_on_one_node_is_heard_on_the_other(
    tmp_path: Path, pg_url: str
) -> None:
    voice = {"prompts.engine": "espeak", "prompts.espeak_speed": 200}
    one, two = (
        config_mod.load(
            file=None,
            env={"HAJJ_IVR_DATABASE_URL": pg_url},
            overrides={"state_dir": tmp_path / name, **voice},
        )
        for name in ("one", "two")
    )
    storefiles.migrate_shared(one)
    prompt = Catalog.load(one.prompts_dir)["you-entered"]
    take = Studio(one).take_path("call-1")
    take.parent.mkdir(parents=True)
    web.tone_wav(take.with_suffix(".wav"), 1.2)  # as RECORD FILE leaves it
    recorded = take.with_suffix(".wav").read_bytes()

    Studio(one).keep(prompt, 1234, take, "rahmat")  # *79 on node one
    assert Studio(two).pull() == ["you-entered"]
    assert (recorded_dirs(two)[0] / "you-entered.wav").read_bytes() == recorded
    assert build.voice_of(two.sounds_dir)["you-entered"] == build.RECORDED
    assert Studio(two).pull() == [] and Studio(one).pull() == []  # each has it already

    Studio(two).forget(prompt, 1234, "rahmat")  # the Prompt page of node two
    assert Studio(one).pull() == ["you-entered"]
    assert not (recorded_dirs(one)[0] / "you-entered.wav").exists()
    assert build.voice_of(one.sounds_dir)["you-entered"] == "espeak:id"
