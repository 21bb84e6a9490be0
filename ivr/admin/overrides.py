"""What admins change from the dashboard, kept in state_dir/overrides/ (never the repo):

- ``announcements.toml``: the general-information announcements (IVR menu 2), replacing
  prompts/announcements.toml when present; ``umrah-announcements.toml`` likewise for the
  umrah announcements (IVR menu 4, then 2);
- ``hours.toml``: staffed hours, days and holidays, over the [agents] config;
- ``pembatalan.toml``, ``pelimpahan.toml``: how to cancel a porsi, how to delegate one
  (general information), edited like the announcements;
- ``kantor.toml``: each district office's name and address as prompts, written from the
  mirror after every import (not edited by hand: the next import rewrites it).

The controller picks both up on the next call (see ``Watched``): no restart.

With ``[database] url`` several nodes share one dashboard's edits: each save goes to
PostgreSQL (``override_files``) before the node's own file, and every node's controller
writes what it finds there into its own folder (:func:`pull`, a periodic job), where
``Watched`` picks it up as if saved locally.
"""

from __future__ import annotations

import logging
import os
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Generic, TypeVar

from ivr import storeplace
from ivr.config import AgentSettings, Config
from ivr.errors import ConfigError
from ivr.hours import Schedule
from ivr.prompts.catalog import Catalog, sources
from ivr.store import Schema, Sql, took, unchanged

log = logging.getLogger(__name__)
T = TypeVar("T")

ANNOUNCEMENTS = "announcements.toml"
UMRAH_ANNOUNCEMENTS = "umrah-announcements.toml"


@dataclass(frozen=True)
class Announcements:
    """A list of admin-edited texts (announcements, how to cancel, ...): its catalog file
    and its prompt ids' prefix."""

    file: str
    prefix: str

    def texts(self, catalog: Catalog) -> list[str]:
        return [catalog[pid].text for pid in catalog if pid.startswith(self.prefix)]


GENERAL = Announcements(ANNOUNCEMENTS, "announce-")
UMRAH = Announcements(UMRAH_ANNOUNCEMENTS, "umrah-announce-")
CANCEL = Announcements("pembatalan.toml", "pembatalan-")  # how to cancel a porsi
DELEGATE = Announcements("pelimpahan.toml", "pelimpahan-")  # how to delegate one
# Admin-editable lists of general information by file.
EDITABLE = {kind.file: kind for kind in (GENERAL, CANCEL, DELEGATE)}
HOURS = "hours.toml"
OFFICES = "kantor.toml"
MAX_ANNOUNCEMENTS = 9
# The admins' edits shared through PostgreSQL. Not kantor.toml: every node writes it from
# its own copy of the mirror; the prompts recorded by phone go through ivr.admin.studio.
SHARED = (ANNOUNCEMENTS, UMRAH_ANNOUNCEMENTS, HOURS, CANCEL.file, DELEGATE.file)

# Only in PostgreSQL: on one node the files are the overrides.
_PG_V1 = """
CREATE TABLE IF NOT EXISTS override_files (
    name TEXT PRIMARY KEY,           -- the file's name in the overrides folder
    text TEXT NOT NULL,
    saved_at DOUBLE PRECISION NOT NULL
);
"""
PG_SCHEMA = Schema("overrides", (_PG_V1,))


def hours_settings(config: Config) -> AgentSettings:
    """The [agents] settings with the dashboard's staffed hours over them."""
    path = config.overrides_dir / HOURS
    if not path.exists():
        return config.agents
    try:
        values = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise ConfigError(f"{path}: {e}") from None
    current = config.agents
    return replace(
        current,
        hours=str(values.get("hours", current.hours)),
        days=str(values.get("days", current.days)),
        holidays=str(values.get("holidays", current.holidays)),
        timezone=str(values.get("timezone", current.timezone)),
    )


def save_hours(config: Config, hours: str, days: str, holidays: str) -> Schedule:
    """Validate and store staffed hours; ValueError says what is wrong (nothing saved)."""
    settings = replace(
        config.agents, hours=hours.strip(), days=days.strip(), holidays=holidays.strip()
    )
    schedule = Schedule.from_settings(settings)
    text = "".join(f'{key} = "{getattr(settings, key)}"\n' for key in ("hours", "days", "holidays"))
    _save(config, HOURS, text)
    return schedule


