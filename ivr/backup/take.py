"""`hajj-ivr backup`: one archive of a hotline's state, consistent while calls run.

Every SQLite store is copied with SQLite's online backup API, a consistent snapshot while
the controller and the web app go on writing; every other data file of the state dir
(complaint recordings and replies, dashboard overrides, secrets, the complaint spool) is
copied as it is; with ``[database] url`` the shared stores are dumped by pg_dump beside
them (ivr/backup/database.py). What the project rebuilds (Asterisk's rendered config,
built prompts) or what is temporary (uploads, pid and lock files, SQLite's -wal and
-shm) is left out. The archive is a tar written beside its final name and renamed into
place when complete, 0600; a backup that fails leaves none.
"""

from __future__ import annotations

import datetime as dt
import shutil
import sqlite3
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from ivr.backup import database, manifest
from ivr.backup.manifest import Manifest, Member, Store
from ivr.config import Config, DatabaseSettings
from ivr.data.mirror import Mirror
from ivr.errors import BackupError, DataError

LEFT_OUT_DIRS = frozenset({"asterisk", "sounds", "uploads", "sample", "test-sounds", "backups"})
LEFT_OUT_SUFFIXES = ("-wal", "-shm", "-journal", ".lock", ".pid", ".new", ".partial")
PREFIX = "hajj-ivr-backup-"


@dataclass(frozen=True)
class Taken:
    path: Path
    manifest: Manifest
    removed: tuple[Path, ...]  # older backups past the count to keep


def data_files(state_dir: Path) -> list[Path]:
    """The state dir's data files, relative to it, sorted."""
    found = []
    for path in sorted(state_dir.rglob("*")):
        rel = path.relative_to(state_dir)
        if rel.parts[0] in LEFT_OUT_DIRS or rel.parts[0].startswith("."):
            continue
        if path.is_symlink() or not path.is_file() or path.name.endswith(LEFT_OUT_SUFFIXES):
            continue
        found.append(rel)
    return found


def default_dir(config: Config) -> Path:
    return config.state_dir / "backups"


def take(
    config: Config,
    target: Path | None = None,
    keep: int = 0,
    now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
) -> Taken:
    """Back the state dir up into ``target`` (a folder: a new dated archive in it; default
    state_dir/backups); then keep only the newest ``keep`` archives there (0: all)."""
    stamp = now()
    folder, path = _destination(config, target, stamp)
    if path.exists():
        raise BackupError(f"{path} exists (a backup in the same second?): try again")
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    partial = path.with_name(path.name + ".partial")
    try:
        with tempfile.TemporaryDirectory(dir=folder, prefix=".backup-") as scratch:
            members = tuple(_add_all(config.state_dir, Path(scratch), partial, config.database))
            found = Manifest(
                release=metadata.version("hajj-ivr"),
                created=stamp.isoformat(timespec="seconds"),
                members=members,
                mirror_as_of=_mirror_as_of(config),
            )
            with tarfile.open(partial, "a") as tar:
                _add_bytes(tar, manifest.NAME, found.to_json().encode(), Path(scratch))
    except BaseException:
        partial.unlink(missing_ok=True)  # no half archive beside the whole ones
        raise
    partial.chmod(0o600)
    partial.rename(path)
    return Taken(path, found, _prune(folder, keep) if keep else ())


def _destination(config: Config, target: Path | None, stamp: dt.datetime) -> tuple[Path, Path]:
    name = f"{PREFIX}{stamp.strftime('%Y%m%dT%H%M%SZ')}.tar"
    if target is None:
        return default_dir(config), default_dir(config) / name
    if target.is_dir() or not target.suffix:
        return target, target / name
    return target.parent, target


def _add_all(
    state_dir: Path, scratch: Path, archive: Path, shared: DatabaseSettings
) -> Iterator[Member]:
    if not state_dir.is_dir():
        raise BackupError(f"no state dir at {state_dir}: nothing to back up")
    with tarfile.open(archive, "w") as tar:
        copy = scratch / "member"
        for rel in data_files(state_dir):
            store = _copy(state_dir / rel, copy)
            yield _added(tar, copy, rel.as_posix(), store)
        if shared.postgres:
            database.dump(shared, copy)
            yield _added(tar, copy, manifest.DATABASE, None)


def _added(tar: tarfile.TarFile, copy: Path, name: str, store: Store | None) -> Member:
    """``copy`` into the archive as ``name``, then removed; its manifest entry."""
    member = Member(name, copy.stat().st_size, manifest.sha256_of(copy), store)
    tar.add(copy, arcname=name, recursive=False, filter=_plain)
    copy.unlink()
    return member


def _copy(source: Path, copy: Path) -> Store | None:
    """Copy one file; a SQLite store through the online backup API, with its counts."""
    if not manifest.is_sqlite(source):
        shutil.copyfile(source, copy)
        return None
    try:
        with (
            closing(sqlite3.connect(source)) as live,
            closing(sqlite3.connect(copy)) as snapshot,
        ):
            live.backup(snapshot)
            return _counts(snapshot)
    except sqlite3.Error as e:
        raise BackupError(f"cannot back up {source}: {e}") from e


def _counts(db: sqlite3.Connection) -> Store:
    (schema,) = db.execute("PRAGMA user_version").fetchone()
    tables = [
        name
        for (name,) in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            " ORDER BY name"
        )
    ]
    return Store(int(schema), manifest.row_counts(db, tables))


def _plain(info: tarfile.TarInfo) -> tarfile.TarInfo:
    """No owner names or ids from this machine; restore sets owners and modes itself."""
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    info.mode = 0o600
    return info


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes, scratch: Path) -> None:
    path = scratch / "manifest"
    path.write_bytes(data)
    tar.add(path, arcname=name, recursive=False, filter=_plain)


def _mirror_as_of(config: Config) -> str | None:
    if not config.mirror_path.exists():
        return None
    try:
        with Mirror(config.mirror_path) as mirror:
            return mirror.as_of.isoformat()
    except DataError:
        return None


def _prune(folder: Path, keep: int) -> tuple[Path, ...]:
    """Our dated archives in ``folder``, all but the newest ``keep``, deleted."""
    ours = sorted(folder.glob(f"{PREFIX}*.tar"))
    old = tuple(ours[:-keep]) if len(ours) > keep else ()
    for path in old:
        path.unlink()
    return old
