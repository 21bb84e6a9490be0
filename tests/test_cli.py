"""The command line: noun-verb, every command documented with an example, clear errors."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from ivr import cli


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
