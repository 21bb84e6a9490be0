"""The call log's stores on either backend for a store test (tests/rig/postgres.py's
Backend): calls.sqlite in the test's folder, or the test's PostgreSQL database, opened as
the controller opens them (ivr.calldb: every table, or every shared store's migrated)."""

from __future__ import annotations

from ivr import calldb, storefiles
from ivr.calllog import CallLogReader
from ivr.settings import DatabaseSettings
from ivr.store import Sql
from tests.rig.postgres import Backend

FILE = "calls.sqlite"


def stores(backend: Backend) -> Sql:
    """A connection to the call log's tables (call again for a second one: another node's,
    or the web app's beside the controller's)."""
    return backend.sql(calldb.SCHEMAS, storefiles.PG_SCHEMAS, FILE)


def database(backend: Backend) -> DatabaseSettings:
    """The ``[database]`` settings that reach the backend (no URL: SQLite)."""
    return DatabaseSettings(url=backend.url)


def reader(backend: Backend) -> CallLogReader:
    """The call log's reader as the CLI and the web app make it."""
    return CallLogReader(backend.folder / FILE, database(backend))
