"""The tree's shape (docs/architecture.md): every module on one floor, no import up a floor,
no import circle between modules or between packages, package __init__ files import
nothing, sub-flows import shared steps and never each other, flows reach the channel, call
log and mirror only through Call, no function over 60 lines and no module over 400.
"""

from __future__ import annotations

import ast
import graphlib
import re
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "ivr"
DOC = ROOT / "docs" / "architecture.md"
MAX_FUNCTION_LINES = 60
MAX_MODULE_LINES = 400

# A floor row of the table: | 3 | stores | `ivr.calllog` `ivr.queue.*` ... | owns |
ROW = re.compile(r"^\|\s*(\d+)\s*\|[^|]+\|([^|]*)\|", re.M)
TOKEN = re.compile(r"`(ivr(?:\.\w+)*(?:\.\*)?)`")

# The console script's entry point is ivr.cli:main, so the CLI's __init__ hands main on.
ENTRY_INIT = "ivr.cli"


# --- the tree ------------------------------------------------------------------------


@cache
def modules() -> dict[str, Path]:
    """Every module of the package by dotted name (a package is its __init__)."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def is_init(module: str) -> bool:
    return modules()[module].name == "__init__.py"


@cache
def edges() -> dict[str, dict[str, int]]:
    """module -> {imported ivr module: first line}. Every import ast finds, lazy ones
    inside functions included. ``from ivr.x import y`` is ivr.x.y when that is a module,
    else ivr.x."""
    found: dict[str, dict[str, int]] = {}
    for name, path in modules().items():
        lines = found.setdefault(name, {})
        for target, line in _imports(name, path):
            lines[target] = min(line, lines.get(target, line))
    return found


def _imports(module: str, path: Path) -> Iterator[tuple[str, int]]:
    known = modules()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            targets = [_from(node.module, alias.name, known) for alias in node.names]
        else:
            continue
        for target in targets:
            if target in known and target != module:
                yield target, node.lineno


def _from(base: str, name: str, known: Mapping[str, Path]) -> str:
    return f"{base}.{name}" if f"{base}.{name}" in known else base


@cache
def floors() -> tuple[tuple[int, tuple[str, ...]], ...]:
    """The floor table of docs/architecture.md: (number, module names and patterns)."""
    text = DOC.read_text().split("## Floors", 1)[1].split("\n## ", 1)[0]
    return tuple((int(num), tuple(TOKEN.findall(cell))) for num, cell in ROW.findall(text))


def floor_of(module: str) -> int | None:
    """The floor naming the module exactly, else the one with the longest ``pkg.*``."""
    best: tuple[int, int] | None = None  # (length of the pattern's package, floor)
    for number, names in floors():
        for name in names:
            if name == module:
                return number
            base = name.removesuffix(".*")
            if name.endswith(".*") and module.startswith(base + "."):
                best = max(best or (0, 0), (len(base), number))
    return best[1] if best else None


def package(module: str) -> str:
    """ivr.a.b -> ivr.a; ivr.a -> ivr.a."""
    return ".".join(module.split(".")[:2])


def no_circle(graph: Mapping[str, set[str]], what: str) -> None:
    """graphlib names a circle if there is one (it lists each node before the nodes that
    import it, so the message reads it backwards: a imports b imports ... a)."""
    try:
        graphlib.TopologicalSorter(graph).prepare()
    except graphlib.CycleError as e:
        raise AssertionError(f"{what} import circle: {' -> '.join(reversed(e.args[1]))}") from None


def module_graph() -> dict[str, set[str]]:
    return {a: set(bs) for a, bs in edges().items()}


def package_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for a, bs in edges().items():
        graph.setdefault(package(a), set()).update(package(b) for b in bs)
    return {a: bs - {a} for a, bs in graph.items()}


def where(module: str, target: str) -> str:
    return f"{modules()[module].relative_to(ROOT)}:{edges()[module][target]}"


# --- the checks ----------------------------------------------------------------------


def test_architecture_every_module_is_on_exactly_one_floor() -> None:
    unplaced = [m for m in modules() if not is_init(m) and floor_of(m) is None]
    assert not unplaced, f"place these in docs/architecture.md's floor table: {unplaced}"
    names = [name for _, row in floors() for name in row]
    twice = sorted({name for name in names if names.count(name) > 1})
    assert not twice, f"on two floors: {twice}"
    assert [number for number, _ in floors()] == list(range(len(floors())))


def test_architecture_floor_table_names_only_modules_that_exist() -> None:
    known = modules()
    stale = [
        name
        for _, row in floors()
        for name in row
        if (name.removesuffix(".*") not in known)
        or (name.endswith(".*") and not any(m.startswith(name[:-1]) for m in known))
    ]
    assert not stale, f"docs/architecture.md names modules that do not exist: {stale}"


def test_architecture_no_import_runs_up_a_floor() -> None:
    found: dict[str, str] = {}
    for module, targets in edges().items():
        low = floor_of(module)
        for target in targets:
            high = floor_of(target)
            if low is not None and high is not None and high > low:
                found[f"{module} -> {target}"] = where(module, target)
    assert not found, f"imports up a floor: {found}"


def test_architecture_no_import_circle_between_modules() -> None:
    no_circle(module_graph(), "module")


def test_architecture_no_import_circle_between_packages() -> None:
    no_circle(package_graph(), "package")


def test_architecture_package_inits_import_nothing() -> None:
    found = {m for m in modules() if is_init(m) and edges()[m]} - {ENTRY_INIT}
    assert not found, f"package __init__ files importing: {sorted(found)}"


# Flows every flow may import (shared steps, what a pilgrim's row says), and the only
# modules that compose flows (the main menu, the route table).
SHARED_FLOWS = frozenset({"ivr.flows.steps", "ivr.flows.info"})
COMPOSERS = frozenset({"ivr.flows.hotline", "ivr.flows.routes"})


def test_architecture_sub_flows_import_steps_not_each_other() -> None:
    found = [
        f"{module} -> {target} ({where(module, target)})"
        for module, targets in edges().items()
        if module.startswith("ivr.flows.") and module not in COMPOSERS
        for target in targets
        if target.startswith("ivr.flows.") and target not in SHARED_FLOWS
    ]
    assert not found, f"flows importing flows (only the main menu and routes may): {found}"


# What a flow reaches only through Call: the channel, the call log and the data mirror.
CALL_DOORS = frozenset({"channel", "_channel", "calllog", "_calllog", "mirror", "_mirror"})


def test_architecture_flows_reach_the_channel_call_log_and_mirror_only_through_call() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{node.lineno} .{node.attr}"
        for module, path in modules().items()
        if module.startswith("ivr.flows.")
        for node in ast.walk(ast.parse(path.read_text(), str(path)))
        if isinstance(node, ast.Attribute) and node.attr in CALL_DOORS
    ]
    assert not found, f"flows going around Call: {found}"


def test_architecture_no_function_over_60_lines() -> None:
    found = set()
    for module, path in modules().items():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                assert node.end_lineno is not None
                if node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES:
                    found.add(f"{module}.{node.name}")
    assert not found, f"functions over {MAX_FUNCTION_LINES} lines: {sorted(found)}"


def test_architecture_no_module_over_400_lines() -> None:
    found = {
        module
        for module, path in modules().items()
        if len(path.read_text().splitlines()) > MAX_MODULE_LINES
    }
    assert not found, f"modules over {MAX_MODULE_LINES} lines: {sorted(found)}"
