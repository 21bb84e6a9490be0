"""The desk's stores have the same tables and columns on both backends: a column added to
a SQLite step and forgotten in the PostgreSQL one (or the reverse) is caught here, not
on a cluster's first ticket."""

from __future__ import annotations

from contextlib import closing
from pathlib import Path

import psycopg
import pytest

from ivr import pgstore
from ivr.admin import audit, studio
from ivr.agents import schema as accounts
from ivr.complaints import model as tickets
from ivr.settings import DatabaseSettings
from ivr.store import Schema, open_store

PAIRS = [
    ("agents.sqlite", (accounts.SCHEMA,), accounts.PG_SCHEMA),
    ("complaints.sqlite", (tickets.SCHEMA,), tickets.PG_SCHEMA),
    ("admin.sqlite", (audit.SCHEMA,), audit.PG_SCHEMA),
    ("admin.sqlite", (studio.SCHEMA,), studio.PG_SCHEMA),
]
# PostgreSQL has no implicit rowid: history names its key so (ivr.complaints.model).
PG_ONLY = {("history", "rowid")}
# What only several nodes need: on one node the files are the store.
PG_ONLY_TABLES = {"recorded_prompts"}


def sqlite_columns(path: Path, schemas: tuple[Schema, ...]) -> dict[str, list[str]]:
    with closing(open_store(path, *schemas)) as db:
        names = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {
            t: [r[1] for r in db.execute(f"PRAGMA table_info({t})")]
            for t in names
            if t != "schema_versions"
        }


def pg_columns(url: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    with psycopg.connect(url) as conn:
        for table, column in conn.execute(
            "SELECT table_name, column_name FROM information_schema.columns"
            " WHERE table_schema = 'public' AND table_name != 'schema_versions'"
            " ORDER BY table_name, ordinal_position"
        ):
            if (table, column) not in PG_ONLY and table not in PG_ONLY_TABLES:
                found.setdefault(table, []).append(column)
    return found


@pytest.mark.parametrize(("file", "sqlite", "pg"), PAIRS, ids=[p[2].part for p in PAIRS])
def test_desk_store_has_the_same_columns_on_both_backends(
    tmp_path: Path, pg_url: str, file: str, sqlite: tuple[Schema, ...], pg: Schema
) -> None:
    pgstore.migrate_all(DatabaseSettings(url=pg_url), (pg,))
    assert pg_columns(pg_url) == sqlite_columns(tmp_path / file, sqlite)
