"""`hajj-ivr agents ...`: accounts, queue login and pause, and who is doing what (the
states come from ivr.agents.members, which the wallboard reads too).

Accounts live in the agent store; adding or removing one rewrites pjsip_agents.conf and
reloads res_pjsip on a running Asterisk (through its control socket, the admin's own
access: the controller's AMI user has no 'system' write). Login, logout and pause go
through AMI (QueueAdd, QueueRemove, QueuePause; ivr.agents.members) with the phone as
state interface, the same as the phone's feature codes *71..*74; logout and pause act on
whichever phone (desk or browser) is the member.
"""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import asdict
from typing import TypeVar

from ivr.admin import reloads
from ivr.agents import members
from ivr.agents.members import member_of, queue_members, state_of
from ivr.agents.store import OVERSEERS, Agent, AgentError, AgentStore
from ivr.ami.client import AmiClient
from ivr.ami.users import AmiUser, session
from ivr.asterisk import process
from ivr.cli.output import print_json, run_async
from ivr.cli.table import Arg, Command
from ivr.config import Config
from ivr.errors import AmiActionError

T = TypeVar("T")


def _store(config: Config) -> AgentStore:
    return AgentStore.for_config(config)


def add(config: Config, args: argparse.Namespace) -> int:
    agent, new = _store(config).add(args.name, args.tier)
    note = reloads.reload_phones(config)
    print(
        f"Agent {agent.name} (tier {agent.tier}) created. {note}\n"
        f"{phone_lines(config, agent, new.sip)}\n"
        f"{console_line(config, agent, new.web)}\n"
        f"Each password is shown only now (phone and console have their own); "
        f"`hajj-ivr agents password {agent.name}` makes a new one."
    )
    return 0


def phone_lines(config: Config, agent: Agent, password: str) -> str:
    ast = config.asterisk
    return (
        f"  SIP phone: user {agent.endpoint}  password {password}\n"
        f"             server {ast.sip_bind}:{ast.sip_port} (UDP)"
    )


def console_line(config: Config, agent: Agent, password: str) -> str:
    overseer = agent.role in OVERSEERS
    page, what = ("admin", "Dashboard") if overseer else ("agent", "Web console")
    return (
        f"  {what}: http://{config.web.host}:{config.web.port}/{page} "
        f"(login {agent.name}, password {password})"
    )


def remove(config: Config, args: argparse.Namespace) -> int:
    store = _store(config)
    agent = store.get(args.name)
    if process.Asterisk.from_config(config).pid() is not None:
        run_async(_ami(config, lambda ami: _logout(ami, agent, quiet=True)))
    store.remove(agent.name)
    reloads.wait_browser_phone_gone(config, agent.web_endpoint)
    print(f"Agent {agent.name} removed, their web sessions ended. {reloads.reload_phones(config)}")
    return 0


def password(config: Config, args: argparse.Namespace) -> int:
    store = _store(config)
    if args.sip:
        agent, new = store.new_sip_password(args.name)
        print(f"New phone password for {agent.name}. {reloads.reload_phones(config)}")
        print(phone_lines(config, agent, new))
    else:
        agent, new = store.new_web_password(args.name)
        print(f"New web password for {agent.name}; their web sessions ended.")
        print(console_line(config, agent, new))
    print("The password is shown only now.")
    return 0


def login(config: Config, args: argparse.Namespace) -> int:
    agent = _store(config).get(args.name)
    # The desk phone, as *71; a member on the browser phone moves to it.
    run_async(_ami(config, lambda ami: members.login(ami, agent, agent.interface)))
    print(f"{agent.name} logged in to {agent.queue}")
    return 0


def logout(config: Config, args: argparse.Namespace) -> int:
    agent = _store(config).get(args.name)
    run_async(_ami(config, lambda ami: _logout(ami, agent, quiet=False)))
    print(f"{agent.name} logged out of {agent.queue}")
    return 0


