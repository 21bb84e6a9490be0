"""The command line: noun-verb, every command documented with an example, clear errors."""

from __future__ import annotations

import argparse
import datetime as dt
from contextlib import closing
from pathlib import Path

import pytest

from ivr import calldb, cli, pgstore
from ivr.agents.sessions import Sessions
from ivr.agents.store import AgentStore
from ivr.agents.throttle import LoginThrottle
from ivr.calllog import CallLog
from ivr.settings import DatabaseSettings
from tests.rig.postgres import Backend
from tests.rig.web import printed_password
from tests.test_admin_shared import on_backend


def _leaf_parsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    leaves = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                leaves += _leaf_parsers(sub)
    return leaves or [parser]


def test_cli_every_command_help_has_an_example() -> None:
    leaves = _leaf_parsers(cli.build_parser())
    assert len(leaves) >= 12
    for parser in leaves:
        assert (
            "Example:\n  hajj-ivr " in parser.format_help()
            or "sudo hajj-ivr" in parser.format_help()
        ), parser.prog


def test_cli_calls_show_unknown_id_exits_1_with_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli.main(["--state-dir", str(tmp_path), "calls", "show", "nope"])

    assert code == 1
    assert "no call 'nope' in the call log" in capsys.readouterr().err


def test_cli_call_bad_dtmf_exits_1_before_dialling(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli.main(["--state-dir", str(tmp_path), "call", "500425", "--dtmf", "12a"])

    assert code == 1
    assert "use digits, * and #" in capsys.readouterr().err


def test_cli_passwords_are_printed_once_and_end_the_users_web_sessions(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    backend: Backend,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = on_backend(backend)  # the accounts in agents.sqlite, or in PostgreSQL
    monkeypatch.setenv("HAJJ_IVR_DATABASE_URL", config.database.url)
    state = ["--state-dir", str(tmp_path)]
    assert cli.main([*state, "agents", "add", "siti"]) == 0
    added = capsys.readouterr().out
    web = printed_password(added)
    assert "SIP phone: user agent-siti" in added and web not in added.split("Web console")[0]
    assert cli.main([*state, "admins", "add", "rahmat"]) == 0
    assert "SIP" not in capsys.readouterr().out
    sessions = Sessions.for_config(config)  # the web app's, beside the command line
    store = AgentStore.for_config(config)
    phone = sessions.start("siti", store.get("siti").web_hash, "10.0.0.1")
    admin = sessions.start("rahmat", store.get("rahmat", role="admin").web_hash, "10.0.0.2")
    assert phone and admin

    assert cli.main([*state, "sessions", "list"]) == 0
    listing = capsys.readouterr().out
    assert "siti" in listing and "rahmat" in listing and "10.0.0.2" in listing
    assert cli.main([*state, "agents", "password", "siti"]) == 0
    new = printed_password(capsys.readouterr().out)
    assert sessions.get(phone) is None and sessions.get(admin) is not None
    assert store.check_login("siti", new) is not None and store.check_login("siti", web) is None
    assert cli.main([*state, "sessions", "end", "rahmat"]) == 0
    assert "1 web session(s) of rahmat ended" in capsys.readouterr().out
    assert sessions.get(admin) is None
    sessions.close()


def test_cli_agents_password_sip_changes_the_phone_only(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = ["--state-dir", str(tmp_path)]
    cli.main([*state, "agents", "add", "siti"])
    web = printed_password(capsys.readouterr().out)
    store = AgentStore(tmp_path / "agents.sqlite")
    digest = store.get("siti").sip_md5
    assert cli.main([*state, "agents", "password", "siti", "--sip"]) == 0
    printed = capsys.readouterr().out
    assert "SIP phone: user agent-siti" in printed and store.get("siti").sip_md5 != digest
    assert store.check_login("siti", web) is not None
    assert cli.main([*state, "admins", "password", "siti"]) == 1  # an agent, not an admin
    assert "no admin 'siti'" in capsys.readouterr().err


def test_cli_sessions_unlock_lifts_a_lock(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    throttle = LoginThrottle(tmp_path / "agents.sqlite", 10, 100, 900)
    for _ in range(10):
        throttle.failed("siti", "10.0.0.9")
    assert cli.main(["--state-dir", str(tmp_path), "sessions", "list"]) == 0
    assert "locked: name 'siti'" in capsys.readouterr().out
    assert cli.main(["--state-dir", str(tmp_path), "sessions", "unlock", "siti"]) == 0
    assert throttle.locked("siti", "10.0.0.1") is None


def test_cli_calls_list_and_show_give_times_in_the_hotlines_zone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = CallLog(tmp_path / "calls.sqlite")
    log.start("1795650000.1", "0811", "hotline")
    at = dt.datetime(2026, 4, 10, 14, 3, 5, tzinfo=dt.UTC).timestamp()
    log.sql.run("UPDATE calls SET started_at = ?", (at,))
    log.close()
    for verb in (["list"], ["show", "1795650000.1"]):
        assert cli.main(["--state-dir", str(tmp_path), "calls", *verb]) == 0
        assert "2026-04-10 21:03:05 WIB" in capsys.readouterr().out  # Asia/Jakarta


def test_cli_calls_list_and_show_read_postgres_with_a_database_url(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = DatabaseSettings(url=pg_url)
    pgstore.migrate_all(settings, calldb.PG_SCHEMAS)
    with pgstore.opened(settings) as sql:
        log = CallLog.over(sql)
        log.start("pg-call", "0811", "hotline")
        log.add("pg-call", "say", "Selamat datang dari PostgreSQL")
    with closing(CallLog(tmp_path / "calls.sqlite")) as lite:
        lite.start("sqlite-call", "0812", "hotline")  # not read with a URL
    monkeypatch.setenv("HAJJ_IVR_DATABASE_URL", pg_url)
    assert cli.main(["--state-dir", str(tmp_path), "calls", "list"]) == 0
    listed = capsys.readouterr().out
    assert "pg-call" in listed and "sqlite-call" not in listed
    assert cli.main(["--state-dir", str(tmp_path), "calls", "show", "pg-call"]) == 0
    assert "Selamat datang dari PostgreSQL" in capsys.readouterr().out
