"""`hajj-ivr call` (a test call through AMI) and `hajj-ivr calls ...` (the call log)."""

from __future__ import annotations

import argparse
import asyncio
import sys

from ivr import testcall
from ivr.ami.users import AmiUser, session
from ivr.calllog import CallLogReader
from ivr.cli.output import local_time, print_json
from ivr.cli.table import Arg, Command
from ivr.config import Config
from ivr.errors import HajjIvrError


def call(config: Config, args: argparse.Namespace) -> int:
    spec = testcall.TestCall(args.number, args.dtmf, delay=args.delay, timeout=args.timeout)
    result = asyncio.run(_place(config, spec, args.until))
    if not result.ended and not args.until:
        print(
            f"hajj-ivr: the call did not end within {args.timeout:g} s; hung it up", file=sys.stderr
        )
    return _show(config, result.call_id, args.json)


async def _place(config: Config, spec: testcall.TestCall, until: str) -> testcall.CallResult:
    async with session(config, AmiUser.CALLS) as ami:
        if until:
            return await testcall.place_until(
                ami, spec, CallLogReader(config.calllog_path, config.database), until
            )
        return await testcall.place(ami, spec)


def list_(config: Config, args: argparse.Namespace) -> int:
    for row in CallLogReader(config.calllog_path, config.database).recent(args.limit):
        started = local_time(config, row.started_at)
        print(f"{row.id}  {started}  {row.route:8}  {row.outcome:11}  {row.reason}")
    return 0


def show(config: Config, args: argparse.Namespace) -> int:
    return _show(config, args.id, args.json)


def _show(config: Config, call_id: str, as_json: bool) -> int:
    reader = CallLogReader(config.calllog_path, config.database)
    row = reader.get(call_id)
    if row is None:
        raise HajjIvrError(f"no call {call_id!r} in the call log (did it reach the controller?)")
    lines = reader.transcript(call_id)
    if as_json:
        print_json({"call": row.__dict__, "transcript": [line.__dict__ for line in lines]})
        return 0
    print(
        f"call {row.id}  {local_time(config, row.started_at)}  route {row.route}"
        f"  outcome {row.outcome}" + (f" ({row.reason})" if row.reason else "")
    )
    for line in lines:
        mark = " [terpotong]" if line.interrupted else ""
        prefix = {"say": "IVR:", "input": "Penelepon menekan:", "event": "--"}[line.kind]
        print(f"  {prefix} {line.text}{mark}")
    return 0


JSON = Arg(("--json",), {"action": "store_true", "help": "print the call and transcript as JSON"})

CALL = Command(
    ("call",),
    "place a test call through AMI and print its transcript",
    "hajj-ivr call 500425 --until 'Data per' \\\n"
    "      --dtmf 11100123456#WWWWWWWWWWWWWWW1WWWWWWWWWWWWWWWW5WWW14031958",
    call,
    (
        Arg(("number",), {"help": "the number to call (the hotline is 500425)"}),
        Arg(("--dtmf",), {"default": "", "help": "keys to press after answer; w/W pause 0.5/1 s"}),
        Arg(("--delay",), {"type": float, "default": 1.0, "help": "seconds before the first key"}),
        Arg(("--timeout",), {"type": float, "default": 300.0, "help": "end the call after this"}),
        Arg(
            ("--until",),
            {
                "default": "",
                "metavar": "TEXT",
                "help": "hang up once all keys are sent and the IVR has said TEXT"
                " (e.g. 'Data per')",
            },
        ),
        JSON,
    ),
)
COMMANDS = (
    Command(
        ("calls", "list"),
        "the latest calls, newest first",
        "hajj-ivr calls list --limit 5",
        list_,
        (Arg(("--limit",), {"type": int, "default": 20}),),
    ),
    Command(
        ("calls", "show"),
        "one call and its transcript",
        "hajj-ivr calls show hajj-test-1a2b",
        show,
        (
            Arg(("id",), {"help": "the call id (Asterisk uniqueid), as `calls list` prints it"}),
            Arg(("--json",), {"action": "store_true"}),
        ),
    ),
)
