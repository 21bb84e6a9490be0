"""`hajj-ivr service install|remove|status`: the hotline under systemd."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ivr import service
from ivr.cli.table import Arg, Command
from ivr.config import Config
from ivr.errors import SetupError


def _plan(config: Config, args: argparse.Namespace) -> service.Plan:
    return service.Plan(
        hajj=Path(sys.executable).parent / "hajj-ivr",
        config_file=args.config.resolve() if args.config else None,
        user=args.user or config.asterisk.run_user or "hajj-ivr",
        keep_backups=getattr(args, "keep_backups", 14),
        keep_logs=getattr(args, "keep_logs", 14),
    )


def install(config: Config, args: argparse.Namespace) -> int:
    run = None if args.no_start else service.systemctl()
    written = service.install(config, _plan(config, args), args.unit_dir, run)
    for path in written:
        print(f"wrote {path}")
    if run is None:
        print("systemd is not running here (or --no-start): units written, not started")
    else:
        print("enabled and started; `hajj-ivr service status` shows them")
    return 0


def remove(config: Config, args: argparse.Namespace) -> int:
    removed = service.remove(config, _plan(config, args), args.unit_dir, service.systemctl())
    print(f"removed {len(removed)} units; the state dir {config.state_dir} stays")
    return 0


def status(config: Config, args: argparse.Namespace) -> int:
    run = service.systemctl()
    if run is None:
        raise SetupError("systemd is not running on this machine")
    states = service.status(config, _plan(config, args), run)
    for name, state in states.items():
        print(f"{name}: {state}")
    return 0 if all(s == "active" for s in states.values()) else 3


UNIT_DIR = Arg(("--unit-dir",), {"type": Path, "default": service.UNIT_DIR, "help": "where"})
USER = Arg(("--user",), {"help": "the user the units run as (default asterisk.run_user)"})

COMMANDS = (
    Command(
        ("service", "install"),
        "write systemd units for Asterisk, the controller, the web app, a nightly backup and"
        " Asterisk's log rotation, give the state dir to their user, enable and start them",
        "sudo hajj-ivr --config /etc/hajj-ivr.toml service install --keep-backups 30",
        install,
        (
            USER,
            UNIT_DIR,
            Arg(("--keep-backups",), {"type": int, "default": 14, "help": "nightly kept"}),
            Arg(("--keep-logs",), {"type": int, "default": 14, "help": "old logs kept"}),
            Arg(("--no-start",), {"action": "store_true", "help": "write the units only"}),
        ),
    ),
    Command(
        ("service", "remove"),
        "stop, disable and delete the units; the state dir and its data stay",
        "sudo hajj-ivr service remove",
        remove,
        (USER, UNIT_DIR),
    ),
    Command(
        ("service", "status"),
        "each unit's state as systemd reports it; exit 3 unless all are active",
        "hajj-ivr service status",
        status,
        (USER,),
    ),
)
