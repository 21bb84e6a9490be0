"""`hajj-ivr restore`: put a backup archive back, whole or not at all.

The archive is read into a staging folder inside the state dir and checked before anything
live is touched: its manifest (format and release not newer than ours), every member's
size and SHA-256, every store's integrity and row counts. Only then is the live data moved
aside and the staged data renamed into place (one rename per top-level name, on one file
system); if a rename fails, what was moved goes back. The hotline must be stopped: a store
open in the controller would keep writing to the file it had open.

An archive taken with ``[database] url`` also holds the shared PostgreSQL stores; they are
put back (in one transaction, before the files) only with ``database``, as every node
shares them: every node stopped first.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import tarfile
import tempfile
from contextlib import closing
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import IO

from ivr.asterisk import process
from ivr.backup import database as shared
from ivr.backup import manifest, take
from ivr.backup.manifest import Manifest, Member
from ivr.config import Config, DatabaseSettings
from ivr.errors import BackupError, HajjIvrError

SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")


@dataclass(frozen=True)
class Restored:
    manifest: Manifest
    replaced: tuple[str, ...]  # top-level names of the state dir that were replaced
    database: bool = False  # the shared PostgreSQL stores put back too


def restore(
    config: Config, archive: Path, replace: bool = False, database: bool = False
) -> Restored:
    """Restore ``archive`` into the state dir. A state dir that already holds data is
    replaced only with ``replace``; the archive's PostgreSQL stores go back into
    ``[database] url`` only with ``database``."""
    state = config.state_dir
    if database and not config.database.postgres:
        raise BackupError("--database: this node has no [database] url to restore into")
    _refuse_running(config)
    live = take.data_files(state) if state.is_dir() else []
    if live and not replace:
        raise BackupError(
            f"{state} already holds a hotline's data ({len(live)} files); "
            "restore with --replace to put the archive's in its place"
        )
    # Owners and modes: every file is written 0600 in 0700 folders here; the next start
    # (files.secure_state) hands Asterisk its folders, as after any upgrade.
    return _open_checked(archive, state, config.database if database else None)


def _open_checked(archive: Path, state: Path, into: DatabaseSettings | None) -> Restored:
    try:
        with tarfile.open(archive, "r:") as tar:
            found = _manifest(tar)
            _check_release(found)
            state.mkdir(parents=True, exist_ok=True, mode=0o700)
            staging = Path(tempfile.mkdtemp(dir=state, prefix=".restore-"))
            try:
                _extract(tar, found, staging)
                _check_stores(found, staging)
                if into is not None:
                    if found.database is None:
                        raise BackupError(
                            "the archive holds no PostgreSQL stores (taken without "
                            "[database] url): restore it without --database"
                        )
                    shared.load(into, staging / manifest.DATABASE)
                return Restored(found, _swap(state, staging, found), into is not None)
            finally:
                shutil.rmtree(staging, ignore_errors=True)
    except (tarfile.TarError, OSError, EOFError) as e:
        raise BackupError(f"{archive} is not a readable backup archive: {e}") from None


def _refuse_running(config: Config) -> None:
    pidfile = config.controller_pidfile
    if pidfile.exists() and _alive(pidfile.read_text().strip()):
        raise BackupError("the controller is running: stop the hotline before restoring")
    try:
        pid = process.Asterisk.from_config(config).pid()
    except HajjIvrError:
        pid = None
    if pid is not None:
        raise BackupError(f"Asterisk is running (pid {pid}): stop the hotline before restoring")


def _alive(text: str) -> bool:
    try:
        os.kill(int(text), 0)
    except (ValueError, ProcessLookupError):
        return False
    except PermissionError:
        return True
    return True


def _manifest(tar: tarfile.TarFile) -> Manifest:
    try:
        member = tar.getmember(manifest.NAME)
    except KeyError:
        raise BackupError(f"no {manifest.NAME} in the archive: not a hajj-ivr backup") from None
    handle = tar.extractfile(member)
    if handle is None:
        raise BackupError(f"{manifest.NAME} in the archive is not a file")
    return manifest.from_json(handle.read(1 << 24))


def _check_release(found: Manifest) -> None:
    ours = metadata.version("hajj-ivr")
    if found.format > manifest.FORMAT:
        raise BackupError(
            f"the archive's format {found.format} is newer than this release reads "
            f"({manifest.FORMAT}): restore it with hajj-ivr {found.release} or later"
        )
    if _release(found.release) > _release(ours):
        raise BackupError(
            f"the archive was written by hajj-ivr {found.release}, newer than this "
            f"{ours}: its stores may not open here; upgrade first"
        )


def _release(text: str) -> tuple[int, ...]:
    """ "0.1.0" -> (0, 1, 0); a part that is not a number ends it ("1.2.dev3" -> (1, 2))."""
    parts = []
    for part in text.split("."):
        if not part.isdigit():
            break
        parts.append(int(part))
    if not parts:
        raise BackupError(f"the archive names release {text!r}")
    return tuple(parts)


def _extract(tar: tarfile.TarFile, found: Manifest, staging: Path) -> None:
    """Each listed member, checked against its size and SHA-256 as it is written."""
    for member in found.members:
        rel = manifest.safe_path(member.path)
        try:
            info = tar.getmember(member.path)
        except KeyError:
            raise BackupError(f"{member.path} is listed but missing from the archive") from None
        handle = tar.extractfile(info) if info.isfile() else None
        if handle is None:
            raise BackupError(f"{member.path} in the archive is not a plain file")
        target = staging.joinpath(*rel.parts)
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        _write_checked(handle, target, member)


def _write_checked(handle: IO[bytes], target: Path, member: Member) -> None:
    digest, size = hashlib.sha256(), 0
    with target.open("wb") as out:
        while chunk := handle.read(1 << 20):
            size += len(chunk)
            if size > member.bytes:
                break
            digest.update(chunk)
            out.write(chunk)
    if size != member.bytes or digest.hexdigest() != member.sha256:
        raise BackupError(f"{member.path} in the archive is damaged (size or checksum differ)")


def _check_stores(found: Manifest, staging: Path) -> None:
    for member in found.members:
        if member.store is None:
            continue
        path = staging / member.path
        try:
            with closing(sqlite3.connect(path)) as db:
                (verdict,) = db.execute("PRAGMA integrity_check").fetchone()
                rows = manifest.row_counts(db, member.store.rows)
        except sqlite3.Error as e:
            raise BackupError(f"{member.path} in the archive does not open: {e}") from None
        if verdict != "ok" or rows != dict(member.store.rows):
            raise BackupError(f"{member.path} in the archive fails its check ({verdict})")


def _swap(state: Path, staging: Path, found: Manifest) -> tuple[str, ...]:
    """Move the live data aside, the staged data in; on a failure, put everything back."""
    live_tops = {rel.parts[0] for rel in take.data_files(state)}
    tops = sorted(live_tops | found.tops)
    aside = Path(tempfile.mkdtemp(dir=state, prefix=".replaced-"))
    moved: list[str] = []
    placed: list[str] = []
    try:
        for name in tops:
            for each in (name, *(name + s for s in SQLITE_SIDE_FILES)):
                if (state / each).exists():
                    os.rename(state / each, aside / each)
                    moved.append(each)
        for name in sorted(found.tops):
            os.rename(staging / name, state / name)
            placed.append(name)
    except OSError as e:
        for name in placed:
            os.rename(state / name, staging / name)
        for each in moved:
            os.rename(aside / each, state / each)
        shutil.rmtree(aside, ignore_errors=True)
        raise BackupError(f"restore stopped ({e}); the data that was there is back") from e
    shutil.rmtree(aside)
    return tuple(tops)
