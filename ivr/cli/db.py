"""`hajj-ivr db migrate`: every store's tables brought to this release now (the SQLite
files, and with ``[database] url`` the stores in PostgreSQL)."""

from __future__ import annotations

import argparse

from ivr import storefiles
from ivr.cli.table import Command
from ivr.config import Config
from ivr.settings import redacted_url


def migrate(config: Config, args: argparse.Namespace) -> int:
    for step in storefiles.migrate_all(config):
        change = f"{step.before} -> {step.after}" if step.before != step.after else "up to date"
        print(f"{step.path.name}: {step.part} {change}")
    where = redacted_url(config.database.url)
    for shared in storefiles.migrate_shared(config):
        change = (
            f"{shared.before} -> {shared.after}" if shared.before != shared.after else "up to date"
        )
        print(f"{where}: {shared.part} {change}")
    return 0


COMMANDS = (
    Command(
        ("db", "migrate"),
        "bring every store's tables to this release (each store also does when it opens),"
        " the SQLite files and with [database] url PostgreSQL's; a store from a newer"
        " release is refused",
        "hajj-ivr db migrate",
        migrate,
    ),
)
