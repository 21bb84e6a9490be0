"""Licensed umrah travel agencies (PPIU) from the export's optional ``ppiu.csv``.

The file is optional: an export without it still imports, the mirror then has no ``ppiu``
table, and a lookup answers NO_LIST (the caller hears that the list is not available,
never that an agency is unlicensed). A file that is present is validated like the others
(every bad row with its file, line and reason; the whole export refused) and may not be
empty: an empty list would make every agency sound unlicensed.

Names and cities are spelled to the caller letter by letter (``ivr.speech.spell``), so
they may hold only what has a prompt: ASCII letters and digits, with spaces and the
punctuation of company names (``. , & ' ( ) / -``) between them, not spoken.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Literal, get_args

from ivr.data.report import Problems
from ivr.data.source import has_file, open_csv
from ivr.data.validate import JEMAAH_RULES, first_line, layout, problems, real_dates
from ivr.errors import DataError

PPIU_CSV = "ppiu.csv"
# The licence number as the caller keys it: 13 digits, the length of the NIB (Nomor Induk
# Berusaha) under which licences are issued through OSS (docs/decisions.md, "Umrah").
LICENCE_DIGITS = 13
LICENCE = re.compile(rf"^\d{{{LICENCE_DIGITS}}}$")

StatusIzin = Literal["BERLAKU", "DIBEKUKAN", "DICABUT"]
STATUS_IZIN: tuple[str, ...] = get_args(StatusIzin)

COLUMNS = ("no_izin", "nama", "kota", "status", "berlaku_sampai")
OPTIONAL = frozenset({"berlaku_sampai"})
_SPELLABLE = r"[A-Za-z0-9.,&'()/ -]*[A-Za-z0-9][A-Za-z0-9.,&'()/ -]*"
RULES = {
    "no_izin": (rf"\d{{{LICENCE_DIGITS}}}", f"{LICENCE_DIGITS} digits"),
    "nama": (_SPELLABLE, "a name of ASCII letters, digits, spaces and . , & ' ( ) / -"),
    "kota": (_SPELLABLE, "a city of ASCII letters, digits, spaces and . , & ' ( ) / -"),
    "status": ("|".join(STATUS_IZIN), "one of " + ", ".join(STATUS_IZIN)),
    "berlaku_sampai": JEMAAH_RULES["tgl_lahir"],  # a date YYYY-MM-DD
}

TABLE = """
CREATE TABLE ppiu (
    no_izin TEXT PRIMARY KEY NOT NULL,      -- 13 digits, leading zeros kept
    nama TEXT NOT NULL,
    kota TEXT NOT NULL,
    status TEXT NOT NULL,                   -- BERLAKU | DIBEKUKAN | DICABUT
    berlaku_sampai TEXT                     -- YYYY-MM-DD
) WITHOUT ROWID;
"""
INSERT = (
    "INSERT INTO ppiu (no_izin, nama, kota, status, berlaku_sampai)"
    " VALUES (?, ?, ?, ?, NULLIF(?, ''))"
)
LOOKUP = "SELECT no_izin, nama, kota, status, berlaku_sampai FROM ppiu WHERE no_izin = ?"


class Check(StrEnum):
    """What a licence lookup found (the call log keeps it; the fraud report reads it)."""

    LICENSED = "licensed"
    FROZEN = "frozen"
    REVOKED = "revoked"
    UNKNOWN = "unknown"
    NO_LIST = "no_list"  # the export had no ppiu.csv


CHECK_OF: dict[str, Check] = {
    "BERLAKU": Check.LICENSED,
    "DIBEKUKAN": Check.FROZEN,
    "DICABUT": Check.REVOKED,
}


@dataclass(frozen=True)
class Agency:
    no_izin: str
    nama: str
    kota: str
    status: StatusIzin
    berlaku_sampai: date | None


@dataclass(frozen=True)
class Answer:
    check: Check
    agency: Agency | None = None


def load(db: sqlite3.Connection, source: Path, found: Problems) -> int | None:
    """Load ``ppiu.csv`` into a new ``ppiu`` table: the rows read, or None without the file.
    Bad rows go to ``found``; a file with a header and no rows is a DataError."""
    if not has_file(source, PPIU_CSV):
        return None
    db.execute(TABLE)  # one statement: executescript would commit the load
    dates = real_dates()
    seen: dict[str, int] = {}
    rows = 0
    with open_csv(source, PPIU_CSV) as reader:
        header = next(reader, None)
        if header is None:
            raise DataError(f"{PPIU_CSV} is empty: expected a header row")
        lay = layout(PPIU_CSV, header, RULES, OPTIONAL)
        for row in filter(None, reader):  # a blank line is not a row
            rows += 1
            line = first_line(reader.line_num, row)
            reasons = problems(row, lay, dates)
            if len(row) == lay.width:
                reasons += _real_date(row[lay.index["berlaku_sampai"]], dates)
                reasons += _duplicate(row[lay.index["no_izin"]], line, seen)
            if reasons:
                found.add(PPIU_CSV, line, "; ".join(reasons))
            else:
                db.execute(INSERT, lay.pick(row))
    if rows == 0:
        raise DataError(
            f"{PPIU_CSV} has no rows: leave the file out of the export when there is no list"
            " (an empty list would make every agency sound unlicensed)"
        )
    return rows


def _real_date(until: str, dates: frozenset[str]) -> list[str]:
    """The rule's regex lets 2026-02-30 through (as for the other files' dates)."""
    if re.fullmatch(RULES["berlaku_sampai"][0], until) and until not in dates:
        return [f"berlaku_sampai {until!r} is not a real date"]
    return []


def _duplicate(licence: str, line: int, seen: dict[str, int]) -> list[str]:
    if licence in seen:
        return [f"duplicate no_izin {licence} (first on line {seen[licence]})"]
    seen[licence] = line
    return []


def lookup(db: sqlite3.Connection, licence: str) -> Answer:
    """The agency licensed under ``licence`` in a mirror (NO_LIST when it has no list)."""
    try:
        listed = db.execute("SELECT 1 FROM sqlite_master WHERE name = 'ppiu'").fetchone()
        row = db.execute(LOOKUP, (licence,)).fetchone() if listed else None
    except sqlite3.Error as e:  # a damaged file: the caller gets a human
        raise DataError(f"data mirror: PPIU lookup failed: {e}") from None
    if not listed:
        return Answer(Check.NO_LIST)
    if row is None:
        return Answer(Check.UNKNOWN)
    until = None if row[4] is None else date.fromisoformat(row[4])
    agency = Agency(row[0], row[1], row[2], row[3], until)
    return Answer(CHECK_OF[agency.status], agency)
