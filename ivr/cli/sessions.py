"""`hajj-ivr sessions ...`: who is logged in to the web, ending logins, lifting locks.

Sessions and failed-login counts live in agents.sqlite (or with ``[database] url``
PostgreSQL); ending one here refuses its cookie on the next request, on every node, and an
open screen-pop stream closes within seconds.
"""

from __future__ import annotations

import argparse
import datetime as dt
from contextlib import closing
from dataclasses import asdict

from ivr.agents.sessions import Sessions
from ivr.agents.throttle import LoginThrottle
from ivr.cli.output import print_json
from ivr.cli.table import Arg, Command
from ivr.config import Config


def _when(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M")


def list_(config: Config, args: argparse.Namespace) -> int:
    with closing(Sessions.for_config(config)) as sessions:
        live = sessions.live()
    with closing(LoginThrottle.for_config(config)) as throttle:
        locks = throttle.all_locked()
    if args.json:
        print_json(
            {
                "sessions": [{k: v for k, v in asdict(s).items() if k != "csrf"} for s in live],
                "locked": [asdict(lock) for lock in locks],
            }
        )
        return 0
    if not live:
        print("Nobody is logged in to the web.")
    else:
        print(f"{'NAME':<16} {'ROLE':<6} {'SINCE':<17} {'LAST SEEN':<17} ADDRESS")
    for s in live:
        print(
            f"{s.name:<16} {s.role:<6} {_when(s.created_at):<17} {_when(s.last_seen):<17} "
            f"{s.address}"
        )
    for lock in locks:
        minutes = int(lock.seconds_left // 60) + 1
        print(f"locked: {lock.kind} {lock.key!r} for {minutes} more min (`sessions unlock`)")
    return 0


def end(config: Config, args: argparse.Namespace) -> int:
    with closing(Sessions.for_config(config)) as sessions:
        ended = sessions.end_all(args.name)
    print(f"{ended} web session(s) of {args.name} ended.")
    return 0


def unlock(config: Config, args: argparse.Namespace) -> int:
    with closing(LoginThrottle.for_config(config)) as throttle:
        cleared = throttle.clear(args.key)
    print(f"{args.key}: {cleared} failed login(s) forgotten; it may log in again.")
    return 0


COMMANDS = (
    Command(
        ("sessions", "list"),
        "live web sessions, and names or addresses locked after wrong passwords",
        "hajj-ivr sessions list",
        list_,
        (Arg(("--json",), {"action": "store_true"}),),
    ),
    Command(
        ("sessions", "end"),
        "end every web session of an agent or admin (they must log in again)",
        "hajj-ivr sessions end siti",
        end,
        (Arg(("name",)),),
    ),
    Command(
        ("sessions", "unlock"),
        "let a name or client address locked after wrong passwords try again now",
        "hajj-ivr sessions unlock siti",
        unlock,
        (Arg(("key",), {"metavar": "NAME_OR_ADDRESS"}),),
    ),
)
