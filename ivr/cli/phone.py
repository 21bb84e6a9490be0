"""`hajj-ivr phone setup`: what the console's browser phone needs on this machine."""

from __future__ import annotations

import argparse

from ivr.asterisk import tls
from ivr.cli.table import Command
from ivr.config import Config
from ivr.web import vendor


def setup(config: Config, args: argparse.Namespace) -> int:
    fetched = vendor.fetch()
    print(f"SIP.js {vendor.VERSION}: {'fetched' if fetched else 'already there'} ({vendor.TARGET})")
    files = tls.ensure(tls.files_for(config).folder)
    print(f"certificate of Asterisk's wss and DTLS: {files.cert}")
    return 0


COMMANDS = (
    Command(
        ("phone", "setup"),
        "fetch SIP.js (integrity checked) and make the local certificate (idempotent)",
        "hajj-ivr phone setup",
        setup,
    ),
)
