"""dialplan/ and the Python side agree: channel variables, placeholders, prompt names."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ivr import chanvars
from ivr.asterisk.render import PLACEHOLDER, render_text
from ivr.config import PROJECT_DIR
from ivr.errors import ConfigError

DIALPLAN = PROJECT_DIR / "dialplan"


def _globals(extensions: str) -> set[str]:
    block = extensions.split("[globals]", 1)[1].split("\n[", 1)[0]
    return set(re.findall(r"^(HAJJ_\w+)\s*=", block, re.M))


def test_dialplan_every_hajj_variable_is_known_to_python_or_a_global() -> None:
    text = (DIALPLAN / "extensions.conf").read_text()
    used = set(re.findall(r"\b(HAJJ_[A-Z_]+)\b", text))
    assert used - set(chanvars.ALL) - _globals(text) == set()


def test_dialplan_every_python_channel_variable_is_used_by_the_dialplan() -> None:
    text = (DIALPLAN / "extensions.conf").read_text()
    assert {name for name in chanvars.ALL if name not in text} == set()


def test_dialplan_modules_conf_loads_nothing_automatically() -> None:
    text = (DIALPLAN / "modules.conf").read_text()
    assert re.search(r"^autoload\s*=\s*no", text, re.M)


def test_dialplan_ami_and_agi_bind_loopback_only() -> None:
    manager = (DIALPLAN / "manager.conf").read_text()
    assert re.search(r"^bindaddr\s*=\s*127\.0\.0\.1", manager, re.M)
    assert "agi://127.0.0.1:" in (DIALPLAN / "extensions.conf").read_text()


def test_dialplan_no_secret_committed_in_templates() -> None:
    for path in DIALPLAN.glob("*.conf"):
        for line in path.read_text().splitlines():
            if re.match(r"^(secret|password)\s*=", line):
                assert PLACEHOLDER.search(line), f"{path.name}: {line}"


@pytest.mark.parametrize("path", sorted(DIALPLAN.glob("*.conf")), ids=lambda p: p.name)
def test_render_every_template_with_known_values_leaves_no_placeholder(path: Path) -> None:
    names = set(PLACEHOLDER.findall(path.read_text()))
    rendered = render_text(path.read_text(), {n: "x" for n in names}, path.name)
    assert not PLACEHOLDER.search(rendered)


def test_render_unknown_placeholder_names_it() -> None:
    with pytest.raises(ConfigError, match=r"extensions.conf: unknown placeholder \{\{nope\}\}"):
        render_text("exten => {{nope}},1,NoOp()", {}, "extensions.conf")


def test_dialplan_no_queue_log_keeping_caller_numbers_outside_retention() -> None:
    # app_queue's queue_log writes every caller's number to a file nothing here reads.
    logger = (DIALPLAN / "logger.conf").read_text()
    assert re.search(r"^queue_log\s*=\s*no\s*$", logger, re.MULTILINE)
