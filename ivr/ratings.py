"""Satisfaction ratings (calls.sqlite): the 1-5 a caller keys after an agent hung up, or
at the end of a self-service call (``ivr.rate_self_service``), and the reports on them.

One row per rating, tied to the call by the IVR channel's uniqueid (``calls.id``). The
agent is named as the queue names it (``queue_calls.agent``: app_queue's member name,
read from MEMBERNAME on the caller's channel once Queue() returns), the tier by its queue
(hajj-tier1..3). ``topics`` are the call's handover topics, space separated: a rating
counts once under each topic the caller asked about. Rows go with their calls
(``purge_ratings``, ``retention.calls_days``).
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from ivr.store import Schema, delete_where

_V1 = """
CREATE TABLE IF NOT EXISTS ratings (
    id INTEGER PRIMARY KEY,
    call_id TEXT NOT NULL,            -- calls.id: Asterisk uniqueid of the IVR channel
    at REAL NOT NULL,                 -- unix time
    score INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5),
    kind TEXT NOT NULL,               -- agent | self
    queue TEXT NOT NULL DEFAULT '',   -- the tier's queue that answered (hajj-tier1..3)
    agent TEXT NOT NULL DEFAULT '',   -- as queue_calls.agent ('' for self-service)
    topics TEXT NOT NULL DEFAULT ''   -- the call's handover topics, space separated
);
CREATE INDEX IF NOT EXISTS ratings_call ON ratings(call_id);
CREATE INDEX IF NOT EXISTS ratings_at ON ratings(at);
"""
SCHEMA = Schema("ratings", (_V1,))

SCORES = range(1, 6)
NO_TOPIC = "(tanpa topik)"  # a rating of a call that asked no topic


class Kind(StrEnum):
    """ratings.kind: after whom the caller rated."""

    AGENT = "agent"
    SELF = "self"  # the IVR served the call itself


@dataclass(frozen=True)
class Rating:
    id: int
    call_id: str
    at: float
    score: int
    kind: str
    queue: str
    agent: str
    topics: str


class Ratings:
    """The controller's writes and every read of the ratings table."""

    def __init__(self, db: sqlite3.Connection, clock: Callable[[], float] = time.time) -> None:
        self.db = db
        self.clock = clock

    def add(
        self,
        call_id: str,
        score: int,
        kind: Kind,
        *,
        queue: str = "",
        agent: str = "",
        topics: Iterable[str] = (),
    ) -> None:
        if score not in SCORES:
            raise ValueError(f"a rating is 1-5, not {score}")
        asked = " ".join(dict.fromkeys(topics))  # each topic once
        self.db.execute(
            "INSERT INTO ratings (call_id, at, score, kind, queue, agent, topics)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (call_id, self.clock(), score, str(kind), queue, agent, asked),
        )

    def for_call(self, call_id: str) -> list[Rating]:
        rows = self.db.execute(
            "SELECT * FROM ratings WHERE call_id = ? ORDER BY at", (call_id,)
        ).fetchall()
        return [Rating(*row) for row in rows]

    def between(self, since: float, until: float) -> list[Rating]:
        rows = self.db.execute(
            "SELECT * FROM ratings WHERE at >= ? AND at < ? ORDER BY at", (since, until)
        ).fetchall()
        return [Rating(*row) for row in rows]

    def low(self, at_most: int, since: float, limit: int = 50) -> list[Rating]:
        """Ratings of ``at_most`` or less since ``since``, newest first: calls to review."""
        rows = self.db.execute(
            "SELECT * FROM ratings WHERE score <= ? AND at >= ? ORDER BY at DESC LIMIT ?",
            (at_most, since, limit),
        ).fetchall()
        return [Rating(*row) for row in rows]


@dataclass(frozen=True)
class Score:
    """How many ratings and their mean (to one decimal)."""

    count: int
    mean: float

    @classmethod
    def of(cls, scores: list[int]) -> Score:
        return cls(len(scores), round(sum(scores) / len(scores), 1))


def by_agent(db: sqlite3.Connection, since: float, until: float) -> dict[str, tuple[int, float]]:
    """Agent -> (ratings, mean score) of agent calls rated in [since, until); the name as
    queue_calls.agent has it (the per-agent report joins on it)."""
    rows = db.execute(
        "SELECT agent, count(*), avg(score) FROM ratings "
        "WHERE kind = ? AND agent != '' AND at >= ? AND at < ? GROUP BY agent ORDER BY agent",
        (str(Kind.AGENT), since, until),
    ).fetchall()
    return {agent: (count, round(mean, 1)) for agent, count, mean in rows}


def grouped(ratings: Iterable[Rating], key: Callable[[Rating], Iterable[str]]) -> dict[str, Score]:
    """Each group's Score; ``key`` names the groups a rating counts in (a topic each)."""
    groups: dict[str, list[int]] = defaultdict(list)
    for rating in ratings:
        for name in key(rating):
            groups[name].append(rating.score)
    return {name: Score.of(scores) for name, scores in sorted(groups.items())}


def by_kind_of_group(zone: dt.tzinfo) -> Mapping[str, Callable[[Rating], Iterable[str]]]:
    """The reports' groupings: agent, tier (self-service its own), topic, local day."""
    return {
        "agent": lambda r: [r.agent] if r.agent else [],
        "tier": lambda r: [r.queue or "layanan mandiri"],
        "topic": lambda r: r.topics.split() or [NO_TOPIC],
        "day": lambda r: [dt.datetime.fromtimestamp(r.at, zone).strftime("%Y-%m-%d")],
    }


def purge_ratings(db: sqlite3.Connection, before: float, dry_run: bool = False) -> int:
    """Delete the ratings of calls started before ``before`` (run before the calls go),
    and any older than that whose call is gone already."""
    where = "call_id IN (SELECT id FROM calls WHERE started_at < ?) OR at < ?"
    return delete_where(db, "ratings", where, (before, before), dry_run)
