"""The stores several nodes share, in PostgreSQL (``[database] url``): the pool the
controller keeps, the :class:`ivr.store.Sql` of a store on it, and the versioned
migrations `hajj-ivr db migrate` runs.

Migrations are ivr.store's idea on a server: each store's :class:`ivr.store.Schema` has
PostgreSQL steps of its own (SQL scripts), ``schema_versions`` records how far each
store's tables are, a step runs in its own transaction, never twice. Two nodes starting
together may both migrate: a session advisory lock lets one of them at a time read the
versions and run what is missing, so the second finds it done.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from typing import Any, Protocol

import psycopg
from psycopg import errors
from psycopg.pq import TransactionStatus
from psycopg_pool import ConnectionPool, PoolTimeout

from ivr.errors import SetupError, SharedStoreError
from ivr.settings import DatabaseSettings, redacted_url
from ivr.store import VERSIONS, Row, Schema

# pg_advisory_lock's key for migrations: any constant; ours spells "hajj".
MIGRATE_LOCK = 0x68616A6A
CONNECT_TIMEOUT = 10.0  # seconds: a server not there fails the start, never hangs it
# Longest a store call waits for a free pooled connection. The calls are synchronous on
# the controller's event loop, like SQLite's (docs/decisions.md, "PostgreSQL").
POOL_WAIT = 5.0

Pool = ConnectionPool[psycopg.Connection[tuple[Any, ...]]]


def open_pool(settings: DatabaseSettings, name: str = "hajj-ivr", *, wait: bool = True) -> Pool:
    """The controller's connections (autocommit: each store call is its own statement).
    ``wait``: until the first connection is made (else it is made in the background, and a
    statement waits for it as for any busy pool)."""
    pool: Pool = ConnectionPool(
        settings.url,
        min_size=1,
        max_size=settings.pool_size,
        kwargs={"autocommit": True, "connect_timeout": int(CONNECT_TIMEOUT)},
        timeout=POOL_WAIT,
        name=name,
        open=False,
    )
    if not wait:
        pool.open(wait=False)
        return pool
    try:
        pool.open(wait=True, timeout=CONNECT_TIMEOUT)
    except PoolTimeout:
        pool.close()
        raise SetupError(
            f"database.url = {redacted_url(settings.url)}: no connection within "
            f"{CONNECT_TIMEOUT:.0f} s (is PostgreSQL up, the database created, the role allowed?)"
        ) from None
    return pool


def close(sql: object) -> None:
    """Close a store's pool (the controller's, at its stop); anything else is left."""
    if isinstance(sql, PgSql) and isinstance(sql.pool, ConnectionPool):
        sql.pool.close()


def connect(settings: DatabaseSettings) -> psycopg.Connection[tuple[Any, ...]]:
    """One autocommit connection (the command line's); SetupError names the URL without
    its password."""
    try:
        return psycopg.connect(settings.url, autocommit=True, connect_timeout=int(CONNECT_TIMEOUT))
    except psycopg.OperationalError as e:
        raise SetupError(f"database.url = {redacted_url(settings.url)}: {e}") from None


def _pg(sql: str) -> str:
    """A store's ``?`` placeholders as psycopg's (no store writes a literal ? or %)."""
    return sql.replace("?", "%s")


class Connections(Protocol):
    """Where PgSql borrows a connection: a pool, or :class:`One`."""

    def connection(self) -> AbstractContextManager[psycopg.Connection[tuple[Any, ...]]]: ...


@dataclass(frozen=True)
class One:
    """One open connection lent again and again (a command's or a page's, short-lived)."""

    conn: psycopg.Connection[tuple[Any, ...]]

    @contextmanager
    def connection(self) -> Iterator[psycopg.Connection[tuple[Any, ...]]]:
        yield self.conn


# The pool a long-running process lends to its short uses (:func:`opened`): the web app's
# pages borrow a connection, never connect anew. (The controller keeps its pool for the
# calls: its scrapes and daily purge connect per use, off the calls' path.)
_lent: dict[str, PgSql] = {}


@contextmanager
def opened(settings: DatabaseSettings) -> Iterator[PgSql]:
    """A store's :class:`PgSql` for the length of the block (a page, the purge, a metrics
    scrape, a command): the process's lent pool (:func:`lending`), else one connection."""
    lent = _lent.get(settings.url)
    if lent is not None:
        yield lent
        return
    with connect(settings) as conn:
        yield PgSql(One(conn))


@contextmanager
def lending(settings: DatabaseSettings, sql: PgSql) -> Iterator[None]:
    """While the block runs, :func:`opened` in this process lends ``sql``'s pool."""
    _lent[settings.url] = sql
    try:
        yield
    finally:
        _lent.pop(settings.url, None)


