"""Web sessions kept on the server, in agents.sqlite (or with ``[database] url``
PostgreSQL, where every node's web app sees them): what a login cookie stands for.

The cookie carries only a random id; the row (found by the id's hash) holds the user, when
the session began and was last used, and its CSRF token. Every lookup reads the account's
current role and tier with it, so a removed account or a changed role counts at once. A
session ends on logout, on removal of the account, on a new web password, after
``idle`` seconds unused and ``lifetime`` seconds after login whatever the activity.
Nothing of a session is kept in a web app's memory: ended through one node, it is
refused by every other at its next request.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ivr import storeplace
from ivr.agents.schema import SCHEMA
from ivr.config import Config
from ivr.settings import DatabaseSettings
from ivr.store import Sql

Clock = Callable[[], float]
# last_seen is written at most this often per session (seconds): a page and its assets
# are one write, not ten; idle expiry is counted in minutes anyway.
TOUCH_EVERY = 30.0

_LIVE = """
SELECT s.name, a.role, a.tier, s.csrf, s.created_at, s.last_seen, s.address,
    coalesce(u.unit, '')
FROM sessions s JOIN agents a ON a.name = s.name LEFT JOIN account_units u ON u.name = s.name
"""


@dataclass(frozen=True)
class Session:
    name: str
    role: str  # the account's role now, not at login
    tier: int
    csrf: str
    created_at: float
    last_seen: float
    address: str
    unit: str = ""  # a unit login's unit (kind:code), "" for agents and admins


def digest(session_id: str) -> str:
    """What is stored for a session id (SHA-256: the id is 256 random bits, no salt
    needed)."""
    return hashlib.sha256(session_id.encode()).hexdigest()


def end_for(sql: Sql, name: str) -> int:
    """End every session of ``name`` (inside the caller's transaction); how many."""
    return sql.run("DELETE FROM sessions WHERE name = ?", (name,))


class Sessions:
    """The session table, asked on every request: kept open (storeplace.held), used from
    the event loop and worker threads. ``sql``: tables already open (a test's backend),
    left open at close."""

    def __init__(
        self,
        path: Path,
        idle: float,
        lifetime: float,
        clock: Clock = time.time,
        *,
        database: DatabaseSettings | None = None,
        sql: Sql | None = None,
    ):
        self.path, self.idle, self.lifetime, self.clock = path, idle, lifetime, clock
        self.database = database or DatabaseSettings()
        self._given = sql
        self._db: Sql | None = None
        self._lock = threading.Lock()

    @classmethod
    def for_config(cls, config: Config, clock: Clock = time.time) -> Sessions:
        web = config.web
        return cls(
            config.agents_path,
            web.session_minutes * 60.0,
            web.session_max_hours * 3600.0,
            clock,
            database=config.database,
        )

    def _conn(self) -> Sql:
        if self._given is not None:
            return self._given
        if self._db is None:
            self._db = storeplace.held(self.database, self.path, (SCHEMA,), "hajj-ivr-sessions")
        return self._db

    def start(self, name: str, web_hash: str, address: str) -> str | None:
        """A new session for ``name``; its id (for the cookie, never stored). None when the
        account was removed or its password changed since ``web_hash`` was checked."""
        session_id, now = secrets.token_urlsafe(32), self.clock()
        values = (digest(session_id), secrets.token_urlsafe(24), now, now, address)
        with self._lock:
            db = self._conn()
            self._purge(db, now)
            added = db.run(
                "INSERT INTO sessions (id_hash, name, csrf, created_at, last_seen, address)"
                " SELECT ?, name, ?, ?, ?, ? FROM agents WHERE name = ? AND web_hash = ?",
                (*values, name, web_hash),
            )
        return session_id if added else None

    def get(self, session_id: str) -> Session | None:
        """The live session for this id, touched; None when unknown, ended or expired
        (an expired one is deleted), or when its account is gone."""
        key, now = digest(session_id), self.clock()
        with self._lock:
            db = self._conn()
            row = db.one(_LIVE + "WHERE s.id_hash = ?", (key,))
            if row is None:
                return None
            found = Session(*row)
            if not self._alive(found, now):
                db.run("DELETE FROM sessions WHERE id_hash = ?", (key,))
                return None
            if now - found.last_seen >= TOUCH_EVERY:
                db.run("UPDATE sessions SET last_seen = ? WHERE id_hash = ?", (now, key))
        return found

    def end(self, session_id: str) -> None:
        with self._lock:
            self._conn().run("DELETE FROM sessions WHERE id_hash = ?", (digest(session_id),))

    def end_all(self, name: str) -> int:
        """End every session of ``name``; how many there were."""
        with self._lock:
            return end_for(self._conn(), name)

    def live(self) -> list[Session]:
        """Every session still valid, oldest first."""
        now = self.clock()
        with self._lock:
            rows = self._conn().all(_LIVE + "ORDER BY s.created_at")
        return [s for s in (Session(*r) for r in rows) if self._alive(s, now)]

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                storeplace.release(self._db)
                self._db = None

    def _alive(self, session: Session, now: float) -> bool:
        return now - session.last_seen <= self.idle and now - session.created_at <= self.lifetime

    def _purge(self, db: Sql, now: float) -> None:
        """Drop expired rows (and those of removed accounts) so the table stays small."""
        db.run(
            "DELETE FROM sessions WHERE last_seen < ? OR created_at < ? "
            "OR name NOT IN (SELECT name FROM agents)",
            (now - self.idle, now - self.lifetime),
        )
