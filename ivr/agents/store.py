"""Agent accounts: name, tier and credential hashes, in state_dir/agents.sqlite (or with
``[database] url`` PostgreSQL, shared by every node: ivr.storeplace).

An agent has two passwords, each shown once: one for the SIP phone (kept as PJSIP's MD5
digest) and one for the web console (kept as scrypt). An admin has only the web one.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path

from ivr import storeplace
from ivr.agents import passwords, sessions
from ivr.agents.schema import SCHEMA
from ivr.config import Config
from ivr.errors import HajjIvrError
from ivr.settings import DatabaseSettings
from ivr.store import Sql

NAME = re.compile(r"^[a-z][a-z0-9_-]{1,30}$")
TIERS = (1, 2, 3)
ROLES = ("agent", "admin", "unit", "supervisor")
# The roles with a phone (a PJSIP endpoint): agents take queue calls on it; a supervisor's
# rings only for a listen/whisper/barge leg (ivr/agents/supervise.py) and is no queue member.
PHONE_ROLES = ("agent", "supervisor")
# Who sees the dashboard's wallboard, call pages and agent report, and hears every recording.
OVERSEERS = ("admin", "supervisor")
# A unit login's unit: kind:code, as ivr.corrections.units writes them (kab:3372, emb:SOC,
# prop:11). Checked here by shape only: agents sit below the corrections on no floor.
UNIT = re.compile(r"^(kab|emb|prop):[A-Z0-9]{1,10}$")


class AgentError(HajjIvrError):
    """An agent command that cannot be done (unknown name, bad tier, ...)."""


@dataclass(frozen=True)
class NewPasswords:
    """What `agents add` prints once: never stored."""

    web: str
    sip: str = ""  # admins have no phone


@dataclass(frozen=True)
class Agent:
    name: str
    tier: int
    sip_md5: str  # '' for accounts without a phone (admins, unit logins)
    web_hash: str
    role: str
    created_at: float

    @property
    def endpoint(self) -> str:
        """The PJSIP endpoint, SIP username and AOR of the account's phone."""
        return endpoint_of(self.name, self.role)

    @property
    def interface(self) -> str:
        return f"PJSIP/{self.endpoint}"

    @property
    def web_endpoint(self) -> str:
        """The PJSIP endpoint of the agent's browser phone (the console's WebRTC softphone),
        beside the desk phone's: an agent may log in to the queue from either."""
        return web_endpoint_of(self.name)

    @property
    def web_interface(self) -> str:
        return f"PJSIP/{self.web_endpoint}"

    @property
    def interfaces(self) -> tuple[str, str]:
        """Every queue member interface the agent may log in with: desk phone, browser."""
        return (self.interface, self.web_interface)

    @property
    def queue(self) -> str:
        return queue_of(self.tier)


_COLUMNS = "name, tier, sip_md5, web_hash, role, created_at"


def endpoint_of(name: str, role: str) -> str:
    # Its own prefix for supervisors: the spy context only ever targets agent-* channels.
    return f"{'supervisor' if role == 'supervisor' else 'agent'}-{name}"


def web_endpoint_of(name: str) -> str:
    # Its own prefix, not agent-NAME-web: a name may itself end in -web.
    return f"webrtc-{name}"


def queue_of(tier: int) -> str:
    return f"hajj-tier{tier}"


def tier_of(queue: str) -> int:
    """hajj-tier2 -> 2 (0 for a queue not named so): queue_of's inverse."""
    tail = queue.removeprefix(queue_of(0)[:-1])
    return int(tail) if tail.isdigit() else 0