async def _logout(ami: AmiClient, agent: Agent, quiet: bool) -> None:
    try:
        await members.logout(ami, agent)  # whichever phone, desk or browser, is the member
    except AmiActionError:
        if not quiet:
            raise AgentError(f"{agent.name} is not logged in") from None


def pause(config: Config, args: argparse.Namespace) -> int:
    return _pause(config, args.name, True, args.reason)


def unpause(config: Config, args: argparse.Namespace) -> int:
    return _pause(config, args.name, False, "")


def _pause(config: Config, name: str, paused: bool, reason: str) -> int:
    agent = _store(config).get(name)
    try:
        run_async(_ami(config, lambda ami: members.pause(ami, agent, paused, reason)))
    except AmiActionError:
        raise AgentError(f"{agent.name} is not logged in: `hajj-ivr agents login {name}`") from None
    print(f"{agent.name} {'paused' if paused else 'available'}")
    return 0


def list_(config: Config, args: argparse.Namespace) -> int:
    agents = _store(config).all()
    found: dict[str, Mapping[str, str]] = {}
    if agents and process.Asterisk.from_config(config).pid() is not None:
        found = run_async(_ami(config, queue_members))
    states = [state_of(a, member_of(a, found)) for a in agents]
    if args.json:
        print_json([asdict(s) for s in states])
        return 0
    if not states:
        print("No agents yet: hajj-ivr agents add NAME --tier 1")
        return 0
    print(f"{'AGENT':<16} {'TIER':<5} {'STATE':<16} {'CALLS':>5}  PHONE")
    for s in states:
        state = s.state + (f" ({s.pause_reason})" if s.paused and s.pause_reason else "")
        print(f"{s.name:<16} {s.tier:<5} {state:<16} {s.calls_taken:>5}  {s.phone}")
    return 0


async def _ami(config: Config, work: Callable[[AmiClient], Awaitable[T]]) -> T:
    async with session(config, AmiUser.DESK) as ami:
        return await work(ami)


NAME = Arg(("name",), {"help": "lowercase login name (the phone's user is agent-NAME)"})
WHO = Arg(("name",))
# Verbs that take only the agent's name.
SIMPLE = (
    ("remove", "delete an agent, their phone account and web sessions", remove),
    ("login", "put the agent in their tier's queue (phone: *71)", login),
    ("logout", "take the agent out of the queue (phone: *72)", logout),
    ("unpause", "make the agent available again (phone: *74)", unpause),
)
COMMANDS = (
    Command(
        ("agents", "add"),
        "create an agent: a SIP phone account and a web login (two passwords, printed once)",
        "hajj-ivr agents add siti --tier 1",
        add,
        (
            NAME,
            Arg(
                ("--tier",), {"type": int, "default": 1, "choices": (1, 2, 3), "help": "1, 2 or 3"}
            ),
        ),
    ),
    Command(
        ("agents", "list"),
        "every agent and their state: logged out, available, paused, ringing, on call",
        "hajj-ivr agents list",
        list_,
        (Arg(("--json",), {"action": "store_true"}),),
    ),
    *(
        Command(("agents", verb), text, f"hajj-ivr agents {verb} siti", handler, (WHO,))
        for verb, text, handler in SIMPLE
    ),
    Command(
        ("agents", "pause"),
        "stop ringing the agent, staying logged in (phone: *73)",
        "hajj-ivr agents pause siti --reason istirahat",
        pause,
        (WHO, Arg(("--reason",), {"default": "", "help": "shown in `agents list`"})),
    ),
    Command(
        ("agents", "password"),
        "a new web password (their web sessions end) or, with --sip, a new phone password",
        "hajj-ivr agents password siti",
        password,
        (
            WHO,
            Arg(
                ("--sip",), {"action": "store_true", "help": "the phone's password, not the web's"}
            ),
        ),
    ),
)
