"""What a backup archive says of itself (manifest.json): every member with its size and
SHA-256, each SQLite store's schema version and row counts, the data mirror's as-of date,
and the versions that wrote it. No I/O beyond hashing one file and counting a store's rows."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from ivr.errors import BackupError

NAME = "manifest.json"
# A cluster's shared PostgreSQL stores (ivr/backup/database.py), beside the state dir's files.
DATABASE = "postgresql.dump"
FORMAT = 1  # raised when a reader of an older release could not restore the archive
SQLITE_MAGIC = b"SQLite format 3\x00"


@dataclass(frozen=True)
class Store:
    schema: int  # PRAGMA user_version
    rows: Mapping[str, int]  # table -> row count


@dataclass(frozen=True)
class Member:
    path: str  # relative to the state dir, "/" separated
    bytes: int
    sha256: str
    store: Store | None = None  # set for a SQLite store


@dataclass(frozen=True)
class Manifest:
    release: str  # hajj-ivr's version that wrote it
    created: str  # ISO 8601, UTC
    members: tuple[Member, ...]
    mirror_as_of: str | None = None
    format: int = FORMAT

    def to_json(self) -> str:
        return json.dumps(
            {
                "format": self.format,
                "release": self.release,
                "created": self.created,
                "mirror_as_of": self.mirror_as_of,
                "members": [_member_dict(m) for m in self.members],
            },
            indent=1,
        )

    @property
    def tops(self) -> set[str]:
        """The state dir's top-level names the archive holds."""
        return {PurePosixPath(m.path).parts[0] for m in self.members if m.path != DATABASE}

    @property
    def database(self) -> Member | None:
        """The PostgreSQL dump, when the backup was taken with ``[database] url``."""
        return next((m for m in self.members if m.path == DATABASE), None)


def from_json(text: bytes) -> Manifest:
    """Parse manifest.json; anything malformed is a BackupError naming what."""
    try:
        raw = json.loads(text)
        members = tuple(_member(m) for m in raw["members"])
        return Manifest(
            release=str(raw["release"]),
            created=str(raw["created"]),
            members=members,
            mirror_as_of=raw.get("mirror_as_of"),
            format=int(raw["format"]),
        )
    except (ValueError, KeyError, TypeError) as e:
        raise BackupError(f"{NAME} is damaged: {e}") from None


def safe_path(name: str) -> PurePosixPath:
    """A member's path, refused when it could leave the folder it is restored into."""
    path = PurePosixPath(name)
    if path.is_absolute() or not path.parts or ".." in path.parts or "\\" in name:
        raise BackupError(f"the archive names {name!r}, a path outside the state dir")
    return path


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def row_counts(db: sqlite3.Connection, tables: Iterable[str]) -> dict[str, int]:
    """Each of ``tables``' row count (a Store's ``rows``: written by backup, checked by restore)."""
    return {t: int(db.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]) for t in tables}


def is_sqlite(path: Path) -> bool:
    with path.open("rb") as f:
        return f.read(len(SQLITE_MAGIC)) == SQLITE_MAGIC


def _member_dict(m: Member) -> dict[str, Any]:
    out: dict[str, Any] = {"path": m.path, "bytes": m.bytes, "sha256": m.sha256}
    if m.store is not None:
        out["store"] = {"schema": m.store.schema, "rows": dict(m.store.rows)}
    return out


def _member(raw: Mapping[str, Any]) -> Member:
    store = raw.get("store")
    safe_path(str(raw["path"]))
    return Member(
        path=str(raw["path"]),
        bytes=int(raw["bytes"]),
        sha256=str(raw["sha256"]),
        store=None
        if store is None
        else Store(int(store["schema"]), {str(k): int(v) for k, v in store["rows"].items()}),
    )
