"""The reload log: who reloaded what, when, and what came of it (state_dir/admin.sqlite)."""

from __future__ import annotations

import sqlite3
import time
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from ivr.config import Config
from ivr.store import Schema, open_store

_V1 = """
CREATE TABLE IF NOT EXISTS reloads (
    id INTEGER PRIMARY KEY,
    at REAL NOT NULL,
    who TEXT NOT NULL,       -- the OS user at a terminal, or the web login
    what TEXT NOT NULL,      -- data | prompts | asterisk | announcements | hours |
                             -- pembatalan | pelimpahan
    ok INTEGER NOT NULL,
    detail TEXT NOT NULL     -- the result as shown to the admin
);
"""
SCHEMA = Schema("reload_log", (_V1,))


@dataclass(frozen=True)
class Reload:
    id: int
    at: float
    who: str
    what: str
    ok: bool
    detail: str


class Audit:
    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def for_config(cls, config: Config) -> Audit:
        return cls(config.state_dir / "admin.sqlite")

    def _db(self) -> sqlite3.Connection:
        return open_store(self.path, SCHEMA)

    def record(self, who: str, what: str, ok: bool, detail: str) -> Reload:
        at = time.time()
        with closing(self._db()) as db:
            cur = db.execute(
                "INSERT INTO reloads (at, who, what, ok, detail) VALUES (?, ?, ?, ?, ?)",
                (at, who, what, int(ok), detail),
            )
        return Reload(int(cur.lastrowid or 0), at, who, what, ok, detail)

    def recent(self, limit: int = 50) -> list[Reload]:
        if not self.path.exists():
            return []
        with closing(self._db()) as db:
            rows = db.execute(
                "SELECT id, at, who, what, ok, detail FROM reloads ORDER BY id DESC LIMIT ?",
                (limit,),
            ).fetchall()
        return [Reload(r[0], r[1], r[2], r[3], bool(r[4]), r[5]) for r in rows]

    def counts(self, what: str) -> tuple[int, int]:
        """How many ``what`` reloads (data: imports) succeeded and failed, ever: the log
        is never purged, so a metric can count them."""
        if not self.path.exists():
            return 0, 0
        with closing(self._db()) as db:
            ok, failed = db.execute(
                "SELECT coalesce(sum(ok), 0), coalesce(sum(1 - ok), 0) FROM reloads WHERE what = ?",
                (what,),
            ).fetchone()
        return int(ok), int(failed)
