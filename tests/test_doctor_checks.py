"""`hajj-ivr doctor`'s checks of the shared database and the browser phone's files."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ivr import doctor, pgstore, storefiles
from ivr.config import Config
from ivr.settings import DatabaseSettings
from ivr.web import vendor


def with_url(url: str) -> Config:
    return Config(database=DatabaseSettings(url=url))


def test_doctor_database_not_migrated_says_to_migrate(pg_url: str) -> None:
    check = doctor.shared_store(with_url(pg_url))
    assert not check.ok
    assert "hajj-ivr db migrate" in check.detail and "callbacks 0/" in check.detail


def test_doctor_database_migrated_is_ok(pg_url: str) -> None:
    pgstore.migrate_all(DatabaseSettings(url=pg_url), storefiles.PG_SCHEMAS)
    check = doctor.shared_store(with_url(pg_url))
    assert check.ok, check.detail


def test_doctor_database_unreachable_names_the_url_without_its_password() -> None:
    url = "postgresql://hajj:s3cret@127.0.0.1:1/hajj"
    check = doctor.shared_store(with_url(url))
    assert not check.ok
    assert "127.0.0.1:1" in check.detail and "s3cret" not in check.detail


def test_doctor_sipjs_missing_says_how_to_fetch_it(tmp_path: Path) -> None:
    check = vendor.installed(tmp_path / "sip.js")
    assert not check.ok and "hajj-ivr phone setup" in check.detail


def test_doctor_sipjs_of_this_release_is_ok(tmp_path: Path) -> None:
    (tmp_path / vendor.STAMP).write_text(vendor.INTEGRITY)
    assert vendor.installed(tmp_path).ok
    (tmp_path / vendor.STAMP).write_text("sha512-older")
    assert not vendor.installed(tmp_path).ok


def test_doctor_backup_client_found_and_of_the_servers_version(pg_url: str) -> None:
    check = doctor.backup_client(with_url(pg_url))
    assert check.ok, check.detail
    assert re.fullmatch(r"pg_dump (\d+) for PostgreSQL \1", check.detail), check.detail


@pytest.mark.parametrize(
    ("on_path", "said"),
    [
        (None, "pg_dump not found: install postgresql-client"),
        ("pg_dump (PostgreSQL) 9.6.24", "pg_dump 9 cannot dump PostgreSQL"),
    ],
)
def test_doctor_backup_client_missing_or_older_than_the_server_says_so(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, on_path: str | None, said: str
) -> None:
    """Only a stand-in pg_dump on PATH (or none): what a node without the client, or with
    an older one, has."""
    if on_path is not None:
        fake = tmp_path / "pg_dump"
        fake.write_text(f"#!/bin/sh\necho '{on_path}'\n")
        fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    check = doctor.backup_client(with_url(pg_url))
    assert not check.ok and check.detail.startswith(said), check.detail
