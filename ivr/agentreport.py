"""The per-agent report, computed from Asterisk's queue log in calls.sqlite (the rows
ivr/queue/queuelog.py reads in). The web page only renders it.

Definitions:

- calls handled: calls the agent answered from a queue (CONNECT);
- talk: seconds from answer to hang-up or transfer (COMPLETEAGENT, COMPLETECALLER,
  BLINDTRANSFER, ATTENDEDTRANSFER);
- after-call work (ACW): seconds paused with reason ``pascapanggilan``;
- average handle time (AHT): (talk + ACW) / calls handled;
- paused by reason: seconds from PAUSE (its reason) to UNPAUSE, another PAUSE with a new
  reason, or leaving the queue; a pause still running counts up to the report's end;
- rings not answered: RINGNOANSWER; transfers: BLINDTRANSFER and ATTENDEDTRANSFER.

Each figure is reported in total, by day and by hour of the day (local time); time
paused is split across the days and hours it spans.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field

from ivr.agents import pauses
from ivr.store import Sql

# A pause that began before the report's start still counts from the start: PAUSE lines
# are looked for this far back.
PAUSE_LOOKBACK = 86400.0
ANSWERED = "CONNECT"
ENDED = ("COMPLETEAGENT", "COMPLETECALLER")
TRANSFERS = ("BLINDTRANSFER", "ATTENDEDTRANSFER")
PAUSED = ("PAUSE", "PAUSEALL")
AVAILABLE = ("UNPAUSE", "UNPAUSEALL", "REMOVEMEMBER")
# Lines about no agent (app_queue writes NONE there, e.g. a PAUSEALL's summary).
AGENTS = "AND agent NOT IN ('', 'NONE')"
OTHER = "lain"  # a pause without one of the reasons (the CLI's own words, *73)
PAUSE_COLUMNS = (*(r.word for r in pauses.REASONS if r != pauses.AFTER_CALL), OTHER)
TOTAL, DAY, HOUR = "agents", "agents-by-day", "agents-by-hour"
TABLES = {TOTAL: "Per petugas", DAY: "Per petugas per hari", HOUR: "Per petugas per jam"}


@dataclass
class Figures:
    handled: int = 0
    talk: float = 0.0
    rings: int = 0
    transfers: int = 0
    paused: dict[str, float] = field(default_factory=dict)

    @property
    def after_call(self) -> float:
        return self.paused.get(pauses.AFTER_CALL.word, 0.0)

    @property
    def handle_time(self) -> float | None:
        return round((self.talk + self.after_call) / self.handled, 1) if self.handled else None

    def paused_for(self, column: str) -> float:
        if column != OTHER:
            return self.paused.get(column, 0.0)
        return sum(s for r, s in self.paused.items() if r not in pauses.WORDS)


@dataclass(frozen=True)
class Table:
    title: str
    header: tuple[str, ...]
    rows: list[tuple[object, ...]]


# bucket of a moment: "" (the whole period), its day, or its hour of the day
Bucket = Callable[[float], str]


def buckets(zone: dt.tzinfo) -> dict[str, Bucket]:
    return {
        TOTAL: lambda _: "",
        DAY: lambda t: dt.datetime.fromtimestamp(t, zone).strftime("%Y-%m-%d"),
        HOUR: lambda t: dt.datetime.fromtimestamp(t, zone).strftime("%H"),
    }


def split(start: float, end: float, zone: dt.tzinfo, unit: str) -> Iterator[tuple[float, float]]:
    """[start, end) cut at each local hour (or midnight: ``unit`` DAY) it crosses."""
    at = start
    while at < end:
        local = dt.datetime.fromtimestamp(at, zone).replace(minute=0, second=0, microsecond=0)
        if unit == DAY:
            nxt = (local.replace(hour=0) + dt.timedelta(days=1)).timestamp()
        else:
            nxt = (local + dt.timedelta(hours=1)).timestamp()
        yield at, min(nxt, end)
        at = min(nxt, end)


def figures(
    sql: Sql, since: float, until: float, zone: dt.tzinfo, unit: str = TOTAL
) -> dict[tuple[str, str], Figures]:
    """(agent, bucket) -> figures for [since, until); the bucket per ``unit``."""
    bucket = buckets(zone)[unit]
    out: dict[tuple[str, str], Figures] = {}

    def of(agent: str, at: float) -> Figures:
        return out.setdefault((agent, bucket(at)), Figures())

    for agent, at, event, d1, d2, d4, d5 in sql.all(
        "SELECT agent, at, event, data1, data2, data4, data5 FROM queue_log "
        f"WHERE at >= ? AND at < ? AND event IN (?, ?, ?, ?, ?, ?) {AGENTS} ORDER BY at, id",
        (since, until, ANSWERED, *ENDED, "RINGNOANSWER", *TRANSFERS),
    ):
        _count(of(agent, at), event, d1, d2, d4, d5)
    for agent, reason, start, end in pause_spans(sql, since, until):
        for a, b in split(start, end, zone, unit) if unit != TOTAL else [(start, end)]:
            paused = of(agent, a).paused
            paused[reason] = paused.get(reason, 0.0) + (b - a)
    return out


def _count(f: Figures, event: str, d1: str, d2: str, d4: str, d5: str) -> None:
    if event == ANSWERED:
        f.handled += 1
    elif event in ENDED:
        f.talk += _seconds(d2)
    elif event == "RINGNOANSWER":
        f.rings += 1
    else:  # a transfer ends the agent's part of the call: its talk time is in the line
        f.transfers += 1
        # BLINDTRANSFER|exten|context|hold|talk; ATTENDEDTRANSFER|BRIDGE or APP|x|hold|
        # talk, or ATTENDEDTRANSFER|LINK|x|y|hold|talk
        f.talk += _seconds(d5 if event == "ATTENDEDTRANSFER" and d1 == "LINK" else d4)


def _seconds(text: str) -> float:
    try:
        return max(float(text), 0.0)
    except ValueError:
        return 0.0


def pause_spans(sql: Sql, since: float, until: float) -> Iterator[tuple[str, str, float, float]]:
    """(agent, reason, start, end) of each pause, clipped to [since, until). app_queue
    writes one PAUSE per queue (and a PAUSEALL): a PAUSE with the running pause's reason
    continues it."""
    running: dict[str, tuple[str, float]] = {}
    rows = sql.all(
        "SELECT agent, at, event, data1 FROM queue_log WHERE at >= ? AND at < ? "
        f"AND event IN (?, ?, ?, ?, ?) {AGENTS} ORDER BY at, id",
        (since - PAUSE_LOOKBACK, until, *PAUSED, *AVAILABLE),
    )
    for agent, at, event, reason in rows:
        now = running.get(agent)
        if event in PAUSED and now is not None and now[0] == (reason or OTHER):
            continue
        if now is not None:
            del running[agent]
            yield from _clipped(agent, now[0], now[1], at, since, until)
        if event in PAUSED:
            running[agent] = (reason or OTHER, at)
    for agent, (reason, start) in running.items():
        yield from _clipped(agent, reason, start, until, since, until)


def _clipped(
    agent: str, reason: str, start: float, end: float, since: float, until: float
) -> Iterator[tuple[str, str, float, float]]:
    start, end = max(start, since), min(end, until)
    if end > start:
        yield agent, reason, start, end


def table(
    sql: Sql,
    since: float,
    until: float,
    zone: dt.tzinfo,
    unit: str = TOTAL,
    satisfaction: Mapping[str, tuple[int, float]] | None = None,
) -> Table:
    """The report as a table (the page renders it, plots it and exports it as CSV).
    ``satisfaction`` (ratings per agent, whole period): a column pair when given."""
    by = {DAY: ("tanggal",), HOUR: ("jam",)}.get(unit, ())
    header = (
        "petugas",
        *by,
        "panggilan ditangani",
        "rata-rata waktu penanganan (detik)",
        "kerja pascapanggilan (detik)",
        *(f"jeda {c} (detik)" for c in PAUSE_COLUMNS),
        "dering tidak dijawab",
        "transfer",
    )
    rated = satisfaction if unit == TOTAL else None
    if rated is not None:
        header += ("penilaian (jumlah)", "penilaian (rata-rata)")
    rows: list[tuple[object, ...]] = []
    for (agent, bucket), f in sorted(figures(sql, since, until, zone, unit).items()):
        row: tuple[object, ...] = (
            agent,
            *((bucket,) if by else ()),
            f.handled,
            f.handle_time,
            round(f.after_call),
            *(round(f.paused_for(c)) for c in PAUSE_COLUMNS),
            f.rings,
            f.transfers,
        )
        if rated is not None:
            row += rated.get(agent, (0, None))  # means come rounded (ratings.by_agent)
        rows.append(row)
    return Table(TABLES[unit], header, rows)
