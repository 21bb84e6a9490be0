"""`hajj-ivr admins ...`: the dashboard's admin logins (a password printed once)."""

from __future__ import annotations

import argparse

from ivr.admin.studio import Studio
from ivr.agents.store import AgentStore
from ivr.cli.agents import console_line
from ivr.cli.table import Arg, Command
from ivr.config import Config


def _store(config: Config) -> AgentStore:
    return AgentStore.for_config(config)


def add(config: Config, args: argparse.Namespace) -> int:
    admin, new = _store(config).add(args.name, 0, role="admin")
    print(
        f"Admin {admin.name} created.\n{console_line(config, admin, new.web)}\n"
        f"The password is shown only now; `hajj-ivr admins password {admin.name}` makes a "
        f"new one."
    )
    return 0


def password(config: Config, args: argparse.Namespace) -> int:
    admin, new = _store(config).new_web_password(args.name, role="admin")
    print(f"New password for {admin.name}; their web sessions ended.")
    print(f"{console_line(config, admin, new)}\nThe password is shown only now.")
    return 0


def pin(config: Config, args: argparse.Namespace) -> int:
    number, new = Studio(config).new_pin(args.name)
    print(
        f"Phone PIN for {args.name}: from a staff phone dial *79, key admin number {number} "
        f"then # and PIN {new} then #, to record prompts.\nThe PIN is shown only now; "
        f"`hajj-ivr admins pin {args.name}` makes a new one (the number stays)."
    )
    return 0


def list_(config: Config, args: argparse.Namespace) -> int:
    admins = _store(config).all(role="admin")
    for admin in admins:
        print(admin.name)
    if not admins:
        print("No admins yet: hajj-ivr admins add NAME")
    return 0


def remove(config: Config, args: argparse.Namespace) -> int:
    _store(config).remove(args.name, role="admin")
    print(f"Admin {args.name} removed, their web sessions ended.")
    return 0


NAME = Arg(("name",))
COMMANDS = (
    Command(
        ("admins", "add"),
        "create a dashboard admin (password printed once)",
        "hajj-ivr admins add rahmat",
        add,
        (NAME,),
    ),
    Command(("admins", "list"), "every admin login", "hajj-ivr admins list", list_),
    Command(
        ("admins", "pin"),
        "an admin's number and a new PIN for recording prompts by phone (*79; printed once)",
        "hajj-ivr admins pin rahmat",
        pin,
        (NAME,),
    ),
    Command(
        ("admins", "remove"),
        "delete an admin login (their web sessions end)",
        "hajj-ivr admins remove rahmat",
        remove,
        (NAME,),
    ),
    Command(
        ("admins", "password"),
        "a new password for an admin (printed once; their web sessions end)",
        "hajj-ivr admins password rahmat",
        password,
        (NAME,),
    ),
)
