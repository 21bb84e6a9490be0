"""Every prompt id the flows or the dialplan use must exist in the catalog (and be built).

Flows name prompts as string literals passed to ``call.say(...)``; the dialplan names them
as ``hajj/<id>`` sounds. Both are scanned, so a typo fails `hajj-ivr prompts check` and the
test suite rather than a caller's ears.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from ivr import speech
from ivr.prompts import build
from ivr.prompts.catalog import SOUND_DIR, Catalog

DIALPLAN_SOUND = re.compile(rf"\b{SOUND_DIR}/([a-z0-9-]+)")
SAY_METHODS = {"say", "menu"}
FLOW_PROMPT = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)+$")


def used_in_code(package_dir: Path) -> set[str]:
    """Prompt ids passed as string literals to ``.say(...)`` anywhere in the package."""
    used: set[str] = set()
    for path in package_dir.rglob("*.py"):
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in SAY_METHODS
            ):
                used |= {
                    arg.value
                    for arg in node.args
                    if isinstance(arg, ast.Constant) and isinstance(arg.value, str)
                }
    return used


def used_in_flows(flows_dir: Path) -> set[str]:
    """Every string literal shaped like a prompt id ("status-aktif") in the call flows.

    Flows also name prompts in tables (status -> prompt); a literal with a dash there is
    a prompt id by convention, so a table entry with a typo fails the check too.
    """
    used: set[str] = set()
    for path in flows_dir.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and FLOW_PROMPT.match(node.value)
            ):
                used.add(node.value)
    return used


def used_in_dialplan(dialplan_dir: Path) -> set[str]:
    used: set[str] = set()
    for path in dialplan_dir.glob("*.conf"):
        used |= set(DIALPLAN_SOUND.findall(path.read_text()))
    return used


def problems(catalog: Catalog, project_dir: Path, sounds_dir: Path) -> list[str]:
    found = []
    for where, ids in [
        ("ivr/", used_in_code(project_dir / "ivr")),
        ("ivr/flows/", used_in_flows(project_dir / "ivr" / "flows")),
        ("ivr/speech.py", set(speech.VOCABULARY)),
        ("dialplan/", used_in_dialplan(project_dir / "dialplan")),
    ]:
        found += [
            f"{where} uses prompt {pid!r}, not in the catalog" for pid in sorted(ids - set(catalog))
        ]
    found += [
        f"prompt {pid!r} is not built: run `hajj-ivr prompts build`"
        for pid in build.missing(catalog, sounds_dir)
    ]
    return found
