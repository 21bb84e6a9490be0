"""Docs kept true by tests: every path the README's layout table names exists, every
command of the command line is in the README."""

from __future__ import annotations

import re
from pathlib import Path

from ivr.cli.main import COMMANDS
from ivr.config import PROJECT_DIR

README = PROJECT_DIR / "README.md"
# A backticked token that names a file or folder: `ivr/agi/`, `codec.py`, `catalog.toml`.
PATHLIKE = re.compile(r"^[\w.-]+(/[\w.-]+)*/?$")
FILE = re.compile(r"\.(py|toml|md|js|css|conf)$")


def layout_rows() -> list[tuple[list[str], str]]:
    """The layout table: each row's paths (first column) and its description."""
    text = README.read_text(encoding="utf-8")
    table = text.split("## Layout", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in table.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 2 and cells[0].startswith("`"):
            rows.append((re.findall(r"`([^`]+)`", cells[0]), cells[1]))
    return rows


def named_in(description: str, folder: Path) -> list[Path]:
    """Paths a description names: project-relative when they start at a top folder,
    else inside the row's folder."""
    found = []
    for token in re.findall(r"`([^`]+)`", description):
        if not PATHLIKE.match(token) or not (token.endswith("/") or FILE.search(token)):
            continue
        top = token.split("/", 1)[0]
        found.append(PROJECT_DIR / token if (PROJECT_DIR / top).is_dir() else folder / token)
    return found


def test_docs_readme_layout_table_every_path_exists() -> None:
    rows = layout_rows()
    assert len(rows) >= 15 and any(paths == ["data/"] for paths, _ in rows)
    missing = []
    for paths, description in rows:
        for path in paths:
            if not (PROJECT_DIR / path).exists():
                missing.append(path)
        folder = PROJECT_DIR / paths[0] if paths[0].endswith("/") else PROJECT_DIR
        missing += [str(p) for p in named_in(description, folder) if not p.exists()]
    assert missing == []


def test_docs_data_folder_keeps_exports_out_of_git() -> None:
    ignored = (PROJECT_DIR / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert "/data/*" in ignored and "!/data/README.md" in ignored
    assert "is ever committed" in (PROJECT_DIR / "data" / "README.md").read_text(encoding="utf-8")


def readme_commands() -> set[tuple[str, ...]]:
    """Every `hajj-ivr NOUN [VERB|VERB...]` the README's command-line block shows."""
    text = README.read_text(encoding="utf-8")
    block = text.split("## The command line", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    shown: set[tuple[str, ...]] = set()
    for noun, verbs in re.findall(r"hajj-ivr ([a-z]+)(?: ([a-z|]+))?", block):
        shown.add((noun,))
        shown |= {(noun, verb) for verb in verbs.split("|") if verb}
    return shown


def test_docs_every_cli_command_is_in_the_readme() -> None:
    missing = [" ".join(c.path) for c in COMMANDS if c.path not in readme_commands()]
    assert missing == []
