"""`hajj-ivr prompts ...`: build the catalog's audio, check every id used, list them."""

from __future__ import annotations

import argparse
import getpass

from ivr.admin import reloads
from ivr.admin.audit import Audit
from ivr.cli.table import Command
from ivr.config import Config
from ivr.prompts import build as build_mod
from ivr.prompts import check
from ivr.prompts.catalog import Catalog


def _catalog(config: Config) -> Catalog:
    return Catalog.load(config.prompts_dir, config.overrides_dir)


def build(config: Config, args: argparse.Namespace) -> int:
    _, detail = reloads.build_prompts(config)
    Audit.for_config(config).record(getpass.getuser(), "prompts", True, detail)
    print(f"prompts: {detail}")
    return 0


def check_(config: Config, args: argparse.Namespace) -> int:
    problems = check.problems(_catalog(config), config.project_dir, config.sounds_dir)
    for problem in problems:
        print(problem)
    if not problems:
        print("prompts: every prompt used is in the catalog and built")
    return 1 if problems else 0


def list_(config: Config, args: argparse.Namespace) -> int:
    """Number (keyed at *79), id, the voice that made it, text."""
    voices = build_mod.voice_of(config.sounds_dir)
    for number, prompt in _catalog(config).numbers().items():
        voice = voices.get(prompt.id) or "-"
        print(f"{number} {prompt.id:28} {voice:14} {prompt.text}")
    return 0


COMMANDS = (
    Command(
        ("prompts", "build"),
        "render the catalog to 8 kHz audio (incremental)",
        "hajj-ivr prompts build",
        build,
    ),
    Command(
        ("prompts", "check"),
        "fail when a prompt id used by the code or dialplan is missing",
        "hajj-ivr prompts check",
        check_,
    ),
    Command(
        ("prompts", "list"),
        "every prompt: its number (to record it by phone), id, voice and text",
        "hajj-ivr prompts list",
        list_,
    ),
)
