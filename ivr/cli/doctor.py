"""`hajj-ivr doctor`: every part checked, with what to do."""

from __future__ import annotations

import argparse
import asyncio

from ivr import doctor
from ivr.cli.table import Command
from ivr.config import Config
from ivr.web import vendor


def run(config: Config, args: argparse.Namespace) -> int:
    failed = 0
    # The browser phone's files are the web app's: checked here, above both (floors).
    for check in [*asyncio.run(doctor.run_checks(config)), vendor.installed()]:
        print(f"{'OK  ' if check.ok else 'FAIL'} {check.name}: {check.detail}")
        failed += not check.ok
    return 1 if failed else 0


DOCTOR = Command(
    ("doctor",),
    "check Asterisk, AMI, FastAGI, data, prompts, PostgreSQL, the browser phone; say what to fix",
    "hajj-ivr doctor",
    run,
)
