"""The two tiers stay in step: every check a real-call module runs from tests/scenarios/ also
runs in the fast tier, and every real pilgrim scenario is one the fast tier places too.
(Branches move to the fast tier; the real tier keeps one call per wiring path.)"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.scenarios import pilgrim

TESTS = Path(__file__).parent
SHARED = "tests.scenarios"


def is_real(tree: ast.Module) -> bool:
    """A real-Asterisk module: ``pytestmark = pytest.mark.asterisk``."""
    return any(
        isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == "pytestmark" for t in node.targets)
        and "asterisk" in ast.unparse(node.value)
        for node in tree.body
    )


def shared_names(tree: ast.Module) -> set[str]:
    """``module.name`` of everything a test module uses from tests/scenarios/."""
    modules: dict[str, str] = {}  # local alias -> scenarios module
    names: dict[str, str] = {}  # local name -> scenarios module.name
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == SHARED:
            modules |= {a.asname or a.name: a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith(f"{SHARED}."):
            module = (node.module or "").rsplit(".", 1)[1]
            names |= {a.asname or a.name: f"{module}.{a.name}" for a in node.names}
    used = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            if node.value.id in modules:
                used.add(f"{modules[node.value.id]}.{node.attr}")
        elif isinstance(node, ast.Name) and node.id in names:
            used.add(names[node.id])
    return used


def tiers() -> tuple[set[str], set[str]]:
    """What the real modules and what the fast ones use from tests/scenarios/."""
    real: set[str] = set()
    fast: set[str] = set()
    for path in TESTS.glob("test_*.py"):
        if path.name == Path(__file__).name:
            continue
        tree = ast.parse(path.read_text())
        (real if is_real(tree) else fast).update(shared_names(tree))
    return real, fast


def checks(names: set[str]) -> set[str]:
    return {n for n in names if n.split(".")[1].startswith("check_")}


def test_tiers_every_check_a_real_module_runs_runs_fast_too() -> None:
    real, fast = tiers()
    assert checks(real), "no real module uses a shared check: is the scan broken?"
    assert checks(real) - checks(fast) == set()


def test_tiers_every_shared_check_runs_fast() -> None:
    defined = set()
    for path in (TESTS / "scenarios").glob("*.py"):
        tree = ast.parse(path.read_text())
        defined |= {
            f"{path.stem}.{f.name}"
            for f in tree.body
            if isinstance(f, ast.FunctionDef) and f.name.startswith("check_")
        }
    assert defined - checks(tiers()[1]) == set()


def test_tiers_every_real_pilgrim_scenario_runs_fast() -> None:
    real, fast = tiers()
    assert "pilgrim.real_scenarios" in real and "pilgrim.scenarios" in fast
    assert "pilgrim.real_scenarios" not in fast  # the fast tier places every scenario
    assert set(pilgrim.REAL) <= set(pilgrim.scenarios())
    assert pilgrim.real_scenarios().keys() == set(pilgrim.REAL)
    # Parametrized checks: the fast tier runs every status and every menu's 0.
    assert {"pilgrim.STATUS_WORDING", "pilgrim.AGENT_MENUS"} <= fast
