"""Each node's heartbeat in PostgreSQL (``[database] url``): every controller upserts its
row every :data:`EVERY` seconds, and the dashboard lists every node from them.

``last_seen`` is PostgreSQL's ``now()`` and the age is computed by PostgreSQL too: one
clock for every node, so a server whose clock drifts is never shown stale (or up) for it.
"""

from __future__ import annotations

from dataclasses import dataclass

from ivr.store import Schema, Sql

EVERY = 5.0  # seconds between two heartbeats of a controller
STALE_AFTER = 3  # heartbeats missed: a node silent this long is shown stale

PG_SCHEMA = Schema(
    "node_heartbeats",
    (
        """CREATE TABLE IF NOT EXISTS node_heartbeats (
    name TEXT PRIMARY KEY,
    role TEXT NOT NULL DEFAULT '',
    sip TEXT NOT NULL DEFAULT '',
    agi TEXT NOT NULL DEFAULT '',
    calls INTEGER NOT NULL DEFAULT 0,
    mirror_sha256 TEXT NOT NULL DEFAULT '',
    mirror_as_of TEXT NOT NULL DEFAULT '',
    started_at DOUBLE PRECISION NOT NULL,
    last_seen TIMESTAMPTZ NOT NULL DEFAULT now()
)""",
    ),
)


@dataclass(frozen=True)
class Beat:
    """What a node says of itself."""

    name: str  # wiring.node_name, or [cluster] node
    role: str  # "" one node | "ivr" | "agent"
    sip: str  # host:port
    agi: str  # host:port
    calls: int  # calls in progress (its AGI sessions)
    mirror_sha256: str  # the mirror file it serves ("" none)
    mirror_as_of: str  # that mirror's as-of date (ISO, "" none)
    started_at: float  # seconds since the epoch


@dataclass(frozen=True)
class Node:
    beat: Beat
    age: float  # seconds since its last heartbeat, by PostgreSQL's clock

    def up(self, every: float = EVERY) -> bool:
        return self.age <= STALE_AFTER * every


class Heartbeats:
    def __init__(self, sql: Sql) -> None:
        self.sql = sql

    def beat(self, beat: Beat) -> None:
        self.sql.run(
            "INSERT INTO node_heartbeats (name, role, sip, agi, calls, mirror_sha256,"
            " mirror_as_of, started_at, last_seen) VALUES (?, ?, ?, ?, ?, ?, ?, ?, now())"
            " ON CONFLICT (name) DO UPDATE SET role = excluded.role, sip = excluded.sip,"
            " agi = excluded.agi, calls = excluded.calls,"
            " mirror_sha256 = excluded.mirror_sha256, mirror_as_of = excluded.mirror_as_of,"
            " started_at = excluded.started_at, last_seen = now()",
            (
                beat.name,
                beat.role,
                beat.sip,
                beat.agi,
                beat.calls,
                beat.mirror_sha256,
                beat.mirror_as_of,
                beat.started_at,
            ),
        )

    def nodes(self) -> list[Node]:
        """Every node that ever beat, by name (a node removed for good: `forget`)."""
        rows = self.sql.all(
            "SELECT name, role, sip, agi, calls, mirror_sha256, mirror_as_of, started_at,"
            " EXTRACT(EPOCH FROM now() - last_seen) FROM node_heartbeats ORDER BY name"
        )
        return [Node(Beat(*row[:8]), float(row[8])) for row in rows]

    def forget(self, name: str) -> bool:
        return self.sql.run("DELETE FROM node_heartbeats WHERE name = ?", (name,)) > 0
