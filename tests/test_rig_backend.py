"""The two-backend store fixture: one store, two connections, one set of rows."""

from __future__ import annotations

from pathlib import Path

from ivr import pgstore, storeplace
from ivr.queue.callbacks import PG_SCHEMA, SCHEMA, Callbacks, Request
from ivr.settings import DatabaseSettings
from tests.rig.postgres import Backend


def test_backend_callbacks_one_request_seen_from_a_second_connection(backend: Backend) -> None:
    one = Callbacks(backend.sql((SCHEMA,), (PG_SCHEMA,)))
    two = Callbacks(backend.sql((SCHEMA,), (PG_SCHEMA,)))
    one.request(Request("0811000001"), now=1)
    assert two.pending()["open"] == 1


def test_storeplace_sqlite_opens_the_file_with_its_tables(tmp_path: Path) -> None:
    with storeplace.opened(DatabaseSettings(), tmp_path / "calls.sqlite", (SCHEMA,)) as sql:
        Callbacks(sql).request(Request("0811000002"), now=1)
    with storeplace.opened(DatabaseSettings(), tmp_path / "calls.sqlite", (SCHEMA,)) as sql:
        assert Callbacks(sql).pending()["open"] == 1


def test_storeplace_postgresql_reaches_the_tables_a_migration_made(pg_url: str) -> None:
    settings = DatabaseSettings(url=pg_url)
    pgstore.migrate_all(settings, (PG_SCHEMA,))
    with storeplace.opened(settings, Path("/nonexistent/calls.sqlite"), (SCHEMA,)) as sql:
        Callbacks(sql).request(Request("0811000003"), now=1)
        assert Callbacks(sql).pending()["open"] == 1
