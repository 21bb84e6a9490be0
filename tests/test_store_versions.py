"""Stores made by the previous release (tests/fixtures/stores-0.1.0: the tables 0.1.0
created) open under this release and end up exactly as fresh ones, their rows kept; a store
from a newer release is refused; `hajj-ivr db migrate` reports each store's version."""

from __future__ import annotations

import dataclasses
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from ivr import calllog, storefiles
from ivr.agents import schema as accounts
from ivr.cli.main import main
from ivr.complaints import model as tickets
from ivr.config import Config
from ivr.errors import SetupError
from ivr.store import open_store

FIXTURES = Path(__file__).parent / "fixtures" / "stores-0.1.0"
# A row in the previous release's tables that must survive (file -> SQL).
ROWS = {
    "calls.sqlite": "INSERT INTO calls (id, started_at, caller, route, outcome) "
    "VALUES ('c1', 1, '0811', 'hotline', 'served')",
    "agents.sqlite": "INSERT INTO agents VALUES ('siti', 1, 'md5', 'hash', 'agent', 0)",
    "complaints.sqlite": "INSERT INTO tickets (id, number, created_at, updated_at, source,"
    " category, due_at) VALUES (1, '2604000017', 1, 1, 'phone', 'transport', 2)",
    "admin.sqlite": "INSERT INTO reloads (at, who, what, ok, detail)"
    " VALUES (1, 'x', 'data', 1, '')",
}


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return dataclasses.replace(Config(), state_dir=tmp_path)


def shape(path: Path) -> dict[str, object]:
    """Every table's columns (name, type, not null, default, key) and every index: what
    a store's queries depend on, whatever text ALTER TABLE left in sqlite_master."""
    with closing(sqlite3.connect(path)) as db:
        names = db.execute("SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'")
        found: dict[str, object] = {}
        for kind, name in sorted(names):
            if kind == "table":
                found[name] = sorted(tuple(r[1:]) for r in db.execute(f"PRAGMA table_info({name})"))
            else:
                found[name] = [tuple(r) for r in db.execute(f"PRAGMA index_info({name})")]
        return found


def old_stores(config: Config) -> None:
    for path in storefiles.store_files(config):
        with closing(sqlite3.connect(path)) as db:
            db.executescript((FIXTURES / f"{path.stem}.sql").read_text())
            db.execute(ROWS[path.name])
            db.commit()


def test_store_versions_fixture_holds_every_store_file(config: Config) -> None:
    files = {p.name for p in storefiles.store_files(config)}
    assert files == {f"{p.stem}.sqlite" for p in FIXTURES.glob("*.sql")} == set(ROWS)


def test_store_versions_previous_releases_stores_migrate_to_exactly_the_fresh_tables(
    config: Config, tmp_path: Path
) -> None:
    old_stores(config)
    fresh = dataclasses.replace(config, state_dir=tmp_path / "fresh")
    for (path, schemas), new in zip(
        storefiles.store_files(config).items(), storefiles.store_files(fresh), strict=True
    ):
        with closing(open_store(path, *schemas)), closing(open_store(new, *schemas)):
            pass
        assert shape(path) == shape(new), f"{path.name}: a table changed without a new step"
        with closing(sqlite3.connect(path)) as db:
            versions = dict(db.execute("SELECT part, version FROM schema_versions"))
            table = ROWS[path.name].split()[2]
            assert db.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 1
        assert versions == {s.part: s.version for s in schemas}


def test_store_versions_store_from_a_newer_release_is_refused(config: Config) -> None:
    old_stores(config)
    storefiles.migrate_all(config)
    with closing(sqlite3.connect(config.agents_path)) as db:
        db.execute("UPDATE schema_versions SET version = version + 1 WHERE part = 'accounts'")
        db.commit()
    newer = accounts.SCHEMA.version + 1
    with pytest.raises(SetupError, match=f"accounts tables are at version {newer}, newer than"):
        storefiles.migrate_all(config)


def test_cli_db_migrate_reports_each_store(
    config: Config, capsys: pytest.CaptureFixture[str]
) -> None:
    old_stores(config)
    assert main(["--state-dir", str(config.state_dir), "db", "migrate"]) == 0
    out = capsys.readouterr().out
    assert f"agents.sqlite: accounts 0 -> {accounts.SCHEMA.version}" in out
    assert f"complaints.sqlite: tickets 0 -> {tickets.SCHEMA.version}" in out
    assert f"calls.sqlite: calllog 0 -> {calllog.SCHEMA.version}" in out
    assert main(["--state-dir", str(config.state_dir), "db", "migrate"]) == 0
    assert "agents.sqlite: accounts up to date" in capsys.readouterr().out
