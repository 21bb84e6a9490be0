"""The pilgrims' phone numbers: the optional ``no_hp`` column of jemaah.csv.

An export without the column imports as before (no numbers, no schedule-change calls).
With it, a second pass over jemaah.csv (only the porsi and the number are read, so the
main load's hot path is untouched) validates each number with ivr.phone (an Indonesian
mobile or landline number, ``+62``/``62`` accepted and stored as ``0...``) and keeps it in
the mirror's own ``kontak`` table, for the porsi the main load took. A bad number is a bad
row like any other: the export is refused with its file, line and reason.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

from ivr import phone
from ivr.data.report import Problems
from ivr.data.source import JEMAAH_CSV, open_csv
from ivr.data.validate import first_line

COLUMN = "no_hp"
TABLE = """
CREATE TABLE kontak (
    nomor_porsi TEXT PRIMARY KEY NOT NULL,
    no_hp TEXT NOT NULL                     -- national form: 08..., 0[2-79]...
) WITHOUT ROWID;
"""
_INSERT = (
    "INSERT OR IGNORE INTO kontak SELECT ?1, ?2 "
    "WHERE EXISTS (SELECT 1 FROM jemaah WHERE nomor_porsi = ?1)"
)
WANTED = "an Indonesian mobile or landline number (08..., 021..., +62...) or empty"


def load(db: sqlite3.Connection, source: Path, problems: Problems) -> None:
    """Fill ``kontak`` from jemaah.csv's no_hp column, when it has one."""
    db.execute(TABLE)
    with open_csv(source, JEMAAH_CSV) as reader:
        header = [h.strip().lower() for h in next(reader, [])]
        if COLUMN not in header:
            return
        porsi, number = header.index("nomor_porsi"), header.index(COLUMN)
        rows = _numbers(reader, porsi, number, len(header), problems)
        db.executemany(_INSERT, rows)


def _numbers(
    reader: Iterator[list[str]], porsi: int, number: int, width: int, problems: Problems
) -> Iterator[tuple[str, str]]:
    for row in reader:
        if len(row) != width or not row[number].strip():
            continue  # a short row is reported by the main load; an empty number is fine
        national = phone.national(row[number])
        if national:
            yield row[porsi], national
        else:
            line = first_line(getattr(reader, "line_num", 0), row)
            problems.add(JEMAAH_CSV, line, f"{COLUMN} {row[number]!r} is not {WANTED}")


def numbers_of(db: sqlite3.Connection) -> bool:
    """Whether this mirror has a kontak table (mirrors from before it have none)."""
    found = db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'kontak'")
    return found.fetchone() is not None