class AgentStore:
    def __init__(
        self, path: Path, database: DatabaseSettings | None = None, *, sql: Sql | None = None
    ) -> None:
        self.path = path
        self.shared = sql is not None or bool(database and database.postgres)
        self._place = storeplace.chosen(path, (SCHEMA,), database, sql)

    @classmethod
    def for_config(cls, config: Config) -> AgentStore:
        return cls(config.agents_path, config.database)

    def add(
        self, name: str, tier: int, role: str = "agent", unit: str = ""
    ) -> tuple[Agent, NewPasswords]:
        """Create an agent (or, with role "admin", a dashboard admin: no phone, no tier;
        with role "unit" a unit's login bound to ``unit``: its correction cases only; with
        role "supervisor" a phone and the wallboard, no queue);
        returns it and its passwords (shown once, never stored)."""
        if not NAME.match(name):
            raise AgentError(
                f"name {name!r}: use 2-31 lowercase letters, digits, - or _, starting with a letter"
            )
        if role not in ROLES:
            raise AgentError(f"role {role!r}: use {' or '.join(ROLES)}")
        if role == "agent" and tier not in TIERS:
            raise AgentError(f"tier {tier}: use 1, 2 or 3")
        if (role == "unit") != bool(unit) or (unit and not UNIT.match(unit)):
            raise AgentError(
                f"unit {unit!r}: a unit login needs kab:KD_KAB, emb:EMBARKASI or prop:KD_PROP"
                if role == "unit"
                else "only a unit login has a unit"
            )
        new = NewPasswords(
            web=passwords.generate(), sip=passwords.generate() if role in PHONE_ROLES else ""
        )
        sip_md5 = passwords.sip_md5(endpoint_of(name, role), new.sip) if new.sip else ""
        agent = Agent(name, tier, sip_md5, passwords.web_hash(new.web), role, time.time())
        with self._place() as sql, sql.transaction() as tx:
            added = tx.insert_unique(
                "INSERT INTO agents (name, tier, sip_md5, web_hash, role, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?) RETURNING name",
                (name, tier, agent.sip_md5, agent.web_hash, role, agent.created_at),
            )
            if added is None:
                raise AgentError(f"{name!r} already exists")
            # A unit row left by an older release's removal would refuse: replace it.
            if unit:
                tx.run(
                    "INSERT INTO account_units (name, unit) VALUES (?, ?)"
                    " ON CONFLICT (name) DO UPDATE SET unit = excluded.unit",
                    (name, unit),
                )
        return agent, new

    def remove(self, name: str, role: str = "agent") -> Agent:
        """Delete the account and end its web sessions (one transaction)."""
        agent = self.get(name, role)
        with self._place() as sql, sql.transaction() as tx:
            tx.run("DELETE FROM agents WHERE name = ?", (name,))
            tx.run("DELETE FROM account_units WHERE name = ?", (name,))
            sessions.end_for(tx, name)
        return agent

    def new_web_password(self, name: str, role: str = "agent") -> tuple[Agent, str]:
        """A new web password (returned once); the account's web sessions end with the
        old one, and a lock on its name from wrong passwords is lifted."""
        self.get(name, role)
        password = passwords.generate()
        with self._place() as sql, sql.transaction() as tx:
            tx.run(
                "UPDATE agents SET web_hash = ? WHERE name = ?",
                (passwords.web_hash(password), name),
            )
            sessions.end_for(tx, name)
            tx.run("DELETE FROM login_failures WHERE kind = 'name' AND key = ?", (name,))
        return self.get(name, role), password

    def new_sip_password(self, name: str, role: str = "agent") -> tuple[Agent, str]:
        """A new password for the account's phone (returned once); the web login stays."""
        agent = self.get(name, role)
        password = passwords.generate()
        with self._place() as sql:
            sql.run(
                "UPDATE agents SET sip_md5 = ? WHERE name = ?",
                (passwords.sip_md5(agent.endpoint, password), name),
            )
        return self.get(name, role), password

    def get(self, name: str, role: str | None = "agent") -> Agent:
        """The account ``name`` (of ``role``; None: any role)."""
        with self._place() as sql:
            row = sql.one(f"SELECT {_COLUMNS} FROM agents WHERE name = ?", (name,))
        if row is None or (role is not None and row[4] != role):
            what = role if role in ROLES else "agent"
            raise AgentError(f"no {what} {name!r} (see `hajj-ivr {what}s list`)")
        return Agent(*row)

    def all(self, role: str = "agent") -> list[Agent]:
        if not self.shared and not self.path.exists():
            return []
        with self._place() as sql:
            rows = sql.all(
                f"SELECT {_COLUMNS} FROM agents WHERE role = ? ORDER BY tier, name", (role,)
            )
        return [Agent(*row) for row in rows]

    def unit_of(self, name: str) -> str:
        """The unit a unit login works for ("" for any other account)."""
        with self._place() as sql:
            row = sql.one("SELECT unit FROM account_units WHERE name = ?", (name,))
        return str(row[0]) if row else ""

    def check_login(self, name: str, password: str) -> Agent | None:
        try:
            agent = self.get(name, role=None)
        except AgentError:
            passwords.web_hash(password)  # same cost either way: no name probing by timing
            return None
        return agent if passwords.web_check(password, agent.web_hash) else None
