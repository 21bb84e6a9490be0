"""A store's PostgreSQL steps make the tables its SQLite steps make: the same tables with
the same columns in the same order (the queries are written once for both, and a row is
read into the store's dataclass by position)."""

from __future__ import annotations

from contextlib import closing
from pathlib import Path

import psycopg
import pytest

from ivr import calldb, pgstore, storefiles
from ivr.settings import DatabaseSettings
from ivr.store import Schema, open_store

SQLITE = {schema.part: schema for schema in calldb.SCHEMAS}


def sqlite_tables(path: Path, *schemas: Schema) -> dict[str, list[str]]:
    with closing(open_store(path, *schemas)) as db:
        names = [n for (n,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {
            name: [row[1] for row in db.execute(f"PRAGMA table_info({name})")]
            for name in names
            if name != "schema_versions"
        }


def pg_tables(url: str) -> dict[str, list[str]]:
    tables: dict[str, list[str]] = {}
    with psycopg.connect(url) as conn:
        for table, column in conn.execute(
            "SELECT table_name, column_name FROM information_schema.columns"
            " WHERE table_schema = 'public' AND table_name != 'schema_versions'"
            " ORDER BY table_name, ordinal_position"
        ):
            tables.setdefault(table, []).append(column)
    return tables


@pytest.mark.parametrize(
    "part", [s.part for s in storefiles.PG_SCHEMAS if s.part in SQLITE], ids=str
)
def test_store_pg_schema_has_the_sqlite_schemas_tables_and_columns(
    part: str, pg_url: str, tmp_path: Path
) -> None:
    (pg,) = [s for s in storefiles.PG_SCHEMAS if s.part == part]
    pgstore.migrate_all(DatabaseSettings(url=pg_url), (pg,))
    assert pg_tables(pg_url) == sqlite_tables(tmp_path / "calls.sqlite", SQLITE[part])
