"""Where a store's tables are: its SQLite file in the state dir, or with ``[database]
url`` PostgreSQL (the stores several nodes share). A store's queries are written once,
against :class:`ivr.store.Sql`; this module gives them the place.

psycopg is imported only when a URL is configured: every command loads the stores.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import closing, contextmanager
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
