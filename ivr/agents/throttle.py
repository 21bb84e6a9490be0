"""Failed web logins counted per account name and per client address, in agents.sqlite
(or with ``[database] url`` PostgreSQL: a lock holds on every node).

A name with ``per_name`` wrong passwords within ``window`` seconds is locked: no password
is checked for it (not even the right one) until the oldest of those failures is
``window`` old. An address gets the same with ``per_address`` (higher: an office behind
one NAT shares it). A good login clears its name's count, not its address's (an attacker
with one account must not reset the count of the address spraying the others). Kept in
the store, not in memory, so a restart of the web app does not forgive, and an admin can
lift a lock from the command line (`hajj-ivr sessions unlock`).
"""

from __future__ import annotations

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

# An attacker chooses the name: what is counted of it is capped.
KEY_CHARS = 64


@dataclass(frozen=True)
class Lock:
    kind: str  # "name" or "address"
    key: str
    seconds_left: float


class LoginThrottle:
    def __init__(
        self,
        path: Path,
        per_name: int,
        per_address: int,
        window: float,
        clock: Callable[[], float] = time.time,
        *,
        database: DatabaseSettings | None = None,
        sql: Sql | None = None,
    ) -> None:
        self.path, self.window, self.clock = path, window, clock
        self.limits = {"name": per_name, "address": per_address}
        self.database = database or DatabaseSettings()
        self._given = sql  # already open (a test's backend): left open at close
        self._db: Sql | None = None
        self._lock = threading.Lock()

    @classmethod
    def for_config(cls, config: Config, clock: Callable[[], float] = time.time) -> LoginThrottle:
        web = config.web
        return cls(
            config.agents_path,
            web.login_failures_per_name,
            web.login_failures_per_address,
            web.login_lock_minutes * 60.0,
            clock,
            database=config.database,
        )

    def _conn(self) -> Sql:
        if self._given is not None:
            return self._given
        if self._db is None:
            self._db = storeplace.held(self.database, self.path, (SCHEMA,), "hajj-ivr-logins")
        return self._db

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                storeplace.release(self._db)
                self._db = None

    def locked(self, name: str, address: str) -> Lock | None:
        """The lock that refuses this name or address now, if any (the longer one)."""
        locks = [self._lock_of("name", name), self._lock_of("address", address)]
        live = [lock for lock in locks if lock is not None]
        return max(live, key=lambda lock: lock.seconds_left) if live else None

    def failed(self, name: str, address: str) -> None:
        now = self.clock()
        with self._lock:
            db = self._conn()
            db.run("DELETE FROM login_failures WHERE at <= ?", (now - self.window,))
            db.run(
                "INSERT INTO login_failures (kind, key, at)"
                " VALUES ('name', ?, ?), ('address', ?, ?)",
                (name[:KEY_CHARS], now, address, now),
            )

    def succeeded(self, name: str) -> None:
        self.clear(name)

    def clear(self, key: str) -> int:
        """Forget the failures of a name or an address; how many there were."""
        with self._lock:
            return self._conn().run("DELETE FROM login_failures WHERE key = ?", (key[:KEY_CHARS],))

    def all_locked(self) -> list[Lock]:
        with self._lock:
            keys = self._conn().all("SELECT DISTINCT kind, key FROM login_failures")
        found = (self._lock_of(kind, key) for kind, key in keys)
        return [lock for lock in found if lock is not None]

    def _lock_of(self, kind: str, key: str) -> Lock | None:
        limit, now = self.limits[kind], self.clock()
        with self._lock:
            # The limit-th most recent failure inside the window: the lock lifts when it
            # leaves the window.
            row = self._conn().one(
                "SELECT at FROM login_failures WHERE kind = ? AND key = ? AND at > ? "
                "ORDER BY at DESC LIMIT 1 OFFSET ?",
                (kind, key[:KEY_CHARS], now - self.window, limit - 1),
            )
        return None if row is None else Lock(kind, key, row[0] + self.window - now)
