"""`hajj-ivr retention purge`: personal data past its period goes now (the controller
does it daily)."""

from __future__ import annotations

import argparse

from ivr import retention
from ivr.cli.table import Arg, Command
from ivr.config import Config


def purge(config: Config, args: argparse.Namespace) -> int:
    report = retention.purge(config, dry_run=args.dry_run)
    print("\n".join(report.lines()))
    return 0


COMMANDS = (
    Command(
        ("retention", "purge"),
        "delete calls, lookups, callbacks, complaint audio and uploads past their [retention]"
        " period now (the controller does it daily); prints counts only",
        "hajj-ivr retention purge --dry-run",
        purge,
        (Arg(("--dry-run",), {"action": "store_true", "help": "count, delete nothing"}),),
    ),
)
