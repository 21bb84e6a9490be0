"""`hajj-ivr doctor`: every part checked, with what to do."""

from __future__ import annotations

import argparse
import asyncio

from ivr import doctor
from ivr.cli.table import Command
from ivr.config import Config


def run(config: Config, args: argparse.Namespace) -> int:
    failed = 0
    for check in asyncio.run(doctor.run_checks(config)):
        print(f"{'OK  ' if check.ok else 'FAIL'} {check.name}: {check.detail}")
        failed += not check.ok
    return 1 if failed else 0


DOCTOR = Command(
    ("doctor",),
    "check Asterisk, AMI, FastAGI, data and prompts; say what to fix",
    "hajj-ivr doctor",
    run,
)
