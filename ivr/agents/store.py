"""Agent accounts: name, tier and credential hashes, in state_dir/agents.sqlite."""

from __future__ import annotations

import re
import sqlite3
import time
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from ivr.agents import passwords
from ivr.errors import HajjIvrError
from ivr.store import open_store

NAME = re.compile(r"^[a-z][a-z0-9_-]{1,30}$")
TIERS = (1, 2, 3)
ROLES = ("agent", "admin")

SCHEMA = """
CREATE TABLE IF NOT EXISTS agents (
    name TEXT PRIMARY KEY,
    tier INTEGER NOT NULL,
    sip_md5 TEXT NOT NULL,
    web_hash TEXT NOT NULL,
    role TEXT NOT NULL DEFAULT 'agent',
    created_at REAL NOT NULL
);
"""


class AgentError(HajjIvrError):
    """An agent command that cannot be done (unknown name, bad tier, ...)."""


@dataclass(frozen=True)
class Agent:
    name: str
    tier: int
    sip_md5: str
    web_hash: str
    role: str
    created_at: float

    @property
    def endpoint(self) -> str:
        """The PJSIP endpoint, SIP username and AOR of the agent's phone."""
        return f"agent-{self.name}"

    @property
    def interface(self) -> str:
        return f"PJSIP/{self.endpoint}"

    @property
    def queue(self) -> str:
        return queue_of(self.tier)


def queue_of(tier: int) -> str:
    return f"hajj-tier{tier}"


class AgentStore:
    def __init__(self, path: Path) -> None:
        self.path = path

    def _db(self) -> sqlite3.Connection:
        return open_store(self.path, SCHEMA)

    def add(self, name: str, tier: int, role: str = "agent") -> tuple[Agent, str]:
        """Create an agent (or, with role "admin", a dashboard admin: no phone, no tier);
        returns it and its password (shown once, never stored)."""
        if not NAME.match(name):
            raise AgentError(
                f"name {name!r}: use 2-31 lowercase letters, digits, - or _, starting with a letter"
            )
        if role not in ROLES:
            raise AgentError(f"role {role!r}: use {' or '.join(ROLES)}")
        if role == "agent" and tier not in TIERS:
            raise AgentError(f"tier {tier}: use 1, 2 or 3")
        password = passwords.generate()
        agent = Agent(
            name,
            tier,
            passwords.sip_md5(f"agent-{name}", password),
            passwords.web_hash(password),
            role,
            time.time(),
        )
        with closing(self._db()) as db:
            try:
                db.execute(
                    "INSERT INTO agents VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        agent.name,
                        agent.tier,
                        agent.sip_md5,
                        agent.web_hash,
                        agent.role,
                        agent.created_at,
                    ),
                )
            except sqlite3.IntegrityError:
                raise AgentError(f"{name!r} already exists") from None
        return agent, password

    def remove(self, name: str, role: str = "agent") -> Agent:
        agent = self.get(name, role)
        with closing(self._db()) as db:
            db.execute("DELETE FROM agents WHERE name = ?", (name,))
        return agent

    def get(self, name: str, role: str | None = "agent") -> Agent:
        """The account ``name`` (of ``role``; None: any role)."""
        with closing(self._db()) as db:
            row = db.execute("SELECT * FROM agents WHERE name = ?", (name,)).fetchone()
        if row is None or (role is not None and row[4] != role):
            what = "admin" if role == "admin" else "agent"
            raise AgentError(f"no {what} {name!r} (see `hajj-ivr {what}s list`)")
        return Agent(*row)

    def all(self, role: str = "agent") -> list[Agent]:
        if not self.path.exists():
            return []
        with closing(self._db()) as db:
            rows = db.execute(
                "SELECT * FROM agents WHERE role = ? ORDER BY tier, name", (role,)
            ).fetchall()
        return [Agent(*row) for row in rows]

    def check_login(self, name: str, password: str) -> Agent | None:
        try:
            agent = self.get(name, role=None)
        except AgentError:
            passwords.web_hash(password)  # same cost either way: no name probing by timing
            return None
        return agent if passwords.web_check(password, agent.web_hash) else None
