"""The numbers on the wallboard and in the reports, computed from the call log
(calls, transcripts, lookups, queue stays: calls.sqlite, or PostgreSQL with ``[database]
url``; each function takes the store's ivr.store.Sql). The web pages only render them.

Definitions (as contact centers use them):

- service level: of the queue stays that ended today answered or abandoned, the share
  answered within 20 seconds;
- abandonment rate: of those, the share where the caller hung up while waiting;
- average speed of answer (ASA): the mean wait of answered stays;
- self-service rate: of today's hotline calls, the share the IVR served to the end.

A stay that left the queue for the callback offer (outcome left or callback) is neither
answered nor abandoned: the same call's next stay, or its callback, counts.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from ivr import chanvars, phone, ppiulog, ratings
from ivr.agents.store import tier_of
from ivr.calllog import TOPIC_PREFIX
from ivr.outcomes import SELF_SERVICE, Outcome
from ivr.queue.records import StayOutcome
from ivr.store import Row, Sql

SERVICE_SECONDS = 20
# Rows older than this in a running state are leftovers (a controller killed mid-call).
LIVE_WINDOW = 2 * 3600
# Self-service outcomes as SQL parameters: "outcome IN (?, ?)".
SERVED = tuple(sorted(SELF_SERVICE))
SERVED_MARKS = ", ".join("?" * len(SERVED))
# Queue stays a person took (answered, or answered and passed up a tier).
TAKEN = (StayOutcome.ANSWERED, StayOutcome.TRANSFERRED)
# The days a report covers, up to today.
REPORT_DAYS = 14


@dataclass(frozen=True)
class Wallboard:
    in_ivr: int
    waiting: int
    longest_wait: float
    answered: int
    abandoned: int
    service_level: float | None  # percent
    abandonment_rate: float | None  # percent
    average_speed_of_answer: float | None  # seconds
    self_service_rate: float | None  # percent
    calls_today: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def day_start(now: float, zone: dt.tzinfo) -> float:
    local = dt.datetime.fromtimestamp(now, zone)
    return local.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()


def _pct(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def _one(sql: Sql, query: str, args: tuple[object, ...]) -> Row:
    """An aggregate's one row (there always is one)."""
    row = sql.one(query, args)
    assert row is not None
    return row


def wallboard(sql: Sql, now: float, since: float) -> Wallboard:
    (in_ivr,) = _one(
        sql,
        "SELECT count(*) FROM calls WHERE outcome = ? AND started_at > ?",
        (Outcome.IN_PROGRESS, now - LIVE_WINDOW),
    )
    waiting, oldest = _one(
        sql,
        "SELECT count(*), min(joined_at) FROM queue_calls WHERE outcome = ? AND joined_at > ?",
        (StayOutcome.WAITING, now - LIVE_WINDOW),
    )
    # CASE, not sum(wait <= ?): PostgreSQL sums no booleans.
    answered, fast, asa = _one(
        sql,
        "SELECT count(*), sum(CASE WHEN wait <= ? THEN 1 ELSE 0 END), avg(wait) "
        "FROM queue_calls WHERE outcome IN (?, ?) AND joined_at >= ?",
        (SERVICE_SECONDS, *TAKEN, since),
    )
    (abandoned,) = _one(
        sql,
        "SELECT count(*) FROM queue_calls WHERE outcome = ? AND joined_at >= ?",
        (StayOutcome.ABANDONED, since),
    )
    calls, served = _one(
        sql,
        f"SELECT count(*), sum(CASE WHEN outcome IN ({SERVED_MARKS}) THEN 1 ELSE 0 END) "
        "FROM calls WHERE route = ? AND started_at >= ?",
        (*SERVED, chanvars.ROUTE_HOTLINE, since),
    )
    offered = answered + abandoned
    return Wallboard(
        in_ivr=in_ivr,
        waiting=waiting,
        longest_wait=round(now - oldest, 1) if oldest else 0.0,
        answered=answered,
        abandoned=abandoned,
        service_level=_pct(int(fast or 0), offered),
        abandonment_rate=_pct(abandoned, offered),
        average_speed_of_answer=round(asa, 1) if asa is not None else None,
        self_service_rate=_pct(int(served or 0), calls),
        calls_today=calls,
    )


# --- reports: each a table (header + rows) the page plots and exports as CSV --------------


@dataclass(frozen=True)
class Table:
    title: str
    header: tuple[str, ...]
    rows: list[tuple[Any, ...]]


def _local(ts: float, zone: dt.tzinfo) -> dt.datetime:
    return dt.datetime.fromtimestamp(ts, zone)


