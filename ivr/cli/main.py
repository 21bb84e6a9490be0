"""`hajj-ivr`: the noun-verb command line, built from every leaf's commands. Every
command's help ends with an example.

One place turns errors into exit codes: HajjIvrError -> 1 with its message, bad usage -> 2.
The command line is the top floor: it imports the library, nothing imports it.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from typing import Any

from ivr import config as config_mod
from ivr import files
from ivr.cli import (
    admins,
    agents,
    asterisk,
    backup,
    calls,
    campaigns,
    cluster,
    data,
    db,
    doctor,
    nodes,
    phone,
    prompts,
    retention,
    serve,
    service,
    sessions,
    supervisors,
    units,
)
from ivr.cli.table import build_parser as build
from ivr.errors import HajjIvrError

# Every command, in the order --help lists them.
COMMANDS = (
    *asterisk.COMMANDS,
    serve.SERVE,
    serve.RUN,
    calls.CALL,
    *calls.COMMANDS,
    *retention.COMMANDS,
    *data.COMMANDS,
    *db.COMMANDS,
    *prompts.COMMANDS,
    *agents.COMMANDS,
    *admins.COMMANDS,
    *supervisors.COMMANDS,
    *units.COMMANDS,
    *sessions.COMMANDS,
    *phone.COMMANDS,
    *campaigns.COMMANDS,
    serve.WEB,
    doctor.DOCTOR,
    backup.BACKUP,
    backup.RESTORE,
    *service.COMMANDS,
    *cluster.COMMANDS,
    *nodes.COMMANDS,
)
NOUNS = {
    "asterisk": "install, start, stop and talk to Asterisk",
    "calls": "read the call log",
    "retention": "delete personal data past its period",
    "data": "the SISKOHAT data mirror",
    "db": "the stores' tables: migrate them to this release",
    "prompts": "build and check the prompt audio",
    "agents": "agent accounts, queue login, pause",
    "admins": "dashboard admin logins",
    "supervisors": "supervisors: wallboard login and a phone to listen in on agents' calls",
    "units": "logins of the units that resolve correction cases",
    "sessions": "web logins: who is logged in, end, unlock",
    "phone": "the console's browser phone: SIP.js and the local certificate",
    "service": "run the hotline under systemd: install, remove, status",
    "campaigns": "schedule-change calls after an import moved a kloter",
    "cluster": "a local cluster: Kamailio, IVR nodes, the agent node, PostgreSQL",
    "nodes": "the nodes sharing [database] url: their heartbeats, forget one gone for good",
}


def build_parser() -> argparse.ArgumentParser:
    return build(COMMANDS, NOUNS)


def main(argv: Sequence[str] | None = None) -> int:
    # Stores, recordings, uploads and secrets hold personal data: ours alone from birth.
    os.umask(files.UMASK)
    args = build_parser().parse_args(argv)
    # The long-running commands narrate at INFO; one-shot commands only warn.
    quiet = logging.WARNING if not args.narrates else logging.INFO
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else quiet,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    overrides: dict[str, Any] = {}
    if args.state_dir:
        overrides["state_dir"] = args.state_dir
    try:
        config = config_mod.load(file=args.config, overrides=overrides)
        code: int = args.handler(config, args)
        return code
    except HajjIvrError as e:
        print(f"hajj-ivr: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
