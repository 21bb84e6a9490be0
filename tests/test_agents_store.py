"""Agent accounts: names, tiers, hashes only; the PJSIP file carries the digest, no password."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from ivr.agents import passwords, pjsip
from ivr.agents.store import AgentError, AgentStore


def test_agents_add_stores_hashes_and_checks_the_web_password(tmp_path: Path) -> None:
    store = AgentStore(tmp_path / "agents.sqlite")
    agent, password = store.add("siti", 2)
    assert (agent.endpoint, agent.interface, agent.queue) == (
        "agent-siti",
        "PJSIP/agent-siti",
        "hajj-tier2",
    )
    raw = (tmp_path / "agents.sqlite").read_bytes()
    assert password.encode() not in raw
    expected = hashlib.md5(f"agent-siti:hajj-ivr:{password}".encode()).hexdigest()
    assert agent.sip_md5 == expected
    assert store.check_login("siti", password) == agent
    assert store.check_login("siti", password + "x") is None
    assert store.check_login("nobody", password) is None


@pytest.mark.parametrize(
    ("name", "tier", "message"),
    [("Siti", 1, "lowercase"), ("a", 1, "2-31"), ("budi", 4, "use 1, 2 or 3")],
)
def test_agents_add_refuses_bad_names_and_tiers(
    tmp_path: Path, name: str, tier: int, message: str
) -> None:
    with pytest.raises(AgentError, match=message):
        AgentStore(tmp_path / "agents.sqlite").add(name, tier)


def test_agents_remove_unknown_says_so(tmp_path: Path) -> None:
    with pytest.raises(AgentError, match="no agent 'budi'"):
        AgentStore(tmp_path / "agents.sqlite").remove("budi")


def test_agents_pjsip_has_endpoint_auth_aor_and_the_tier(tmp_path: Path) -> None:
    store = AgentStore(tmp_path / "agents.sqlite")
    agent, password = store.add("budi", 1)
    text = pjsip.text(store.all())
    assert "[agent-budi](agent-template)" in text
    assert f"md5_cred = {agent.sip_md5}" in text and password not in text
    assert "set_var = HAJJ_AGENT_TIER=1" in text and "set_var = HAJJ_AGENT_NAME=budi" in text
    assert f"realm = {passwords.SIP_REALM}" in text
