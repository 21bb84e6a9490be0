"""`hajj-ivr supervisors ...`: supervisor accounts (a web login and a phone, no queue).

A supervisor sees the wallboard and listens to, whispers to or barges in on agents' calls
from it: the leg rings their own phone (ivr/agents/supervise.py). Adding or removing one
rewrites pjsip_agents.conf and reloads res_pjsip, as for agents.
"""

from __future__ import annotations

import argparse

from ivr.admin import reloads
from ivr.agents.store import AgentStore
from ivr.cli.agents import console_line, phone_lines
from ivr.cli.table import Arg, Command
from ivr.config import Config

ROLE = "supervisor"


def _store(config: Config) -> AgentStore:
    return AgentStore.for_config(config)


def add(config: Config, args: argparse.Namespace) -> int:
    account, new = _store(config).add(args.name, 0, role=ROLE)
    print(
        f"Supervisor {account.name} created. {reloads.reload_phones(config)}\n"
        f"{phone_lines(config, account, new.sip)}\n"
        f"{console_line(config, account, new.web)}\n"
        f"Each password is shown only now; `hajj-ivr supervisors password {account.name}` "
        f"makes a new one."
    )
    return 0


def password(config: Config, args: argparse.Namespace) -> int:
    store = _store(config)
    if args.sip:
        account, new = store.new_sip_password(args.name, role=ROLE)
        print(f"New phone password for {account.name}. {reloads.reload_phones(config)}")
        print(phone_lines(config, account, new))
    else:
        account, new = store.new_web_password(args.name, role=ROLE)
        print(f"New web password for {account.name}; their web sessions ended.")
        print(console_line(config, account, new))
    print("The password is shown only now.")
    return 0


def list_(config: Config, args: argparse.Namespace) -> int:
    accounts = _store(config).all(role=ROLE)
    for account in accounts:
        print(f"{account.name:<16} phone {account.endpoint}")
    if not accounts:
        print("No supervisors yet: hajj-ivr supervisors add NAME")
    return 0


def remove(config: Config, args: argparse.Namespace) -> int:
    _store(config).remove(args.name, role=ROLE)
    print(f"Supervisor {args.name} removed, their web sessions ended. ", end="")
    print(reloads.reload_phones(config))
    return 0


NAME = Arg(("name",))
COMMANDS = (
    Command(
        ("supervisors", "add"),
        "create a supervisor: wallboard login and phone for listening in (passwords printed once)",
        "hajj-ivr supervisors add nurul",
        add,
        (NAME,),
    ),
    Command(
        ("supervisors", "list"),
        "every supervisor and their phone",
        "hajj-ivr supervisors list",
        list_,
    ),
    Command(
        ("supervisors", "remove"),
        "delete a supervisor (their web sessions end, their phone is removed)",
        "hajj-ivr supervisors remove nurul",
        remove,
        (NAME,),
    ),
    Command(
        ("supervisors", "password"),
        "a new web password (or with --sip the phone's), printed once",
        "hajj-ivr supervisors password nurul --sip",
        password,
        (NAME, Arg(("--sip",), {"action": "store_true", "help": "the phone's password"})),
    ),
)
