""" "Disputed answers per 10,000 lookups by unit": which unit's data is least accurate.

For each unit with a case filed since ``since``: the cases (disputes) over the porsi
found in the call log's lookups of its pilgrims in the same period. The lookups table
keeps each found pilgrim's kabupaten and province by name (the district and provincial
offices' units carry those names); it keeps no kloter, so an embarkation's lookups are
counted through the live mirror (the porsi's kloter now), attached read-only.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from pathlib import Path

from ivr.reports import Table

PER, PER_SAID = 10_000, "10.000"  # as Indonesians write it
HEADER = ("unit", "nama", "laporan", "pencarian", f"per {PER_SAID}")


def accuracy(db: sqlite3.Connection, mirror: Path, since: float) -> Table:
    disputes = db.execute(
        "SELECT unit, max(unit_name), count(*) FROM corrections WHERE filed_at >= ? GROUP BY unit",
        (since,),
    ).fetchall()
    lookups = _lookups(db, mirror, since)
    rows = []
    for unit, name, count in disputes:
        kind = unit.partition(":")[0]
        looked = lookups[(kind, name if kind != "emb" else unit.partition(":")[2])]
        rate = round(count * PER / looked, 1) if looked else None
        rows.append((unit, name, count, looked, rate))
    rows.sort(key=lambda r: (r[4] is None, -(r[4] or 0.0), r[0]))
    return Table(f"Laporan data tidak sesuai per {PER_SAID} pencarian, per unit", HEADER, rows)


def _lookups(db: sqlite3.Connection, mirror: Path, since: float) -> Counter[tuple[str, str]]:
    """Found lookups since ``since`` by (kind, kabupaten / province name / embarkasi)."""
    counts: Counter[tuple[str, str]] = Counter()
    for kind, column in (("kab", "kabupaten"), ("prop", "province_name")):
        for name, count in db.execute(
            f"SELECT {column}, count(*) FROM lookups WHERE found = 1 AND at >= ? GROUP BY 1",
            (since,),
        ):
            counts[(kind, name or "")] = count
    if mirror.exists():
        db.execute("ATTACH DATABASE ? AS m", (f"file:{mirror}?mode=ro",))
        try:
            for code, count in db.execute(
                "SELECT k.embarkasi, count(*) FROM lookups l "
                "JOIN m.jemaah j ON j.nomor_porsi = l.porsi JOIN m.kloter k ON k.kode = j.kloter "
                "WHERE l.found = 1 AND l.at >= ? GROUP BY 1",
                (since,),
            ):
                counts[("emb", code)] = count
        finally:
            db.execute("DETACH DATABASE m")
    return counts