def calls_per_hour(sql: Sql, since: float, zone: dt.tzinfo) -> Table:
    counts: Counter[int] = Counter()
    for (started,) in sql.all(
        "SELECT started_at FROM calls WHERE route = ? AND started_at >= ?",
        (chanvars.ROUTE_HOTLINE, since),
    ):
        counts[_local(started, zone).hour] += 1
    return Table(
        "Panggilan per jam", ("jam", "panggilan"), [(f"{h:02d}", counts[h]) for h in range(24)]
    )


def outcomes_by_day(sql: Sql, since: float, zone: dt.tzinfo) -> Table:
    """Per day: served by the IVR, transferred to a person, abandoned (hung up unserved)."""
    days: dict[str, Counter[str]] = {}
    rows = sql.all(
        "SELECT c.started_at, c.outcome, "
        "EXISTS (SELECT 1 FROM queue_calls q WHERE q.call_id = c.id AND q.outcome = ?) "
        "FROM calls c WHERE c.route = ? AND c.outcome != ? AND c.started_at >= ?",
        (StayOutcome.ABANDONED, chanvars.ROUTE_HOTLINE, Outcome.IN_PROGRESS, since),
    )
    for started, outcome, abandoned_in_queue in rows:
        day = _local(started, zone).strftime("%Y-%m-%d")
        if outcome in SELF_SERVICE:
            kind = "layanan mandiri"
        elif outcome == Outcome.HANGUP or abandoned_in_queue:
            kind = "ditinggalkan"
        else:
            kind = "ke petugas"
        days.setdefault(day, Counter())[kind] += 1
    return Table(
        "Layanan mandiri, ke petugas, ditinggalkan per hari",
        ("tanggal", "layanan mandiri", "ke petugas", "ditinggalkan"),
        [
            (day, c["layanan mandiri"], c["ke petugas"], c["ditinggalkan"])
            for day, c in sorted(days.items())
        ],
    )


def topics(sql: Sql, since: float) -> Table:
    rows = sql.all(
        "SELECT substr(t.text, ?), count(*) FROM transcript t JOIN calls c ON c.id = t.call_id "
        "WHERE t.kind = 'event' AND t.text LIKE ? AND c.started_at >= ? "
        "GROUP BY 1 ORDER BY 2 DESC, 1",
        (len(TOPIC_PREFIX) + 1, TOPIC_PREFIX + "%", since),
    )
    return Table("Topik yang ditanyakan", ("topik", "kali"), [tuple(r) for r in rows])


def not_found_by_place(sql: Sql, since: float) -> Table:
    """Porsi not found, by province (the porsi's first two digits) and kabupaten (known
    when the same call then found a porsi: the caller had mistyped)."""
    rows = sql.all(
        "SELECT l.province, coalesce(l.province_name, ''), "
        "coalesce((SELECT f.kabupaten FROM lookups f WHERE f.call_id = l.call_id "
        "          AND f.found = 1 AND f.at > l.at ORDER BY f.at LIMIT 1), '(tidak diketahui)'),"
        " count(*) FROM lookups l JOIN calls c ON c.id = l.call_id "
        "WHERE l.found = 0 AND c.started_at >= ? GROUP BY 1, 2, 3 ORDER BY 4 DESC",
        (since,),
    )
    return Table(
        "Porsi tidak ditemukan per provinsi dan kabupaten",
        ("kode provinsi", "provinsi", "kabupaten", "kali"),
        [tuple(r) for r in rows],
    )


def service_level_by_day(sql: Sql, since: float, zone: dt.tzinfo) -> Table:
    days: dict[str, list[int]] = {}
    for joined, outcome, wait in sql.all(
        "SELECT joined_at, outcome, wait FROM queue_calls WHERE joined_at >= ? "
        "AND outcome IN (?, ?, ?)",
        (since, *TAKEN, StayOutcome.ABANDONED),
    ):
        day = _local(joined, zone).strftime("%Y-%m-%d")
        counts = days.setdefault(day, [0, 0])
        counts[1] += 1
        if outcome != StayOutcome.ABANDONED and wait is not None and wait <= SERVICE_SECONDS:
            counts[0] += 1
    return Table(
        f"Tingkat layanan per hari (dijawab dalam {SERVICE_SECONDS} detik)",
        ("tanggal", "persen", "dijawab cepat", "semua"),
        [(d, _pct(f, n) or 0.0, f, n) for d, (f, n) in sorted(days.items())],
    )


def ppiu_suspicious(sql: Sql, since: float) -> Table:
    """Umrah licence numbers asked that are unknown or revoked, most asked first (a fraud
    signal: someone sells umrah under them)."""
    return Table(
        "Nomor izin PPIU yang ditanyakan: tidak terdaftar atau dicabut",
        ("nomor izin", "hasil", "kali"),
        [tuple(r) for r in ppiulog.suspicious(sql, since)],
    )


