"""The dashboard's edits (announcements, staffed hours, ...) with ``[database] url``: saved
on one node, pulled into every other node's overrides folder, where the catalog and the
schedule pick them up; one node keeps its files only."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from ivr import storefiles
from ivr.admin import overrides
from ivr.config import Config
from ivr.prompts.catalog import Catalog
from ivr.settings import DatabaseSettings

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


def test_overrides_on_one_node_are_its_files_only(tmp_path: Path) -> None:
    config = dataclasses.replace(Config(), state_dir=tmp_path)
    overrides.save_hours(config, "07:00-15:00", "mon,tue,wed,thu,fri", "")
    assert overrides.pull(config) == []
    assert (config.overrides_dir / overrides.HOURS).exists()