def save_announcements(
    config: Config, texts: list[str], kind: Announcements = GENERAL
) -> list[str]:
    """Store one admin-edited list (announcements, how to cancel, ...), empty texts
    dropped; returns their prompt ids."""
    kept = [" ".join(t.split()) for t in texts if t.strip()]
    if len(kept) > MAX_ANNOUNCEMENTS:
        raise ValueError(f"at most {MAX_ANNOUNCEMENTS} entries")
    texts_by_id = {f"{kind.prefix}{n}": text for n, text in enumerate(kept, 1)}
    head = f"# Edited on the dashboard; replaces prompts/{kind.file}.\n"
    _save(config, kind.file, head + _toml(texts_by_id))
    return list(texts_by_id)


def save_entries(config: Config, file: str, texts: list[str]) -> list[str]:
    """Store one admin-editable list of general information by its file (``EDITABLE``)."""
    return save_announcements(config, texts, EDITABLE[file])


def save_office_prompts(config: Config, texts: dict[str, str]) -> int:
    """Store the offices' names and addresses as prompts (``offices.prompts`` of the live
    mirror); returns how many."""
    head = f"# Written at import from kantor.csv; replaces prompts/{OFFICES}.\n"
    _write(config.overrides_dir / OFFICES, head + _toml(texts))
    return len(texts)


def _toml(texts: dict[str, str]) -> str:
    lines = []
    for pid, text in texts.items():
        escaped = text.replace("\\", "\\\\").replace('"', '\\"')
        lines.append(f'[{pid}]\nid = "{escaped}"\n\n')
    return "".join(lines)


def _save(config: Config, name: str, text: str) -> None:
    """The shared copy first (a save PostgreSQL refused changes nothing), then this
    node's file."""
    if config.database.postgres:
        with storeplace.opened(config.database, config.overrides_dir, ()) as sql:
            sql.run(
                "INSERT INTO override_files (name, text, saved_at) VALUES (?, ?, ?)"
                " ON CONFLICT (name) DO UPDATE SET text = excluded.text,"
                " saved_at = excluded.saved_at",
                (name, text, time.time()),
            )
    _write(config.overrides_dir / name, text)


def pull(config: Config, sql: Sql | None = None, seen: dict[str, float] | None = None) -> list[str]:
    """Write into this node's overrides folder every shared file another node saved
    (or that this node lacks); their names (none without ``[database] url``). ``sql``:
    the controller's pool (else a connection for this pull). ``seen``: each file's save
    time as the last pull took it, kept by the caller between pulls: while no file was
    saved since, a pull reads the times only, not the texts."""
    if not config.database.postgres:
        return []
    with storeplace.chosen(config.overrides_dir, (), config.database, sql)() as shared:
        if unchanged(shared, "override_files", "name", seen):
            return []
        rows = shared.all("SELECT name, text, saved_at FROM override_files")
    changed = []
    for name, text, _ in rows:
        path = config.overrides_dir / str(name)
        if name in SHARED and _read(path) != text:
            _write(path, str(text))
            changed.append(str(name))
    took(seen, rows)  # every file written: the next pull may skip them
    return changed


def _read(path: Path) -> str | None:
    try:
        return path.read_text()
    except FileNotFoundError:
        return None


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


@dataclass
class Watched(Generic[T]):
    """A value loaded from files, reloaded when one of them changes (checked at most once
    a second). A reload that fails keeps the last good value and logs why."""

    paths: Callable[[], list[Path]]
    load: Callable[[], T]
    every: float = 1.0  # seconds between looks at the files (0: on every use)
    _value: T | None = None
    _stamp: tuple[float, ...] = ()
    _checked: float = 0.0

    def current(self) -> T:
        now = time.monotonic()
        if self._value is not None and now - self._checked < self.every:
            return self._value
        self._checked = now
        stamp = tuple(_mtime(p) for p in self.paths())
        if self._value is None or stamp != self._stamp:
            try:
                self._value = self.load()
                self._stamp = stamp
            except (ConfigError, ValueError) as e:
                if self._value is None:
                    raise
                log.error("reload refused, keeping the previous version: %s", e)
                self._stamp = stamp
        assert self._value is not None
        return self._value


def watched_catalog(config: Config, every: float = 1.0) -> Watched[Catalog]:
    """The prompt catalog with the dashboard's announcements over it."""
    return Watched(
        lambda: sources(config.prompts_dir, config.overrides_dir),
        lambda: Catalog.load(config.prompts_dir, config.overrides_dir),
        every,
    )


def watched_schedule(config: Config, every: float = 1.0) -> Watched[Schedule]:
    """Staffed hours with the dashboard's edits over the [agents] config."""
    return Watched(
        lambda: [config.overrides_dir / HOURS],
        lambda: Schedule.from_settings(hours_settings(config)),
        every,
    )


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime_ns / 1e9
    except FileNotFoundError:
        return 0.0
