"""`hajj-ivr nodes list|forget`: the nodes of a hotline sharing PostgreSQL ([database]
url), from their controllers' heartbeats, as the dashboard's Node page shows them; and
removing one gone for good (ivr.silentnodes)."""

from __future__ import annotations

import argparse
import time
from collections.abc import Iterator
from contextlib import contextmanager

from ivr import calldb, heartbeats, silentnodes
from ivr.calllog import CallLog
from ivr.cli.table import Arg, Command
from ivr.config import Config
from ivr.errors import SetupError
from ivr.queue.records import QueueRecords
from ivr.store import Sql


@contextmanager
def _shared(config: Config) -> Iterator[Sql]:
    if not config.database.postgres:
        raise SetupError("one node: no heartbeats without [database] url (hajj-ivr doctor)")
    with calldb.opened(config) as sql:
        yield sql


def list_nodes(config: Config, args: argparse.Namespace) -> int:
    with _shared(config) as sql:
        nodes = heartbeats.Heartbeats(sql).nodes()
    if not nodes:
        print("no node has beaten yet")
        return 0
    after = config.cluster.silent_after
    for node in nodes:
        beat = node.beat
        state = "up" if node.up() else ("silent" if node.age > after else "stale")
        print(
            f"{beat.name:<24} {beat.role or 'one node':<8} {state:<6} "
            f"seen {node.age:5.0f} s ago  calls {beat.calls:<4} sip {beat.sip}  "
            f"data {beat.mirror_as_of or '-'}"
        )
    return 0


def forget(config: Config, args: argparse.Namespace) -> int:
    with _shared(config) as sql:
        node, closed = silentnodes.forget(
            heartbeats.Heartbeats(sql),
            CallLog.over(sql),
            QueueRecords(sql),
            args.name,
            time.time(),
            config.cluster.silent_after,
        )
    print(
        f"forgot node {node.beat.name} (silent {node.age:.0f} s); closed its {closed.calls} "
        f"calls and {closed.stays} queue stays left open"
    )
    return 0


COMMANDS = (
    Command(
        ("nodes", "list"),
        "every node's heartbeat with [database] url: role, up/stale/silent, last seen,"
        " calls in progress, SIP address, the data it serves",
        "hajj-ivr nodes list",
        list_nodes,
    ),
    Command(
        ("nodes", "forget"),
        "remove a node gone for good (silent longer than [cluster] silent_after): its"
        " heartbeat, after closing the calls and queue stays it left open",
        "hajj-ivr nodes forget ivr3",
        forget,
        (Arg(("name",), {"help": "the node's name, as `nodes list` shows it"}),),
    ),
)
