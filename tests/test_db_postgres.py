"""[database] url and `hajj-ivr db migrate` on PostgreSQL: the setting validated without
showing its password, the versioned tables created on an empty database, a second run
changing nothing."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

from ivr import config as config_mod
from ivr import pgstore, retention, storefiles
from ivr.cli.main import main
from ivr.config import Config, DatabaseSettings
from ivr.errors import ConfigError, SetupError, SharedStoreError
from ivr.queue import callbacks
from ivr.settings import redacted_url
from tests.rig.ports import free_port
from tests.rig.postgres import pg_callbacks

PASSWORD = "hunter2-secret"


def with_password(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=f"hajj:{PASSWORD}@{parts.hostname}:{parts.port}"))


def tables(url: str) -> dict[str, object]:
    """Every table's columns and the versions recorded: what a second migrate must keep."""
    with psycopg.connect(url) as conn:
        columns = conn.execute(
            "SELECT table_name, column_name, data_type, is_nullable, column_default"
            " FROM information_schema.columns WHERE table_schema = 'public'"
            " ORDER BY table_name, ordinal_position"
        ).fetchall()
        indexes = conn.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'"
            " ORDER BY indexname"
        ).fetchall()
        versions = conn.execute("SELECT part, version FROM schema_versions ORDER BY part")
        return {"columns": columns, "indexes": indexes, "versions": versions.fetchall()}


def test_config_database_defaults_to_sqlite_files() -> None:
    assert Config().database.url == "" and not Config().database.postgres


def test_config_database_url_of_another_engine_is_refused_without_its_password() -> None:
    with pytest.raises(ConfigError, match="only postgresql://") as refused:
        config_mod.load(env={}, overrides={"database.url": f"mysql://hajj:{PASSWORD}@db/hajj"})
    assert PASSWORD not in str(refused.value) and "hajj:***@db" in str(refused.value)


@pytest.mark.parametrize(
    "url", ["postgresql://db.local:5432", "postgresql://h:port/x", "postgresql://h/"]
)
def test_config_database_url_without_a_database_or_port_is_refused(url: str) -> None:
    with pytest.raises(ConfigError, match=r"database\.url"):
        DatabaseSettings(url=url)


def test_config_database_pool_size_zero_is_refused() -> None:
    with pytest.raises(ConfigError, match="pool_size = 0"):
        DatabaseSettings(url="postgresql:///hajj", pool_size=0)


def test_config_database_redacted_url_hides_only_the_password() -> None:
    assert redacted_url(f"postgresql://hajj:{PASSWORD}@10.0.0.5:5432/hajj?sslmode=require") == (
        "postgresql://hajj:***@10.0.0.5:5432/hajj?sslmode=require"
    )
    assert redacted_url("postgresql://hajj@h/db") == "postgresql://hajj@h/db"


def test_db_migrate_on_an_empty_postgres_creates_the_tables_then_changes_nothing(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = with_password(pg_url)  # trust auth ignores it; nothing may print it
    monkeypatch.setenv("HAJJ_IVR_DATABASE_URL", url)
    assert main(["--state-dir", str(tmp_path), "db", "migrate"]) == 0
    out = capsys.readouterr().out
    for schema in storefiles.PG_SCHEMAS:  # every store that moves with [database] url
        assert f"{schema.part} 0 -> {schema.version}" in out
    assert PASSWORD not in out and redacted_url(url) in out
    made = tables(pg_url)
    assert made["versions"] == sorted((s.part, s.version) for s in storefiles.PG_SCHEMAS)
    names = {column[0] for column in made["columns"]}  # type: ignore[attr-defined]
    created = {
        name
        for schema in storefiles.PG_SCHEMAS
        for step in schema.steps
        for name in re.findall(r"CREATE TABLE IF NOT EXISTS (\w+)", str(step))
    }
    assert "callbacks" in created and names == created | {"schema_versions"}
    assert {"callbacks", "calls", "transcript", "lookups", "queue_calls", "queue_log"} <= names
    assert {"recordings", "recording_plays", "ratings", "dispositions"} <= names
    assert main(["--state-dir", str(tmp_path), "db", "migrate"]) == 0
    again = capsys.readouterr().out
    assert "callbacks up to date" in again and "calllog up to date" in again
    assert tables(pg_url) == made


def test_db_migrate_postgres_tables_newer_than_this_release_are_refused(pg_url: str) -> None:
    settings = DatabaseSettings(url=pg_url)
    pgstore.migrate_all(settings, (callbacks.PG_SCHEMA,))
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("UPDATE schema_versions SET version = version + 1")
    with pytest.raises(SetupError, match="newer than this release"):
        pgstore.migrate_all(settings, (callbacks.PG_SCHEMA,))


def test_db_migrate_unreachable_postgres_names_the_url_without_its_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"postgresql://hajj:{PASSWORD}@127.0.0.1:{free_port()}/hajj"  # nobody listens
    monkeypatch.setenv("HAJJ_IVR_DATABASE_URL", url)
    assert main(["--state-dir", str(tmp_path), "db", "migrate"]) == 1
    err = capsys.readouterr().err
    assert redacted_url(url) in err and PASSWORD not in err


def test_retention_purge_with_a_database_url_purges_the_requests_in_postgres(
    pg_url: str, tmp_path: Path
) -> None:
    config = dataclasses.replace(
        Config(), state_dir=tmp_path, database=DatabaseSettings(url=pg_url)
    )
    day, t0 = 86400.0, 1_800_000_000.0
    storefiles.migrate_shared(config)  # `hajj-ivr db migrate`: every shared store's tables
    with pg_callbacks(pg_url) as store:
        done, _ = store.request(callbacks.Request("081111111111"), now=t0)
        store.start(done.id)
        store.pilgrim_leg_ended(done.id, "ANSWER", t0 + day, 3, 300)
        waiting, _ = store.request(callbacks.Request("083333333333"), now=t0)
        report = retention.purge(config, now=t0 + 40 * day)  # callbacks_days = 30
        assert report.count("finished callback requests") == 1
        assert store.get(done.id) is None and store.get(waiting.id) is not None


def test_pgstore_a_lost_connection_is_a_hajj_ivr_error_that_quotes_no_row(pg_url: str) -> None:
    """The dispatcher's loop, the flows and /metrics go on after a HajjIvrError; psycopg's
    own errors would end the loop."""
    with pg_callbacks(pg_url) as store:
        store.request(callbacks.Request("0811000001"), now=1)
    lost = psycopg.connect(pg_url, autocommit=True)
    lost.close()
    store = callbacks.Callbacks(pgstore.PgSql(pgstore.One(lost)))
    with pytest.raises(SharedStoreError, match=r"PostgreSQL: OperationalError") as failed:
        store.pending()
    assert "0811000001" not in str(failed.value)