# Satisfaction ratings grouped by: (title, the group's column).
SATISFACTION = {
    "agent": ("Kepuasan per petugas", "petugas"),
    "tier": ("Kepuasan per tingkat", "antrean"),
    "topic": ("Kepuasan per topik", "topik"),
    "day": ("Kepuasan per hari", "tanggal"),
}


def satisfaction(sql: Sql, since: float, zone: dt.tzinfo, by: str) -> Table:
    """Ratings since ``since`` by agent, tier, topic or day: how many, their mean."""
    rated = ratings.Ratings(sql).between(since, float("inf"))
    groups = ratings.grouped(rated, ratings.by_kind_of_group(zone)[by])
    title, column = SATISFACTION[by]
    return Table(
        title,
        (column, "penilaian", "rata-rata (1-5)"),
        [(name, score.count, score.mean) for name, score in groups.items()],
    )


def _satisfaction(by: str) -> Callable[[Sql, float, dt.tzinfo], Table]:
    return lambda sql, since, zone: satisfaction(sql, since, zone, by)


# The reports page's tables, in order: name -> (call log, since, time zone) -> table.
REPORTS: Mapping[str, Callable[[Sql, float, dt.tzinfo], Table]] = {
    "calls-per-hour": calls_per_hour,
    "outcomes": outcomes_by_day,
    "topics": lambda sql, since, _: topics(sql, since),
    "not-found": lambda sql, since, _: not_found_by_place(sql, since),
    "service-level": service_level_by_day,
    "ppiu-suspicious": lambda sql, since, _: ppiu_suspicious(sql, since),
    **{f"satisfaction-{by}": _satisfaction(by) for by in SATISFACTION},
}


def report_start(now: float, zone: dt.tzinfo) -> float:
    """Where the reports begin: local midnight REPORT_DAYS - 1 days ago."""
    return day_start(now, zone) - (REPORT_DAYS - 1) * 86400


@dataclass(frozen=True)
class LiveCall:
    """A call in the IVR or a caller waiting for an agent, for the wallboard."""

    id: str
    started: float
    caller: str
    where: str  # "IVR" or the queue


@dataclass(frozen=True)
class Live:
    """Calls in progress now as the wallboard counts them, the waiting ones per queue."""

    in_ivr: int
    waiting: Mapping[str, tuple[int, float]]  # queue -> (callers, longest wait in seconds)


def live(sql: Sql, now: float) -> Live:
    (in_ivr,) = _one(
        sql,
        "SELECT count(*) FROM calls WHERE outcome = ? AND started_at > ?",
        (Outcome.IN_PROGRESS, now - LIVE_WINDOW),
    )
    rows = sql.all(
        "SELECT queue, count(*), min(joined_at) FROM queue_calls WHERE outcome = ? "
        "AND joined_at > ? GROUP BY queue",
        (StayOutcome.WAITING, now - LIVE_WINDOW),
    )
    return Live(in_ivr, {q: (n, max(0.0, now - oldest)) for q, n, oldest in rows})


def live_calls(sql: Sql, now: float) -> list[LiveCall]:
    """Calls in the IVR (newest first), then callers waiting for an agent (longest first)."""
    in_ivr = sql.all(
        "SELECT id, started_at, caller, 'IVR' FROM calls WHERE outcome = ? "
        "AND started_at > ? ORDER BY started_at DESC LIMIT 50",
        (Outcome.IN_PROGRESS, now - LIVE_WINDOW),
    )
    waiting = sql.all(
        "SELECT call_id, joined_at, caller, queue FROM queue_calls WHERE outcome = ? "
        "AND joined_at > ? ORDER BY joined_at LIMIT 50",
        (StayOutcome.WAITING, now - LIVE_WINDOW),
    )
    return [LiveCall(*row) for row in in_ivr + waiting]


@dataclass(frozen=True)
class AgentCall:
    """An agent talking to a caller now, for the wallboard's supervision list. The number
    is masked: supervisors see this list too, and they need whose call, not the number."""

    call_id: str
    agent: str
    caller: str  # masked
    tier: int
    since: float  # when the agent answered


def agent_calls(sql: Sql, now: float) -> list[AgentCall]:
    """Stays answered and not yet ended (longest talking first), within the live window.
    Ended means AgentComplete's talk time is in: ended_at already holds the moment the
    caller left the queue (QueueCallerLeave comes just before AgentConnect)."""
    rows = sql.all(
        "SELECT call_id, agent, caller, queue, answered_at FROM queue_calls "
        "WHERE outcome = ? AND talk IS NULL AND answered_at > ? "
        "ORDER BY answered_at LIMIT 100",
        (StayOutcome.ANSWERED, now - LIVE_WINDOW),
    )
    return [
        AgentCall(call_id, agent, phone.mask(caller), tier_of(queue), answered)
        for call_id, agent, caller, queue, answered in rows
    ]
