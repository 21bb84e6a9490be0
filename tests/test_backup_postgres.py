"""`hajj-ivr backup` and `restore` with [database] url, on a real PostgreSQL: the archive
holds pg_dump's dump of the shared stores beside the node's files; `restore` puts them back
only with --database (in one transaction) and says so otherwise; the password never goes on
a command line; a dump that fails leaves no archive."""

from __future__ import annotations

import dataclasses
import tarfile
from pathlib import Path

import psycopg
import pytest

from ivr.agents.store import AgentStore
from ivr.backup import database, manifest, restore, take
from ivr.calllog import CallLog
from ivr.cli.main import main
from ivr.config import Config
from ivr.errors import BackupError
from ivr.outcomes import Outcome
from ivr.settings import DatabaseSettings
from tests.rig.ports import free_port
from tests.test_data_published import imported, node


def shared(url: str) -> tuple[list[tuple[object, ...]], list[str]]:
    """The calls (id, outcome) and the accounts' names in the shared database."""
    with psycopg.connect(url) as conn:
        calls = conn.execute("SELECT id, outcome FROM calls ORDER BY id").fetchall()
        names = [str(r[0]) for r in conn.execute("SELECT name FROM agents ORDER BY name")]
    return calls, names


def calls_logged(config: Config, *ids: str) -> None:
    from ivr import pgstore

    with pgstore.opened(config.database) as sql:
        log = CallLog.over(sql, node="ivr1")
        for call_id in ids:
            log.start(call_id, "081234567890", "hotline")
            log.add(call_id, "say", "Selamat datang")
            log.finish(call_id, Outcome.SERVED)


def test_backup_with_a_database_url_holds_the_shared_stores_restored_with_database_only(
    tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = node(tmp_path / "state", pg_url)
    imported(config, tmp_path / "export", 30)
    calls_logged(config, "call-1")
    AgentStore.for_config(config).add("siti", tier=1)
    before = shared(pg_url)
    assert before == ([("call-1", Outcome.SERVED)], ["siti"])
    monkeypatch.setenv("HAJJ_IVR_DATABASE_URL", pg_url)
    state = ["--state-dir", str(config.state_dir)]
    target = tmp_path / "one.tar"

    assert main([*state, "backup", str(target)]) == 0
    assert "PostgreSQL's shared stores" in capsys.readouterr().out
    with tarfile.open(target) as tar:
        assert manifest.DATABASE in tar.getnames()

    # Lost since: a call deleted, another logged, the account removed.
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("DELETE FROM transcript WHERE call_id = 'call-1'")
        conn.execute("DELETE FROM calls WHERE id = 'call-1'")
    calls_logged(config, "call-2")
    AgentStore.for_config(config).remove("siti")
    after = shared(pg_url)

    assert main([*state, "restore", str(target), "--replace"]) == 0
    assert "not restored" in capsys.readouterr().out
    assert shared(pg_url) == after  # the node's files only
    assert not (config.state_dir / manifest.DATABASE).exists()

    assert main([*state, "restore", str(target), "--replace", "--database"]) == 0
    assert "restored PostgreSQL's shared stores" in capsys.readouterr().out
    assert shared(pg_url) == before
    assert not (config.state_dir / manifest.DATABASE).exists()


def test_backup_database_password_goes_in_the_environment_never_the_command_line() -> None:
    dsn, env = database.connection("postgresql://hajj:s3cret@10.0.0.9:5433/hotline")
    assert "s3cret" not in dsn and env["PGPASSWORD"] == "s3cret"
    assert set(dsn.split()) == {"user=hajj", "host=10.0.0.9", "port=5433", "dbname=hotline"}
    _, env = database.connection("postgresql://hajj@10.0.0.9/hotline")  # ~/.pgpass then
    assert "PGPASSWORD" not in env


def test_backup_whose_dump_fails_leaves_no_archive_and_names_no_password(tmp_path: Path) -> None:
    url = f"postgresql://hajj:s3cret@127.0.0.1:{free_port()}/hotline"  # nobody listens
    config = dataclasses.replace(
        Config(), state_dir=tmp_path / "state", database=DatabaseSettings(url=url)
    )
    config.state_dir.mkdir()
    (config.state_dir / "secrets.toml").write_text('pin_secret = "x"\n')
    with pytest.raises(BackupError, match=r"pg_dump of .*:\*\*\*@127\.0\.0\.1") as failed:
        take.take(config, tmp_path / "backups")
    assert "s3cret" not in str(failed.value)
    assert list((tmp_path / "backups").iterdir()) == []


def test_restore_database_refused_without_a_url_or_without_a_dump(
    tmp_path: Path, pg_url: str
) -> None:
    alone = dataclasses.replace(Config(), state_dir=tmp_path / "alone")
    alone.state_dir.mkdir()
    (alone.state_dir / "secrets.toml").write_text('pin_secret = "x"\n')
    archive = take.take(alone, tmp_path / "backups").path
    with pytest.raises(BackupError, match=r"no \[database\] url"):
        restore.restore(alone, archive, replace=True, database=True)
    clustered = node(tmp_path / "clustered", pg_url)
    with pytest.raises(BackupError, match="holds no PostgreSQL stores"):
        restore.restore(clustered, archive, database=True)
