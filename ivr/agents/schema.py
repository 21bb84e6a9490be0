"""The tables of state_dir/agents.sqlite (or with ``[database] url`` PostgreSQL): accounts,
their web sessions, failed logins.

One file so that removing an account or changing its password ends its sessions in the
same transaction, and a session's role and tier are read with it in one query.
"""

from __future__ import annotations

from ivr.store import Schema

_V1 = """
CREATE TABLE IF NOT EXISTS agents (
    name TEXT PRIMARY KEY,
    tier INTEGER NOT NULL,
    sip_md5 TEXT NOT NULL,  -- '' for admins: they have no phone
    web_hash TEXT NOT NULL,
    role TEXT NOT NULL DEFAULT 'agent',
    created_at REAL NOT NULL
);
-- A web login. Only a hash of the cookie's session id is kept: a copy of this file does
-- not let anyone in.
CREATE TABLE IF NOT EXISTS sessions (
    id_hash TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    csrf TEXT NOT NULL,
    created_at REAL NOT NULL,
    last_seen REAL NOT NULL,
    address TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS sessions_by_name ON sessions (name);
-- Wrong passwords, per account name and per client address (kind 'name' or 'address').
CREATE TABLE IF NOT EXISTS login_failures (
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS login_failures_by_key ON login_failures (kind, key, at);
CREATE INDEX IF NOT EXISTS login_failures_by_time ON login_failures (at);
"""

# Admins made before admins and agents had separate credentials carry a SIP digest they
# never use: drop it (they get no phone endpoint either way).
_ADMINS_WITHOUT_PHONES = "UPDATE agents SET sip_md5 = '' WHERE role = 'admin' AND sip_md5 != '';"

# The unit a "unit" login works for (kind:code, ivr.corrections.units): it sees and
# resolves only that unit's correction cases.
_UNITS = """
CREATE TABLE IF NOT EXISTS account_units (
    name TEXT PRIMARY KEY,
    unit TEXT NOT NULL
);
"""

SCHEMA = Schema("accounts", (_V1, _ADMINS_WITHOUT_PHONES, _UNITS))

# The same tables in PostgreSQL ([database] url: every node's web app and CLI share the
# accounts, so a session ended on one node is refused by all): their own steps.
_PG_V1 = """
CREATE TABLE IF NOT EXISTS agents (
    name TEXT PRIMARY KEY,
    tier INTEGER NOT NULL,
    sip_md5 TEXT NOT NULL,
    web_hash TEXT NOT NULL,
    role TEXT NOT NULL DEFAULT 'agent',
    created_at DOUBLE PRECISION NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    id_hash TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    csrf TEXT NOT NULL,
    created_at DOUBLE PRECISION NOT NULL,
    last_seen DOUBLE PRECISION NOT NULL,
    address TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS sessions_by_name ON sessions (name);
CREATE TABLE IF NOT EXISTS login_failures (
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    at DOUBLE PRECISION NOT NULL
);
CREATE INDEX IF NOT EXISTS login_failures_by_key ON login_failures (kind, key, at);
CREATE INDEX IF NOT EXISTS login_failures_by_time ON login_failures (at);
CREATE TABLE IF NOT EXISTS account_units (
    name TEXT PRIMARY KEY,
    unit TEXT NOT NULL
);
"""
PG_SCHEMA = Schema("accounts", (_PG_V1,))
