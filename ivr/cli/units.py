"""`hajj-ivr units ...`: logins for the units that own data (a district office, a
provincial office, an embarkation), each bound to one unit code: it sees and resolves
only that unit's correction cases (a password printed once)."""

from __future__ import annotations

import argparse

from ivr.agents.store import AgentStore
from ivr.cli.table import Arg, Command
from ivr.config import Config

ROLE = "unit"


def _store(config: Config) -> AgentStore:
    return AgentStore.for_config(config)


def _line(config: Config, name: str, password: str) -> str:
    return (
        f"  Correction cases: http://{config.web.host}:{config.web.port}/corrections "
        f"(login {name}, password {password})"
    )


def add(config: Config, args: argparse.Namespace) -> int:
    account, new = _store(config).add(args.name, 0, role=ROLE, unit=args.unit)
    print(
        f"Unit login {account.name} created for {args.unit}.\n"
        f"{_line(config, account.name, new.web)}\n"
        f"The password is shown only now; `hajj-ivr units password {account.name}` makes a "
        f"new one."
    )
    return 0


def password(config: Config, args: argparse.Namespace) -> int:
    account, new = _store(config).new_web_password(args.name, role=ROLE)
    print(f"New password for {account.name}; their web sessions ended.")
    print(f"{_line(config, account.name, new)}\nThe password is shown only now.")
    return 0


def list_(config: Config, args: argparse.Namespace) -> int:
    store = _store(config)
    accounts = store.all(role=ROLE)
    for account in accounts:
        print(f"{account.name}\t{store.unit_of(account.name)}")
    if not accounts:
        print("No unit logins yet: hajj-ivr units add NAME --unit kab:3372")
    return 0


def remove(config: Config, args: argparse.Namespace) -> int:
    _store(config).remove(args.name, role=ROLE)
    print(f"Unit login {args.name} removed, their web sessions ended.")
    return 0


NAME = Arg(("name",))
UNIT = Arg(
    ("--unit",),
    {
        "required": True,
        "help": "kab:KD_KAB (district office), emb:EMBARKASI or prop:KD_PROP (provincial)",
    },
)
COMMANDS = (
    Command(
        ("units", "add"),
        "create a login for one unit's correction cases (password printed once)",
        "hajj-ivr units add kemenag-solo --unit kab:3372",
        add,
        (NAME, UNIT),
    ),
    Command(("units", "list"), "every unit login and its unit", "hajj-ivr units list", list_),
    Command(
        ("units", "remove"),
        "delete a unit login (their web sessions end)",
        "hajj-ivr units remove kemenag-solo",
        remove,
        (NAME,),
    ),
    Command(
        ("units", "password"),
        "a new password for a unit login (printed once; their web sessions end)",
        "hajj-ivr units password kemenag-solo",
        password,
        (NAME,),
    ),
)
