""" "Disputed answers per 10,000 lookups by unit": which unit's data is least accurate.

For each unit with a case filed since ``since``: the cases (disputes) over the porsi
found in the call log's lookups of its pilgrims in the same period. The lookups table
keeps each found pilgrim's kabupaten and province by name (the district and provincial
offices' units carry those names); it keeps no kloter, so an embarkation's lookups are
counted through the live mirror (the porsi's kloter now).

The cases and the lookups are read through one :class:`ivr.store.Sql` (calls.sqlite, or
PostgreSQL with ``[database] url``), the mirror is SQLite on every node: the lookups'
porsi are counted in the store, then looked up in the mirror a batch at a time (a join
across the two would need them in one engine).
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

from ivr.reports import Table
from ivr.store import Sql, SqliteSql

PER, PER_SAID = 10_000, "10.000"  # as Indonesians write it
HEADER = ("unit", "nama", "laporan", "pencarian", f"per {PER_SAID}")
BATCH = 500  # porsi per mirror query: well under SQLite's parameter limit


def accuracy(db: sqlite3.Connection | Sql, mirror: Path, since: float) -> Table:
    sql = SqliteSql(db) if isinstance(db, sqlite3.Connection) else db
    disputes = sql.all(
        "SELECT unit, max(unit_name), count(*) FROM corrections WHERE filed_at >= ? GROUP BY unit",
        (since,),
    )
    lookups = _lookups(sql, mirror, since)
    rows = []
    for unit, name, count in disputes:
        kind = unit.partition(":")[0]
        looked = lookups[(kind, name if kind != "emb" else unit.partition(":")[2])]
        rate = round(count * PER / looked, 1) if looked else None
        rows.append((unit, name, int(count), looked, rate))
    rows.sort(key=lambda r: (r[4] is None, -(r[4] or 0.0), r[0]))
    return Table(f"Laporan data tidak sesuai per {PER_SAID} pencarian, per unit", HEADER, rows)


def _lookups(sql: Sql, mirror: Path, since: float) -> Counter[tuple[str, str]]:
    """Found lookups since ``since`` by (kind, kabupaten / province name / embarkasi)."""
    counts: Counter[tuple[str, str]] = Counter()
    for kind, column in (("kab", "kabupaten"), ("prop", "province_name")):
        for name, count in sql.all(
            f"SELECT {column}, count(*) FROM lookups WHERE found = 1 AND at >= ? GROUP BY 1",
            (since,),
        ):
            counts[(kind, name or "")] = int(count)
    if mirror.exists():
        per_porsi = sql.all(
            "SELECT porsi, count(*) FROM lookups WHERE found = 1 AND at >= ? GROUP BY porsi",
            (since,),
        )
        for code, count in _embarkations(mirror, {str(p): int(n) for p, n in per_porsi}):
            counts[("emb", code)] += count
    return counts


def _embarkations(mirror: Path, per_porsi: dict[str, int]) -> Iterator[tuple[str, int]]:
    """(embarkasi, lookups) for each porsi with a kloter in the live mirror."""
    porsi = sorted(per_porsi)
    with closing(sqlite3.connect(f"file:{mirror}?mode=ro", uri=True)) as db:
        for first in range(0, len(porsi), BATCH):
            batch = porsi[first : first + BATCH]
            for number, code in db.execute(
                "SELECT j.nomor_porsi, k.embarkasi FROM jemaah j "
                "JOIN kloter k ON k.kode = j.kloter "
                f"WHERE j.nomor_porsi IN ({', '.join('?' * len(batch))})",
                batch,
            ):
                yield code, per_porsi[number]
