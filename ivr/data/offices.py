"""District offices (kantor.csv, optional in an export): where a pilgrim registers,
cancels or delegates a porsi, and whether the office is a PLHUT one-stop centre.

One row per kd_kab (the BPS code jemaah.csv uses), validated like the other files (rules
per column, every bad row with its line) and stored in the mirror's ``kantor`` table. An
export without the file imports as before: the table is empty and the IVR says it has no
office for that district.

Opening hours are the office's local time. Its zone follows its province, the first two
digits of the BPS code (:data:`WITA`, :data:`WIT`; every other province is WIB), so the
export need not say it.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import time
from pathlib import Path
from typing import Any

from num2words import num2words

from ivr.data import schema
from ivr.data.report import Problems
from ivr.data.schema import ZonaWaktu
from ivr.data.source import KANTOR_CSV, has_file, open_csv
from ivr.data.validate import TEXT, TIME, Rule, first_line, layout, one_of, problems
from ivr.errors import DataError

_SERVICE = "|".join(schema.LAYANAN)
KANTOR_RULES: dict[str, Rule] = {
    "kd_kab": (r"\d{2,6}", "2 to 6 digits"),
    "nama": (TEXT, "an office name"),
    "alamat": (TEXT, "an address"),
    "telepon": (r"\d[\d -]{4,18}\d", "a phone number (digits, spaces and -)"),
    "hari": one_of(schema.HARI),
    "jam_buka": (TIME, "HH:MM"),
    "jam_tutup": (TIME, "HH:MM"),
    "plhut": one_of(("YA", "TIDAK")),
    "layanan": (
        rf"(?:{_SERVICE})(?: (?:{_SERVICE}))*",
        "services separated by spaces: " + " ".join(schema.LAYANAN),
    ),
}

# BPS province codes (the first two digits of kd_kab) by time zone; the rest are WIB.
WITA = frozenset({"51", "52", "53", "63", "64", "65", "71", "72", "73", "74", "75", "76"})
WIT = frozenset({"81", "82", "91", "92", "93", "94", "95", "96", "97"})

SELECT_ALL = f"SELECT {', '.join(schema.KANTOR_COLUMNS)} FROM kantor"
SELECT = SELECT_ALL + " WHERE kd_kab = ?"

# How addresses abbreviate, as spoken (lower case, without the dot).
ABBREVIATIONS = {
    "jl": "Jalan",
    "jln": "Jalan",
    "no": "nomor",
    "kec": "Kecamatan",
    "kel": "Kelurahan",
    "kab": "Kabupaten",
    "prov": "Provinsi",
    "ds": "Desa",
    "gg": "Gang",
    "komp": "Kompleks",
    "kemenag": "Kementerian Agama",
    "km": "kilometer",
}
_KH = re.compile(r"\bK\.\s?H\.\s?")  # Kyai Haji, in street names after ulama
_GLUED = re.compile(r"(\d)([A-Za-z])")
_WORD = re.compile(r"([A-Za-z]+)\.?|(\d+)")
NUMBER_DIGITS = 4  # a longer number (a postcode) is read digit by digit


def zone_of(kd_kab: str) -> ZonaWaktu:
    """WIB, WITA or WIT: the zone of the province the district lies in."""
    province = kd_kab[:2]
    return "WITA" if province in WITA else "WIT" if province in WIT else "WIB"


@dataclass(frozen=True, slots=True)
class Office:
    kd_kab: str
    nama: str
    alamat: str
    telepon: str
    hari: str  # SEN-JUM | SEN-SAB
    jam_buka: time
    jam_tutup: time
    plhut: bool
    layanan: tuple[str, ...]  # in schema.LAYANAN order

    @property
    def zona_waktu(self) -> ZonaWaktu:
        return zone_of(self.kd_kab)


def office(row: tuple[Any, ...]) -> Office:
    kd_kab, nama, alamat, telepon, hari, buka, tutup, plhut, layanan = row
    offered = set(layanan.split())
    ordered = tuple(s for s in schema.LAYANAN if s in offered)
    opens, closes = time.fromisoformat(buka), time.fromisoformat(tutup)
    return Office(kd_kab, nama, alamat, telepon, hari, opens, closes, bool(plhut), ordered)


def lookup(db: sqlite3.Connection, kd_kab: str) -> Office | None:
    row = db.execute(SELECT, (kd_kab,)).fetchone()
    return None if row is None else office(row)


def every(db: sqlite3.Connection) -> Iterator[Office]:
    for row in db.execute(SELECT_ALL + " ORDER BY kd_kab"):
        yield office(row)


def prompt_id(kd_kab: str, field: str) -> str:
    """The prompt that speaks an office's ``nama`` or ``alamat`` (see :func:`prompts`)."""
    return f"kantor-{kd_kab}-{field}"


def prompts(found: Iterator[Office]) -> dict[str, str]:
    """Each office's name and address as prompt texts, written the way they are read."""
    texts = {}
    for o in found:
        texts[prompt_id(o.kd_kab, "nama")] = spoken(o.nama)
        texts[prompt_id(o.kd_kab, "alamat")] = spoken(o.alamat)
    return texts


def spoken(text: str) -> str:
    """Free text as a speech engine should read it: abbreviations written out, numbers in
    words ("Jl. Slamet Riyadi No. 275" -> "Jalan Slamet Riyadi nomor dua ratus tujuh
    puluh lima"), a postcode digit by digit."""
    text = _GLUED.sub(r"\1 \2", _KH.sub("Kyai Haji ", text))  # 12A -> 12 A
    text = _WORD.sub(_word, text)
    return " ".join(text.replace("/", " ").split())


def _word(match: re.Match[str]) -> str:
    word, number = match.group(1), match.group(2)
    if number is not None:
        if len(number) > NUMBER_DIGITS:
            return " ".join(num2words(int(d), lang="id") for d in number)
        return str(num2words(int(number), lang="id"))
    expanded = ABBREVIATIONS.get(word.lower())
    return expanded if expanded is not None else match.group(0)


def load(db: sqlite3.Connection, source: Path, found: Problems) -> int:
    """Insert kantor.csv's valid rows (none when the export has no such file); report the
    others into ``found``. Returns the rows read."""
    if not has_file(source, KANTOR_CSV):
        return 0
    count, first = 0, dict[str, int]()
    with open_csv(source, KANTOR_CSV) as reader:
        header = next(reader, None)
        if header is None:
            raise DataError(f"{KANTOR_CSV} is empty: expected a header row")
        lay = layout(KANTOR_CSV, header, KANTOR_RULES, frozenset())
        for row in filter(None, reader):  # a blank line is not a row
            count += 1
            line = first_line(reader.line_num, row)
            reasons = problems(row, lay, frozenset())
            values = lay.pick(row) if not reasons else ()
            if values:
                kd_kab, opens, closes = values[0], values[5], values[6]
                if kd_kab in first:
                    reasons.append(f"duplicate kd_kab {kd_kab} (first on line {first[kd_kab]})")
                first.setdefault(kd_kab, line)
                if not opens < closes:
                    reasons.append(f"jam_buka {opens} is not before jam_tutup {closes}")
            if reasons:
                found.add(KANTOR_CSV, line, "; ".join(reasons))
            else:
                db.execute(schema.INSERT_KANTOR, (*values[:7], values[7] == "YA", values[8]))
    return count
