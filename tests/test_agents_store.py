"""Agent accounts: names, tiers, hashes only; the PJSIP file carries the digest, no password;
the phone and the web login have different passwords; admins have no phone."""

from __future__ import annotations

import hashlib
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from ivr.agents import passwords, pjsip
from ivr.agents.schema import PG_SCHEMA, SCHEMA
from ivr.agents.store import AgentError, AgentStore
from tests.rig.postgres import Backend


def agents(backend: Backend) -> AgentStore:
    """The accounts over a connection of their own, on SQLite or PostgreSQL."""
    sql = backend.sql((SCHEMA,), (PG_SCHEMA,), "agents.sqlite")
    return AgentStore(backend.folder / "agents.sqlite", sql=sql)


def test_agents_add_stores_hashes_and_checks_the_web_password(backend: Backend) -> None:
    store = agents(backend)
    agent, new = store.add("siti", 2)
    assert (agent.endpoint, agent.interface, agent.queue) == (
        "agent-siti",
        "PJSIP/agent-siti",
        "hajj-tier2",
    )
    raw = str(backend.sql((SCHEMA,), (PG_SCHEMA,), "agents.sqlite").all("SELECT * FROM agents"))
    assert new.web not in raw and new.sip not in raw
    assert agent.sip_md5 == md5_cred("agent-siti", new.sip)
    assert store.check_login("siti", new.web) == agent
    assert store.check_login("siti", new.web + "x") is None
    assert store.check_login("nobody", new.web) is None


def md5_cred(user: str, password: str) -> str:
    return hashlib.md5(f"{user}:hajj-ivr:{password}".encode()).hexdigest()


def test_agents_add_phone_password_is_no_web_login_and_web_password_no_phone(
    backend: Backend,
) -> None:
    store = agents(backend)
    agent, new = store.add("siti", 1)
    assert new.sip != new.web
    assert store.check_login("siti", new.sip) is None
    assert agent.sip_md5 != md5_cred(agent.endpoint, new.web)


def test_admins_add_has_no_sip_digest_and_no_endpoint(backend: Backend) -> None:
    store = agents(backend)
    store.add("budi", 1)
    admin, new = store.add("rahmat", 0, role="admin")
    assert (admin.sip_md5, new.sip) == ("", "")
    text = pjsip.text(store.all() + store.all(role="admin"), "key")
    assert "[agent-budi]" in text and "rahmat" not in text


def test_agents_store_drops_an_old_admins_sip_digest(tmp_path: Path) -> None:
    path = tmp_path / "agents.sqlite"
    with closing(sqlite3.connect(path)) as db, db:  # a store as older versions left it
        db.executescript(SCHEMA.script)
        db.execute("INSERT INTO agents VALUES ('lama', 0, 'abc123', 'x', 'admin', 0)")
        db.execute("INSERT INTO agents VALUES ('budi', 1, 'def456', 'y', 'agent', 0)")
    assert AgentStore(path).get("lama", role="admin").sip_md5 == ""
    assert AgentStore(path).get("budi").sip_md5 == "def456"


def test_agents_new_sip_password_keeps_the_web_login(backend: Backend) -> None:
    store = agents(backend)
    _, new = store.add("siti", 1)
    agent, sip = store.new_sip_password("siti")
    assert agent.sip_md5 == md5_cred("agent-siti", sip) and sip != new.sip
    assert store.check_login("siti", new.web) == agent


@pytest.mark.parametrize(
    ("name", "tier", "message"),
    [("Siti", 1, "lowercase"), ("a", 1, "2-31"), ("budi", 4, "use 1, 2 or 3")],
)
def test_agents_add_refuses_bad_names_and_tiers(
    backend: Backend, name: str, tier: int, message: str
) -> None:
    with pytest.raises(AgentError, match=message):
        agents(backend).add(name, tier)


def test_agents_add_twice_refused_and_the_first_kept(backend: Backend) -> None:
    store = agents(backend)
    first, _ = store.add("siti", 1)
    with pytest.raises(AgentError, match="already exists"):
        store.add("siti", 0, role="unit", unit="kab:3201")
    assert store.get("siti") == first and store.unit_of("siti") == ""


def test_units_add_keeps_the_unit_and_remove_takes_it(backend: Backend) -> None:
    store = agents(backend)
    store.add("kemenag-bogor", 0, role="unit", unit="kab:3201")
    assert agents(backend).unit_of("kemenag-bogor") == "kab:3201"  # another node sees it
    store.remove("kemenag-bogor", role="unit")
    assert agents(backend).unit_of("kemenag-bogor") == ""


def test_agents_remove_unknown_says_so(backend: Backend) -> None:
    with pytest.raises(AgentError, match="no agent 'budi'"):
        agents(backend).remove("budi")


def test_agents_pjsip_has_endpoint_auth_aor_and_the_tier(backend: Backend) -> None:
    store = agents(backend)
    agent, new = store.add("budi", 1)
    text = pjsip.text(store.all(), "key")
    assert "[agent-budi](agent-template)" in text
    assert f"md5_cred = {agent.sip_md5}" in text and new.sip not in text
    assert "set_var = HAJJ_AGENT_TIER=1" in text and "set_var = HAJJ_AGENT_NAME=budi" in text
    assert f"realm = {passwords.SIP_REALM}" in text


def test_agents_pjsip_browser_phone_has_a_derived_digest_only(tmp_path: Path) -> None:
    store = AgentStore(tmp_path / "agents.sqlite")
    store.add("budi", 2)
    store.add("nurul", 0, role="supervisor")
    text = pjsip.text(store.all() + store.all(role="supervisor"), "key")
    browser = text[text.index("[webrtc-budi](webrtc-template)") :]
    password = passwords.webrtc_password("key", "webrtc-budi")
    assert f"md5_cred = {md5_cred('webrtc-budi', password)}" in browser
    assert password not in text and "username = webrtc-budi" in browser
    assert "set_var = HAJJ_AGENT_TIER=2" in browser and "set_var = HAJJ_AGENT_NAME=budi" in browser
    assert "[webrtc-budi](webrtc-aor-template)" in browser
    assert "webrtc-nurul" not in text  # a supervisor's phone is the desk one only
    assert passwords.webrtc_password("other", "webrtc-budi") != password
