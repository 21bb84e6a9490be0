"""Where a store's tables are: its SQLite file in the state dir, or with ``[database]
url`` PostgreSQL (the stores several nodes share). A store's queries are written once,
against :class:`ivr.store.Sql`; this module gives them the place.

psycopg is imported only when a URL is configured: every command loads the stores.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, closing, contextmanager, nullcontext
from pathlib import Path

from ivr.settings import DatabaseSettings
from ivr.store import Schema, Sql, SqliteSql, open_store


@contextmanager
def opened(
    database: DatabaseSettings,
    path: Path,
    sqlite: tuple[Schema, ...],
    *,
    wal: bool = False,
) -> Iterator[Sql]:
    """A store's tables for the length of the block (the web app's request, a command,
    the purge): the file at ``path`` opened with its ``sqlite`` schemas, or PostgreSQL
    over one connection (its tables migrated by `hajj-ivr db migrate` or a controller's
    start, never here). The controller keeps a pool instead (ivr.wiring)."""
    if not database.postgres:
        with closing(open_store(path, *sqlite, wal=wal)) as db:
            yield SqliteSql(db)
        return
    from ivr import pgstore

    with pgstore.opened(database) as sql:
        yield sql


# Where a store opens its tables for a block: the CLI's and the web app's open them per
# use (``at``), the controller hands its pool (``kept``).
Place = Callable[[], AbstractContextManager[Sql]]


def at(database: DatabaseSettings, path: Path, sqlite: tuple[Schema, ...]) -> Place:
    """The store's tables opened anew for each block (:func:`opened`)."""
    return functools.partial(opened, database, path, sqlite)


def kept(sql: Sql) -> Place:
    """Tables always open (the controller's pool, a test's connection)."""
    return lambda: nullcontext(sql)


def held(database: DatabaseSettings, path: Path, sqlite: tuple[Schema, ...], name: str) -> Sql:
    """A store's tables kept open by a long-lived user (the web app's sessions, asked on
    every request): the SQLite file on one connection shared with worker threads, or a
    small PostgreSQL pool of its own named ``name`` (it reconnects after a server
    restart, where one connection would stay broken). Closed by :func:`release`."""
    if not database.postgres:
        return SqliteSql(open_store(path, *sqlite, threads=True))
    from ivr import pgstore

    return pgstore.PgSql(pgstore.open_pool(database, name))


def release(sql: Sql) -> None:
    """Close what :func:`held` opened."""
    if isinstance(sql, SqliteSql):
        sql.db.close()
        return
    from ivr import pgstore

    pgstore.close(sql)


def chosen(
    path: Path,
    sqlite: tuple[Schema, ...],
    database: DatabaseSettings | None = None,
    sql: Sql | None = None,
) -> Place:
    """A store's place from what its opener gave: an open ``sql`` (the controller's pool,
    a test's backend), else its file at ``path`` or ``database``'s PostgreSQL."""
    if sql is not None:
        return kept(sql)
    return at(database or DatabaseSettings(), path, sqlite)
