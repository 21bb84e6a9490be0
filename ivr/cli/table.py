"""The command line as data: each leaf module lists its commands (COMMANDS), and one
function builds the noun-verb argparse tree from them. A new verb is a row, not code.

Every command's help ends with an ``Example:`` (sqlite-utils style; tests/test_cli.py
checks each leaf has one).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ivr.config import Config

Handler = Callable[[Config, argparse.Namespace], int]


@dataclass(frozen=True)
class Arg:
    """One argument of a command: its names and argparse's keywords."""

    names: tuple[str, ...]  # ("name",) or ("--tier",)
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Command:
    path: tuple[str, ...]  # ("serve",) or ("agents", "add")
    help: str
    example: str  # shown as "Example:\n  <example>"
    handler: Handler
    args: tuple[Arg, ...] = ()
    narrates: bool = False  # long-running: logs at INFO (one-shot commands only warn)


def build_parser(commands: Sequence[Command], nouns: Mapping[str, str]) -> argparse.ArgumentParser:
    """The parser of ``commands``, in their order; ``nouns``: each noun's help."""
    parser = _root()
    top = parser.add_subparsers(dest="noun", required=True, metavar="COMMAND")
    verbs: dict[str, Any] = {}
    for command in commands:
        if len(command.path) == 1:
            _leaf(top, command.path[0], command)
            continue
        noun, verb = command.path
        if noun not in verbs:
            verbs[noun] = top.add_parser(noun, help=nouns[noun]).add_subparsers(
                dest="verb", required=True, metavar="VERB"
            )
        _leaf(verbs[noun], verb, command)
    return parser


def _root() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hajj-ivr",
        description="The 500425 hajj information hotline: Asterisk + asyncio controller.",
        epilog="Example:\n  hajj-ivr asterisk start && hajj-ivr serve",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--config", type=Path, help="TOML config file (default hajj-ivr.toml)")
    parser.add_argument("--state-dir", type=Path, help="runtime directory (default ./var)")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    return parser


def _leaf(sub: Any, name: str, command: Command) -> None:
    parser = sub.add_parser(
        name,
        help=command.help,
        description=command.help,
        epilog=f"Example:\n  {command.example}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    for arg in command.args:
        parser.add_argument(*arg.names, **arg.options)
    parser.set_defaults(handler=command.handler, narrates=command.narrates)
