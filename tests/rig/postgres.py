"""A private PostgreSQL for the store tests: ivr/cluster/pgserver.py's server (the local
cluster's too) in a fresh folder on a free loopback port, stopped by its PID.
Durability is off (fsync, synchronous_commit): the data dies with the test session.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from ivr import pgstore
from ivr.cluster import pgserver
from ivr.config import AsteriskSettings, DatabaseSettings
from ivr.queue.callbacks import PG_SCHEMA, Callbacks
from ivr.store import Schema, Sql, SqliteSql, open_store
from tests.rig.ports import free_port

SUPERUSER = "hajj"


@dataclass
class Postgres:
    folder: Path
    port: int
    pid: int

    @property
    def url(self) -> str:
        return self.url_of("postgres")

    def url_of(self, database: str) -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    @classmethod
    def start(cls) -> Postgres:
        # Not under pytest's tmp (0700 root's, out of the run user's reach).
        folder = Path(tempfile.mkdtemp(prefix="hajj-ivr-pg-"))
        port = free_port()
        try:
            as_user = pgserver.run_user(AsteriskSettings().run_user)
            # Durability off (fsync, synchronous_commit): the data dies with the session.
            pid = pgserver.start(folder, port, SUPERUSER, as_user, durable=False)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        return cls(folder, port, pid)

    def create_database(self, name: str) -> str:
        """A new empty database; its URL."""
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url_of(name)

    def stop(self) -> None:
        """Fast shutdown by PID (SIGKILL if it lingers); the folder removed."""
        try:
            pgserver.stop(self.pid)
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)


@contextlib.contextmanager
def running() -> Iterator[Postgres]:
    server = Postgres.start()
    try:
        yield server
    finally:
        server.stop()


@contextlib.contextmanager
def pg_callbacks(url: str, name: str = "hajj-ivr-test") -> Iterator[Callbacks]:
    """The callback requests in the database at ``url``, migrated as the controller does,
    over a pool of their own (a node's), closed after."""
    settings = DatabaseSettings(url=url)
    pgstore.migrate_all(settings, (PG_SCHEMA,))
    pool = pgstore.open_pool(settings, name)
    try:
        yield Callbacks(pgstore.PgSql(pool))
    finally:
        pool.close()


@dataclass
class Backend:
    """One store test's database on either backend: ``kind`` is "sqlite" (a file in the
    test's folder) or "postgresql" (a fresh database on the session's server). ``sql``
    opens the store's tables as the controller would (SQLite steps, or PostgreSQL ones
    migrated by ivr.pgstore) and gives its :class:`ivr.store.Sql`; everything opened is
    closed at the test's end."""

    kind: str
    folder: Path
    url: str = ""
    _closers: list[Callable[[], None]] = field(default_factory=list)

    @property
    def postgres(self) -> bool:
        return self.kind == "postgresql"

    def sql(
        self, sqlite: Sequence[Schema], pg: Sequence[Schema], name: str = "store.sqlite"
    ) -> Sql:
        """The store's tables; a second call gives a second connection to the same ones
        (another node's, or the web app's beside the controller's)."""
        if not self.postgres:
            db = open_store(self.folder / name, *sqlite, wal=True, threads=True)
            self._closers.append(db.close)
            return SqliteSql(db)
        settings = DatabaseSettings(url=self.url)
        pgstore.migrate_all(settings, pg)
        pool = pgstore.open_pool(settings, "hajj-ivr-test")
        self._closers.append(pool.close)
        return pgstore.PgSql(pool)

    def close(self) -> None:
        while self._closers:
            self._closers.pop()()
