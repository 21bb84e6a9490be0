"""`hajj-ivr`: the noun-verb command line. Every command's help ends with an example.

One place turns errors into exit codes: HajjIvrError -> 1 with its message, bad usage -> 2.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ivr import config as config_mod
from ivr import files
from ivr.config import Config
from ivr.errors import HajjIvrError

Handler = Callable[[Config, argparse.Namespace], int]


def _cmd(sub: Any, name: str, help_text: str, example: str, handler: Handler) -> Any:
    parser = sub.add_parser(
        name,
        help=help_text,
        description=help_text,
        epilog=f"Example:\n  {example}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.set_defaults(handler=handler)
    return parser


def build_parser() -> argparse.ArgumentParser:
    from ivr import commands as c
    from ivr.agents import commands as a
    from ivr.agents import logins
    from ivr.data import commands as d

    parser = argparse.ArgumentParser(
        prog="hajj-ivr",
        description="The 500425 hajj information hotline: Asterisk + asyncio controller.",
        epilog="Example:\n  hajj-ivr asterisk start && hajj-ivr serve",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--config", type=Path, help="TOML config file (default hajj-ivr.toml)")
    parser.add_argument("--state-dir", type=Path, help="runtime directory (default ./var)")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    nouns = parser.add_subparsers(dest="noun", required=True, metavar="COMMAND")

    ast = nouns.add_parser("asterisk", help="install, start, stop and talk to Asterisk")
    verbs = ast.add_subparsers(dest="verb", required=True, metavar="VERB")
    _cmd(
        verbs,
        "install",
        "build the sandbox Asterisk (Debian sid) unless one is installed",
        "sudo hajj-ivr asterisk install",
        c.asterisk_install,
    )
    _cmd(
        verbs,
        "start",
        "render dialplan/ and start Asterisk in the background",
        "hajj-ivr asterisk start",
        c.asterisk_start,
    )
    _cmd(verbs, "stop", "stop the Asterisk we started", "hajj-ivr asterisk stop", c.asterisk_stop)
    _cmd(
        verbs,
        "status",
        "is our Asterisk running; its version and calls",
        "hajj-ivr asterisk status",
        c.asterisk_status,
    )
    _cmd(
        verbs,
        "reload",
        "re-render dialplan/ and reload dialplan, queues (statistics kept), PJSIP; calls go on",
        "hajj-ivr asterisk reload",
        c.asterisk_reload,
    )
    cli = _cmd(
        verbs,
        "cli",
        "run one Asterisk CLI command",
        'hajj-ivr asterisk cli "core show channels"',
        c.asterisk_cli,
    )
    cli.add_argument("command", help="the CLI command, quoted")

    _cmd(
        nouns,
        "serve",
        "run the controller: FastAGI server and AMI connection",
        "hajj-ivr serve",
        c.serve,
    )
    _cmd(
        nouns,
        "run",
        "start Asterisk and the controller in the foreground (Ctrl-C stops both)",
        "hajj-ivr run",
        c.run,
    )

    call = _cmd(
        nouns,
        "call",
        "place a test call through AMI and print its transcript",
        "hajj-ivr call 500425 --until 'Data per' \\\n"
        "      --dtmf 11100123456#WWWWWWWWWWWWWWW1WWWWWWWWWWWWWWWW5WWW14031958",
        c.call,
    )
    call.add_argument("number", help="the number to call (the hotline is 500425)")
    call.add_argument("--dtmf", default="", help="keys to press after answer; w/W pause 0.5/1 s")
    call.add_argument("--delay", type=float, default=1.0, help="seconds before the first key")
    call.add_argument("--timeout", type=float, default=300.0, help="end the call after this")
    call.add_argument(
        "--until",
        default="",
        metavar="TEXT",
        help="hang up once all keys are sent and the IVR has said TEXT (e.g. 'Data per')",
    )
    call.add_argument("--json", action="store_true", help="print the call and transcript as JSON")

    calls = nouns.add_parser("calls", help="read the call log")
    verbs = calls.add_subparsers(dest="verb", required=True, metavar="VERB")
    listing = _cmd(
        verbs,
        "list",
        "the latest calls, newest first",
        "hajj-ivr calls list --limit 5",
        c.calls_list,
    )
    listing.add_argument("--limit", type=int, default=20)
    show = _cmd(
        verbs,
        "show",
        "one call and its transcript",
        "hajj-ivr calls show hajj-test-1a2b",
        c.calls_show,
    )
    show.add_argument("id", help="the call id (Asterisk uniqueid), as `calls list` prints it")
    show.add_argument("--json", action="store_true")

    retention = nouns.add_parser("retention", help="delete personal data past its period")
    verbs = retention.add_subparsers(dest="verb", required=True, metavar="VERB")
    purge = _cmd(
        verbs,
        "purge",
        "delete calls, lookups, callbacks, complaint audio and uploads past their [retention]"
        " period now (the controller does it daily); prints counts only",
        "hajj-ivr retention purge --dry-run",
        c.retention_purge,
    )
    purge.add_argument("--dry-run", action="store_true", help="count, delete nothing")

    data = nouns.add_parser("data", help="the SISKOHAT data mirror")
    verbs = data.add_subparsers(dest="verb", required=True, metavar="VERB")
    imp = _cmd(
        verbs,
        "import",
        "validate an export (folder or .zip) and swap it in atomically",
        "hajj-ivr data import exports/siskohat-2026-04-01.zip",
        d.data_import,
    )
    imp.add_argument("path", type=Path, help="folder or .zip with jemaah.csv and kloter.csv")
    imp.add_argument("--quiet", action="store_true", help="no progress line")
    imp.add_argument(
        "--force", action="store_true", help="import even an export older than the live mirror"
    )
    smp = _cmd(
        verbs,
        "sample",
        "write realistic sample data and import it",
        "hajj-ivr data sample --rows 1000",
        d.data_sample,
    )
    smp.add_argument("--out", type=Path, help="folder to write (default STATE_DIR/sample)")
    smp.add_argument("--rows", type=int, default=300, help="jemaah rows (default 300)")
    smp.add_argument("--skip-import", action="store_true", help="only write the CSV files")
    smp.add_argument("--if-empty", action="store_true", help="import only when no mirror exists")
    smp.add_argument("--force", action="store_true", help="replace a live mirror with the sample")
    smp.add_argument("--show", type=int, default=12, help="fixed examples to print")
    _cmd(
        verbs,
        "status",
        "the live mirror: as-of date, rows, last import",
        "hajj-ivr data status",
        d.data_status,
    )

    prompts = nouns.add_parser("prompts", help="build and check the prompt audio")
    verbs = prompts.add_subparsers(dest="verb", required=True, metavar="VERB")
    _cmd(
        verbs,
        "build",
        "render the catalog to 8 kHz audio (incremental)",
        "hajj-ivr prompts build",
        c.prompts_build,
    )
    _cmd(
        verbs,
        "check",
        "fail when a prompt id used by the code or dialplan is missing",
        "hajj-ivr prompts check",
        c.prompts_check,
    )
    _cmd(verbs, "list", "every prompt id and its text", "hajj-ivr prompts list", c.prompts_list)

    agents = nouns.add_parser("agents", help="agent accounts, queue login, pause")
    verbs = agents.add_subparsers(dest="verb", required=True, metavar="VERB")
    add = _cmd(
        verbs,
        "add",
        "create an agent: a SIP phone account and a web login (two passwords, printed once)",
        "hajj-ivr agents add siti --tier 1",
        a.add,
    )
    add.add_argument("name", help="lowercase login name (the phone's user is agent-NAME)")
    add.add_argument("--tier", type=int, default=1, choices=(1, 2, 3), help="1, 2 or 3")
    listing = _cmd(
        verbs,
        "list",
        "every agent and their state: logged out, available, paused, ringing, on call",
        "hajj-ivr agents list",
        a.list_,
    )
    listing.add_argument("--json", action="store_true")
    for verb, text, handler in [
        ("remove", "delete an agent, their phone account and web sessions", a.remove),
        ("login", "put the agent in their tier's queue (phone: *71)", a.login),
        ("logout", "take the agent out of the queue (phone: *72)", a.logout),
        ("unpause", "make the agent available again (phone: *74)", a.unpause),
    ]:
        one = _cmd(verbs, verb, text, f"hajj-ivr agents {verb} siti", handler)
        one.add_argument("name")
    paused = _cmd(
        verbs,
        "pause",
        "stop ringing the agent, staying logged in (phone: *73)",
        "hajj-ivr agents pause siti --reason istirahat",
        a.pause,
    )
    paused.add_argument("name")
    paused.add_argument("--reason", default="", help="shown in `agents list`")
    new = _cmd(
        verbs,
        "password",
        "a new web password (their web sessions end) or, with --sip, a new phone password",
        "hajj-ivr agents password siti",
        a.password,
    )
    new.add_argument("name")
    new.add_argument("--sip", action="store_true", help="the phone's password, not the web's")

    admins = nouns.add_parser("admins", help="dashboard admin logins")
    verbs = admins.add_subparsers(dest="verb", required=True, metavar="VERB")
    first = _cmd(
        verbs,
        "add",
        "create a dashboard admin (password printed once)",
        "hajj-ivr admins add rahmat",
        a.admin_add,
    )
    first.add_argument("name")
    _cmd(verbs, "list", "every admin login", "hajj-ivr admins list", a.admin_list)
    gone = _cmd(
        verbs,
        "remove",
        "delete an admin login (their web sessions end)",
        "hajj-ivr admins remove rahmat",
        a.admin_remove,
    )
    gone.add_argument("name")
    new = _cmd(
        verbs,
        "password",
        "a new password for an admin (printed once; their web sessions end)",
        "hajj-ivr admins password rahmat",
        a.admin_password,
    )
    new.add_argument("name")

    sessions = nouns.add_parser("sessions", help="web logins: who is logged in, end, unlock")
    verbs = sessions.add_subparsers(dest="verb", required=True, metavar="VERB")
    listing = _cmd(
        verbs,
        "list",
        "live web sessions, and names or addresses locked after wrong passwords",
        "hajj-ivr sessions list",
        logins.list_,
    )
    listing.add_argument("--json", action="store_true")
    end = _cmd(
        verbs,
        "end",
        "end every web session of an agent or admin (they must log in again)",
        "hajj-ivr sessions end siti",
        logins.end,
    )
    end.add_argument("name")
    unlock = _cmd(
        verbs,
        "unlock",
        "let a name or client address locked after wrong passwords try again now",
        "hajj-ivr sessions unlock siti",
        logins.unlock,
    )
    unlock.add_argument("key", metavar="NAME_OR_ADDRESS")

    web = _cmd(
        nouns,
        "web",
        "serve the dashboard and the agents' console on web.host:web.port",
        "hajj-ivr web",
        c.web,
    )
    del web

    _cmd(
        nouns,
        "doctor",
        "check Asterisk, AMI, FastAGI, data and prompts; say what to fix",
        "hajj-ivr doctor",
        c.doctor,
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    # Stores, recordings, uploads and secrets hold personal data: ours alone from birth.
    os.umask(files.UMASK)
    parser = build_parser()
    args = parser.parse_args(argv)
    # The long-running commands narrate at INFO; one-shot commands only warn.
    quiet = args.noun not in ("serve", "run", "web")
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else (logging.WARNING if quiet else logging.INFO),
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


def print_json(value: object) -> None:
    print(json.dumps(value, indent=2, ensure_ascii=False))


def run_async(coro: Any) -> Any:
    return asyncio.run(coro)


if __name__ == "__main__":
    sys.exit(main())
