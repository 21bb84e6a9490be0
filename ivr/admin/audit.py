"""The admins' audit (state_dir/admin.sqlite): the reload log (who reloaded what, when, and
what came of it) and the supervision log (who listened, whispered or barged in on which
agent's call, when)."""

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
# A supervisor's (or admin's) listen, whisper or barge leg, written when it is asked for:
# an attempt that failed (no phone, the agent not on a call) is kept too, with ok = 0.
_SUPERVISION = """
CREATE TABLE IF NOT EXISTS supervision (
    id INTEGER PRIMARY KEY,
    at REAL NOT NULL,
    who TEXT NOT NULL,       -- the web login that asked
    agent TEXT NOT NULL,     -- whose call
    call_id TEXT NOT NULL,   -- the caller's channel uniqueid ('' when not found)
    mode TEXT NOT NULL,      -- listen | whisper | barge
    ok INTEGER NOT NULL,
    detail TEXT NOT NULL
);
"""
SCHEMA = Schema("reload_log", (_V1, _SUPERVISION))


@dataclass(frozen=True)
class Reload:
    id: int
    at: float
    who: str
    what: str
    ok: bool
    detail: str


@dataclass(frozen=True)
class Supervision:
    id: int
    at: float
    who: str
    agent: str
    call_id: str
    mode: str
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

    def supervised(
        self, who: str, agent: str, call_id: str, mode: str, ok: bool, detail: str
    ) -> Supervision:
        """Log one supervision leg asked for (placed or refused)."""
        at = time.time()
        with closing(self._db()) as db:
            cur = db.execute(
                "INSERT INTO supervision (at, who, agent, call_id, mode, ok, detail) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (at, who, agent, call_id, mode, int(ok), detail),
            )
        return Supervision(int(cur.lastrowid or 0), at, who, agent, call_id, mode, ok, detail)

    def supervisions(self, limit: int = 50) -> list[Supervision]:
        if not self.path.exists():
            return []
        with closing(self._db()) as db:
            rows = db.execute(
                "SELECT id, at, who, agent, call_id, mode, ok, detail FROM supervision "
                "ORDER BY id DESC LIMIT ?",
                (limit,),
            ).fetchall()
        return [Supervision(r[0], r[1], r[2], r[3], r[4], r[5], bool(r[6]), r[7]) for r in rows]

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
