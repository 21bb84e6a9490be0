"""`hajj-ivr campaigns ...`: schedule-change calls after an import moved a kloter.

The controller makes a campaign for each such import (ready, not started); here an admin
lists them, starts (or resumes) and pauses one, and shows its calls. Numbers are shown
masked, as on the dashboard. The campaigns are calls.sqlite's, or with ``[database] url``
PostgreSQL's (every node's dialer calls from them).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Iterator
from contextlib import contextmanager

from ivr import storeplace
from ivr.calldb import SCHEMAS
from ivr.campaigns.store import OUTCOMES, Campaign, Campaigns
from ivr.cli.output import local_time, print_json
from ivr.cli.table import Arg, Command
from ivr.config import Config
from ivr.errors import HajjIvrError


def _progress(store: Campaigns, c: Campaign) -> str:
    counts = store.progress(c.id)
    done = ", ".join(f"{o} {counts[o]}" for o in OUTCOMES if counts.get(o))
    return f"{counts.get('done', 0)}/{counts['total']} done" + (f" ({done})" if done else "")


@contextmanager
def _campaigns(config: Config) -> Iterator[Campaigns]:
    with storeplace.opened(config.database, config.calllog_path, SCHEMAS, wal=True) as sql:
        yield Campaigns(sql)


def list_(config: Config, args: argparse.Namespace) -> int:
    with _campaigns(config) as store:
        found = store.all()
        if args.json:
            print_json([{**vars(c), "progress": store.progress(c.id)} for c in found])
            return 0
        if not found:
            print("No campaigns: none of the imports so far moved a kloter's schedule.")
        for c in found:
            made = local_time(config, c.created_at)
            print(f"#{c.id:<4} {c.state:<9} {made}  kloter {c.kloter}: {_progress(store, c)}")
    return 0


@contextmanager
def _one(config: Config, campaign_id: int) -> Iterator[tuple[Campaigns, Campaign]]:
    with _campaigns(config) as store:
        found = store.get(campaign_id)
        if found is None:
            raise HajjIvrError(f"no campaign #{campaign_id} (hajj-ivr campaigns list)")
        yield store, found


def start(config: Config, args: argparse.Namespace) -> int:
    with _one(config, args.id) as (store, c):
        if not store.start(c.id, time.time()):
            raise HajjIvrError(f"campaign #{c.id} is {c.state}: only a ready or paused one starts")
    print(f"campaign #{c.id} running: the controller calls within [campaigns] hours.")
    return 0


def pause(config: Config, args: argparse.Namespace) -> int:
    with _one(config, args.id) as (store, c):
        if not store.pause(c.id):
            raise HajjIvrError(f"campaign #{c.id} is {c.state}: only a running one pauses")
    print(f"campaign #{c.id} paused: calls in progress finish, no new one starts.")
    return 0


def show(config: Config, args: argparse.Namespace) -> int:
    with _one(config, args.id) as (store, c):
        calls = store.calls(c.id)
        print(f"campaign #{c.id} {c.state}, kloter {c.kloter}: {_progress(store, c)}")
        print(f"{'PORSI':<11} {'NUMBER':<14} {'KLOTER':<7} {'TRIES':<5} {'STATE':<8} OUTCOME")
        for k in calls:
            print(
                f"{k.porsi:<11} {k.masked:<14} {k.kloter:<7} {k.attempts:<5} {k.state:<8} "
                f"{k.outcome or '-'}"
            )
    return 0


_ID = Arg(("id",), {"type": int, "metavar": "ID"})
COMMANDS = (
    Command(
        ("campaigns", "list"),
        "schedule-change campaigns (one per import that moved a kloter) and their progress",
        "hajj-ivr campaigns list",
        list_,
        (Arg(("--json",), {"action": "store_true"}),),
    ),
    Command(
        ("campaigns", "start"),
        "start (or resume) calling a campaign's pilgrims",
        "hajj-ivr campaigns start 3",
        start,
        (_ID,),
    ),
    Command(
        ("campaigns", "pause"),
        "pause a campaign: no new call starts",
        "hajj-ivr campaigns pause 3",
        pause,
        (_ID,),
    ),
    Command(
        ("campaigns", "show"),
        "a campaign's calls: porsi, number (masked), tries, outcome",
        "hajj-ivr campaigns show 3",
        show,
        (_ID,),
    ),
)
