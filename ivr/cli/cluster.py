"""`hajj-ivr cluster up|down|status`: a local cluster on this machine for trying and
testing (ivr/cluster/local.py): PostgreSQL, Kamailio on 127.0.0.1:5060, two IVR nodes on
127.0.0.2 and 127.0.0.3, the agent node on 127.0.0.4, each in a folder of its own under
state_dir/cluster. README "Cluster" maps the same pieces onto several servers."""

from __future__ import annotations

import argparse
from pathlib import Path

from ivr.cli.table import Arg, Command
from ivr.cluster import local
from ivr.cluster.plan import plan
from ivr.config import Config


def _folder(config: Config, args: argparse.Namespace) -> Path:
    folder: Path | None = args.folder
    return (folder or config.cluster_dir).resolve()


def up(config: Config, args: argparse.Namespace) -> int:
    folder = _folder(config, args)
    pieces = local.up(plan(folder, agent=not args.no_agent), config)
    _print(pieces)
    print(
        f"\ncalls: sip:{config.ivr.hotline}@127.0.0.1:5060 from a phone that follows Kamailio's"
        " Record-Route (SIPp's built-in uac does not); load: python -m bench cluster"
    )
    return 0


def down(config: Config, args: argparse.Namespace) -> int:
    stopped = local.down(local.from_folder(_folder(config, args)))
    print("stopped: " + (", ".join(stopped) or "nothing was running"))
    return 0


def status(config: Config, args: argparse.Namespace) -> int:
    pieces = local.status(local.from_folder(_folder(config, args)))
    _print(pieces)
    return 0 if all(p.alive for p in pieces) else 3


def _print(pieces: list[local.Piece]) -> None:
    width = max(len(p.name) for p in pieces)
    for piece in pieces:
        state = f"running (pid {piece.pid})" if piece.pid else "stopped"
        print(f"{piece.name:<{width}}  {state:<22}  {piece.detail}".rstrip())


FOLDER = Arg(
    ("--folder",),
    {"type": Path, "help": "the cluster's folder (default: state_dir/cluster)"},
)

COMMANDS = (
    Command(
        ("cluster", "up"),
        "start a local cluster: PostgreSQL, Kamailio on 127.0.0.1:5060 in front of IVR"
        " nodes on 127.0.0.2 and 127.0.0.3 (Asterisk + controller each), the agent node on"
        " 127.0.0.4; each node a state dir of its own with this installation's prompts and"
        " data mirror; pieces already running are left alone",
        "hajj-ivr cluster up && hajj-ivr cluster status",
        up,
        (FOLDER, Arg(("--no-agent",), {"action": "store_true", "help": "no agent node"})),
    ),
    Command(
        ("cluster", "down"),
        "stop every piece of the local cluster by its PID file, Kamailio first",
        "hajj-ivr cluster down",
        down,
        (FOLDER,),
    ),
    Command(
        ("cluster", "status"),
        "each piece of the local cluster, its PID if it runs, and Kamailio's view of each"
        " IVR node (dispatcher flags: A active, I inactive, P probing); exit 3 when a piece"
        " is stopped",
        "hajj-ivr cluster status",
        status,
        (FOLDER,),
    ),
)
