"""`hajj-ivr backup` and `hajj-ivr restore`: the state dir into one archive and back."""

from __future__ import annotations

import argparse
from pathlib import Path

from ivr.backup import restore, take
from ivr.cli.table import Arg, Command
from ivr.config import Config
from ivr.settings import redacted_url


def backup(config: Config, args: argparse.Namespace) -> int:
    taken = take.take(config, args.path, keep=args.keep)
    found = taken.manifest
    stores = sum(m.store is not None for m in found.members)
    pg = found.database
    print(
        f"backup {taken.path}: {len(found.members) - (pg is not None)} files ({stores} stores)"
        + (f", PostgreSQL's shared stores ({pg.bytes} bytes)" if pg else "")
        + f", data as of {found.mirror_as_of or 'no mirror'}"
    )
    for old in taken.removed:
        print(f"removed older backup {old}")
    return 0


def restore_archive(config: Config, args: argparse.Namespace) -> int:
    done = restore.restore(config, args.archive, replace=args.replace, database=args.database)
    found = done.manifest
    files = len(found.members) - (found.database is not None)
    print(
        f"restored {files} files from {args.archive} (taken {found.created} "
        f"by hajj-ivr {found.release}) into {config.state_dir}"
    )
    if done.database:
        print(f"restored PostgreSQL's shared stores into {redacted_url(config.database.url)}")
    elif found.database is not None:
        print(
            "the archive also holds PostgreSQL's shared stores, not restored: every node "
            "stopped, restore with --database to put them back"
        )
    return 0


BACKUP = Command(
    ("backup",),
    "back up every store (consistent while calls run), recordings, overrides and secrets"
    " into one archive with a manifest of checksums; default folder state_dir/backups",
    "hajj-ivr backup /srv/backups --keep 14",
    backup,
    (
        Arg(("path",), {"nargs": "?", "type": Path, "help": "a folder or a new .tar file"}),
        Arg(("--keep",), {"type": int, "default": 0, "help": "keep the newest N there (0: all)"}),
    ),
)
RESTORE = Command(
    ("restore",),
    "restore a backup archive into the state dir, checked whole before anything is"
    " replaced; the hotline must be stopped (with --database every node: the shared"
    " PostgreSQL stores go back too)",
    "hajj-ivr restore /srv/backups/hajj-ivr-backup-20261201T020000Z.tar --replace",
    restore_archive,
    (
        Arg(("archive",), {"type": Path, "help": "the archive"}),
        Arg(("--replace",), {"action": "store_true", "help": "replace the data already there"}),
        Arg(
            ("--database",),
            {"action": "store_true", "help": "also put back the archive's PostgreSQL stores"},
        ),
    ),
)
