"""`hajj-ivr doctor`'s checks of the shared database and the browser phone's files."""

from __future__ import annotations

from pathlib import Path

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