@dataclass(frozen=True)
class PgSql:
    """:class:`ivr.store.Sql` over a pool (the controller's) or :class:`One` connection:
    each call borrows a connection for one autocommitted statement."""

    pool: Connections
    skip_locked: str = " FOR UPDATE SKIP LOCKED"

    @contextmanager
    def _borrowed(self) -> Iterator[psycopg.Connection[tuple[Any, ...]]]:
        """A connection; any failure of psycopg's as a SharedStoreError (the periodic jobs,
        the flows and /metrics handle HajjIvrError as they handle SQLite's errors)."""
        try:
            with self.pool.connection() as conn:
                yield conn
        except psycopg.Error as e:
            state = e.sqlstate or "no connection"
            raise SharedStoreError(f"PostgreSQL: {type(e).__name__} ({state})") from None

    def one(self, sql: str, args: Sequence[object] = ()) -> Row | None:
        with self._borrowed() as conn:
            return conn.execute(_pg(sql), args).fetchone()

    def all(self, sql: str, args: Sequence[object] = ()) -> list[Row]:
        with self._borrowed() as conn:
            return conn.execute(_pg(sql), args).fetchall()

    def run(self, sql: str, args: Sequence[object] = ()) -> int:
        with self._borrowed() as conn:
            return conn.execute(_pg(sql), args).rowcount

    def insert_unique(self, sql: str, args: Sequence[object] = ()) -> Row | None:
        with self._borrowed() as conn:
            # Inside a transaction a refused row would abort it whole: a savepoint keeps
            # the refusal to this statement, as SQLite does.
            block = conn.info.transaction_status != TransactionStatus.IDLE
            try:
                with conn.transaction() if block else nullcontext():
                    return conn.execute(_pg(sql), args).fetchone()
            except errors.UniqueViolation:
                return None

    def delete_where(
        self, table: str, where: str, args: tuple[object, ...], dry_run: bool = False
    ) -> int:
        """ivr.store.delete_where's batches, by ctid (PostgreSQL has no rowid)."""
        if dry_run:
            row = self.one(f"SELECT count(*) FROM {table} WHERE {where}", args)
            return int(row[0]) if row else 0
        total, batch = 0, 2000
        while True:
            done = self.run(
                f"DELETE FROM {table} WHERE ctid IN "
                f"(SELECT ctid FROM {table} WHERE {where} LIMIT {batch})",
                args,
            )
            total += done
            if done < batch:
                return total

    @contextmanager
    def transaction(self) -> Iterator[PgSql]:
        """One borrowed connection for the block, its statements one transaction."""
        with self._borrowed() as conn, conn.transaction():
            yield PgSql(One(conn), self.skip_locked)


@dataclass(frozen=True)
class Migrated:
    part: str
    before: int
    after: int


def version_of(conn: psycopg.Connection[tuple[Any, ...]], part: str) -> int:
    row = conn.execute("SELECT version FROM schema_versions WHERE part = %s", (part,)).fetchone()
    return int(row[0]) if row else 0


def versions(conn: psycopg.Connection[tuple[Any, ...]]) -> dict[str, int]:
    """Every store's version in this database, read only (none before the first migrate)."""
    row = conn.execute("SELECT to_regclass('schema_versions')").fetchone()
    if row is None or row[0] is None:
        return {}
    return {part: int(v) for part, v in conn.execute("SELECT part, version FROM schema_versions")}


def migrate(conn: psycopg.Connection[tuple[Any, ...]], schema: Schema, where: str) -> Migrated:
    """Bring ``schema``'s tables to this release (``schema.steps``: SQL scripts), under
    migrate_all's lock."""
    conn.execute(VERSIONS)
    before = version_of(conn, schema.part)
    if before > schema.version:
        raise SetupError(
            f"{where}: the {schema.part} tables are at version {before}, newer than this "
            f"release knows ({schema.version}); upgrade hajj-ivr"
        )
    for number in range(before, schema.version):
        step = schema.steps[number]
        assert isinstance(step, str), "a PostgreSQL step is a SQL script"
        with conn.transaction():
            conn.execute(step)  # a script: no parameters, so several statements may run
            conn.execute(
                "INSERT INTO schema_versions (part, version) VALUES (%s, %s) ON CONFLICT"
                " (part) DO UPDATE SET version = excluded.version",
                (schema.part, number + 1),
            )
    return Migrated(schema.part, before, schema.version)


def migrate_all(settings: DatabaseSettings, schemas: Iterable[Schema]) -> list[Migrated]:
    """Every shared store's tables in the configured PostgreSQL, brought to this release."""
    where = redacted_url(settings.url)
    with connect(settings) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (MIGRATE_LOCK,))  # one node at a time
        try:
            return [migrate(conn, schema, where) for schema in schemas]
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (MIGRATE_LOCK,))
