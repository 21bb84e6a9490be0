"""The desk's stores have the same tables and columns on both backends: a column added to
a SQLite step and forgotten in the PostgreSQL one (or the reverse) is caught here, not
on a cluster's first ticket."""

from __future__ import annotations

from pathlib import Path

import pytest

from ivr import pgstore
from ivr.admin import audit, studio
from ivr.agents import schema as accounts
from ivr.complaints import model as tickets
from ivr.settings import DatabaseSettings
from ivr.store import Schema
from tests.test_store_pg_columns import pg_tables, sqlite_tables

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


def pg_columns(url: str) -> dict[str, list[str]]:
    """PostgreSQL's tables and columns, less what only several nodes need."""
    return {
        table: [c for c in columns if (table, c) not in PG_ONLY]
        for table, columns in pg_tables(url).items()
        if table not in PG_ONLY_TABLES
    }


@pytest.mark.parametrize(("file", "sqlite", "pg"), PAIRS, ids=[p[2].part for p in PAIRS])
def test_desk_store_has_the_same_columns_on_both_backends(
    tmp_path: Path, pg_url: str, file: str, sqlite: tuple[Schema, ...], pg: Schema
) -> None:
    pgstore.migrate_all(DatabaseSettings(url=pg_url), (pg,))
    assert pg_columns(pg_url) == sqlite_tables(tmp_path / file, *sqlite)
