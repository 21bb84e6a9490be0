"""Benchmark one call-log write, the controller's inline write on every prompt: SQLite
(WAL, synchronous=NORMAL, the default) against PostgreSQL over the controller's pool
(``[database] url``; a private server on loopback, tests/rig/postgres.py).

Usage: ``python -m bench.bench_calllog [--writes 2000]``

Prints the median and 99th percentile of one ``CallLog.add`` (an INSERT of a transcript
line, committed) on each. Loopback is a LAN's best case: a server across a switch adds
its round trip (about 0.1-0.3 ms) to every write.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench.table import Row
from ivr import calldb, pgstore
from ivr.calllog import CallLog
from ivr.settings import DatabaseSettings
from ivr.store import Sql, SqliteSql
from tests.rig import postgres


def main(argv: list[str] | None = None) -> list[Row]:
    """``argv`` None (from ``python -m bench``): the defaults."""
    args = _parser().parse_args(argv or [])
    with tempfile.TemporaryDirectory(prefix="bench-calllog-") as tmp:
        db = calldb.open_calldb(Path(tmp) / "calls.sqlite")
        try:
            lite = _writes(SqliteSql(db), args.writes)
        finally:
            db.close()
    with postgres.running() as server:
        settings = DatabaseSettings(url=server.create_database("bench"))
        pgstore.migrate_all(settings, calldb.PG_SCHEMAS)
        pool = pgstore.open_pool(settings, "bench")
        try:
            pg = _writes(pgstore.PgSql(pool), args.writes)
        finally:
            pool.close()
    for name, times in (("SQLite (WAL)", lite), ("PostgreSQL (pool, loopback)", pg)):
        print(f"{name}: median {_ms(times, 0.5):.3f} ms, p99 {_ms(times, 0.99):.3f} ms")
    return [
        Row(
            "call-log write on PostgreSQL (median)",
            _ms(pg, 0.5),
            "ms",
            "SQLite WAL, same write",
            _ms(lite, 0.5),
        )
    ]


def _writes(sql: Sql, count: int) -> list[float]:
    """Seconds each of ``count`` transcript lines took, on one call."""
    log = CallLog.over(sql)
    log.start("bench-call", "081234567890", "hotline")
    return [_timed(lambda: log.add("bench-call", "say", "Selamat datang", "greeting"))
            for _ in range(count)]  # fmt: skip


def _timed(write: Callable[[], None]) -> float:
    started = time.perf_counter()
    write()
    return time.perf_counter() - started


def _ms(times: list[float], share: float) -> float:
    ordered = sorted(times)
    if share == 0.5:
        return statistics.median(ordered) * 1000
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))] * 1000


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_calllog")
    parser.add_argument("--writes", type=int, default=2000, help="lines written on each")
    return parser


if __name__ == "__main__":
    main(sys.argv[1:])
