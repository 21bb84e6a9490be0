"""say.conf: what Asterisk itself says (queue positions, wait) uses Indonesian numbers."""

from __future__ import annotations

import re

import pytest

from ivr.asterisk import sayconf
from ivr.config import PROJECT_DIR
from ivr.prompts.catalog import Catalog

TEXT = sayconf.text()
RULES = dict(
    line.split(" => ", 1)
    for line in TEXT.splitlines()
    if " => " in line and not line.startswith(";")
)


@pytest.mark.parametrize(
    ("n", "files"),
    [
        (1, "hajj/digit-1"),
        (11, "hajj/num-sebelas"),
        (21, "hajj/digit-2, hajj/num-puluh, hajj/digit-1"),
        (100, "hajj/num-seratus"),  # not Asterisk's English "one hundred" order
        (115, "hajj/num-seratus, hajj/digit-5, hajj/num-belas"),
    ],
)
def test_sayconf_numbers_follow_indonesian_grammar(n: int, files: str) -> None:
    assert RULES[f"num:{n}"] == files


def test_sayconf_switches_asterisk_to_rule_mode() -> None:
    assert "[general]\nmode = new" in TEXT


def test_sayconf_every_sound_is_a_catalog_prompt() -> None:
    catalog = Catalog.load(PROJECT_DIR / "prompts")
    used = set(re.findall(r"hajj/([a-z0-9-]+)(?=[,\n])", TEXT))
    assert used and used <= set(catalog)
