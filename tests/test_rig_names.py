"""The real-call modules share one hotline per xdist worker: two modules that add the same
agent, admin or supervisor fail on whichever worker runs both (seen: 'tono' already
exists). Names given as string literals must differ across modules."""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

ADDED = re.compile(
    r'add_(?:agent|admin)\(\s*"([a-z][a-z0-9_-]*)"'
    r'|"(?:agents|admins|supervisors)",\s*"add",\s*"([a-z][a-z0-9_-]*)"'
    r"|^(?:AGENT|ADMIN)\b[^=]*=\s*(.+)$"
    r"|add_(?:agent|admin)\(name\b.*\bfor name in (\(.*\))",
    re.MULTILINE,
)


def names(text: str) -> set[str]:
    found = set()
    for literal, cli, constants, loop in ADDED.findall(text):
        listed = constants + loop
        found |= {literal, cli} | set(re.findall(r'"([a-z][a-z0-9_-]*)"', listed))
    return found - {""}


def test_rig_names_each_account_is_added_by_one_module_only() -> None:
    modules = sorted(Path(__file__).parent.glob("test_*.py"))
    by_name: dict[str, list[str]] = defaultdict(list)
    for module in modules:
        if module.name == Path(__file__).name:
            continue
        if "hotline: Hotline" not in (text := module.read_text()):
            continue  # cli.main on a private state dir shares nothing
        for name in names(text):
            by_name[name].append(module.name)
    shared = {name: where for name, where in by_name.items() if len(where) > 1}
    assert not shared, f"accounts added by more than one module on the shared hotline: {shared}"


def test_rig_names_finds_literals_cli_adds_and_constants() -> None:
    text = """
AGENT, ADMIN = "laras", "bagus"
x = hotline.add_agent("gita", 1)
y = hotline.cli("supervisors", "add", "indah")
z = {name: hotline.add_agent(name, 1) for name in ("wira", "wiwik")}
"""
    assert names(text) == {"laras", "bagus", "gita", "indah", "wira", "wiwik"}
