"""The command line: noun-verb, every command documented with an example, clear errors."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

import pytest

from ivr import cli
from ivr.calllog import CallLog


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


def test_cli_calls_list_and_show_give_times_in_the_hotlines_zone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = CallLog(tmp_path / "calls.sqlite")
    log.start("1795650000.1", "0811", "hotline")
    at = dt.datetime(2026, 4, 10, 14, 3, 5, tzinfo=dt.UTC).timestamp()
    log.db.execute("UPDATE calls SET started_at = ?", (at,))
    log.close()
    for verb in (["list"], ["show", "1795650000.1"]):
        assert cli.main(["--state-dir", str(tmp_path), "calls", *verb]) == 0
        assert "2026-04-10 21:03:05 WIB" in capsys.readouterr().out  # Asia/Jakarta
