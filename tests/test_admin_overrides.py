"""Dashboard edits in the state directory: staffed hours, announcements, live reloads."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from ivr import config as config_mod
from ivr.admin import overrides
from ivr.admin.overrides import Watched
from ivr.config import PROJECT_DIR
from ivr.errors import ConfigError
from ivr.prompts.catalog import Catalog


@pytest.fixture
def config(tmp_path: Path) -> config_mod.Config:
    return config_mod.load(file=None, env={}, overrides={"state_dir": tmp_path})


def test_overrides_hours_saved_and_read_over_the_config(config: config_mod.Config) -> None:
    assert overrides.hours_settings(config).hours == "08:00-20:00"
    overrides.save_hours(config, "07:30-16:00", "mon,tue,wed", "2026-12-25")
    settings = overrides.hours_settings(config)
    assert (settings.hours, settings.days, settings.holidays) == (
        "07:30-16:00",
        "mon,tue,wed",
        "2026-12-25",
    )
    assert settings.timezone == config.agents.timezone


def test_overrides_bad_hours_change_nothing(config: config_mod.Config) -> None:
    overrides.save_hours(config, "07:30-16:00", "mon", "")
    with pytest.raises(ValueError, match="not one of"):
        overrides.save_hours(config, "08:00-12:00", "someday", "")
    assert overrides.hours_settings(config).hours == "07:30-16:00"


def test_overrides_announcements_replace_the_shipped_ones(config: config_mod.Config) -> None:
    ids = overrides.save_announcements(config, ['Satu "dua".', "", "  Tiga\n  empat. "])
    assert ids == ["announce-1", "announce-2"]
    catalog = Catalog.load(PROJECT_DIR / "prompts", config.overrides_dir)
    assert [catalog[i].text for i in ids] == ['Satu "dua".', "Tiga empat."]
    assert "announce-3" not in catalog  # the shipped third one is replaced, not kept
    with pytest.raises(ValueError, match="at most 9"):
        overrides.save_announcements(config, ["x"] * 10)


@pytest.mark.parametrize("name", ["pembatalan", "pelimpahan"])
def test_overrides_procedures_replace_the_shipped_ones_like_announcements(
    config: config_mod.Config, name: str
) -> None:
    shipped = Catalog.load(PROJECT_DIR / "prompts")
    assert f"{name}-3" in shipped
    ids = overrides.save_entries(config, f"{name}.toml", ["Bawa KTP.", " "])
    assert ids == [f"{name}-1"]
    catalog = Catalog.load(PROJECT_DIR / "prompts", config.overrides_dir)
    assert catalog[f"{name}-1"].text == "Bawa KTP." and f"{name}-2" not in catalog
    assert catalog["announce-1"] == shipped["announce-1"]  # the other lists stay


def test_overrides_office_prompts_replace_the_empty_shipped_file(
    config: config_mod.Config,
) -> None:
    assert overrides.save_office_prompts(config, {"kantor-3372-nama": 'Kantor "Solo"'}) == 1
    catalog = Catalog.load(PROJECT_DIR / "prompts", config.overrides_dir)
    assert catalog["kantor-3372-nama"].text == 'Kantor "Solo"'


def test_watched_reloads_on_change_and_keeps_the_last_good(tmp_path: Path) -> None:
    source = tmp_path / "value.txt"
    source.write_text("1")

    def load() -> int:
        text = source.read_text()
        if not text.isdigit():
            raise ConfigError(f"not a number: {text}")
        return int(text)

    watched = Watched(lambda: [source], load)
    assert watched.current() == 1
    source.write_text("2")
    os.utime(source, (time.time() + 5, time.time() + 5))
    watched._checked = 0.0  # skip the once-a-second throttle
    assert watched.current() == 2
    source.write_text("broken")
    os.utime(source, (time.time() + 10, time.time() + 10))
    watched._checked = 0.0
    assert watched.current() == 2  # the broken edit is refused, the last good stays
