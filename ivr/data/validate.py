"""Validation of export rows: one rule (regex + wording) per column, one regex per row.

The fast path joins a CSV row with a unit separator and matches a regex built from every
column's rule in the file's own header order (extra columns match anything). A valid
row costs one ``join``, one regex match and a few set lookups; only a row that fails is
taken apart column by column to say why (:func:`problems`). Both paths read the same
rules, so they cannot disagree about what is valid.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from operator import itemgetter

from ivr.data import schema
from ivr.errors import DataError

# ASCII unit separator: joins the fields of a row for the one-regex check. No rule
# accepts it inside a field, so a field cannot smuggle in an extra column.
SEP = "\x1f"
_ANY = r"[^\x1f]*"
# Control characters (C0 with the separator, DEL, C1 with NEL) and Unicode line breaks: a
# name holding one would break a transcript line, a CSV report or a terminal.
_CONTROL = r"\x00-\x1f\x7f-\x9f\u2028\u2029"
_TEXT = rf" *[^\s{_CONTROL}][^{_CONTROL}]*"
_DATE = r"\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])"
_TIME = r"(?:[01]\d|2[0-3]):[0-5]\d"
TEXT, TIME = _TEXT, _TIME  # for the rules of other files (ivr.data.offices)
# The regex lets 2026-02-30 through; these columns are also looked up in real_dates().
DATE_COLUMNS = (
    "tgl_lahir",
    "batas_pelunasan",
    "updated_at",
    "masuk_asrama",
    "berangkat",
    "pulang",
    "tgl_pengembalian",
)

Rule = tuple[str, str]  # (regex for a non-empty value, what the value must be)


def _one_of(values: Sequence[str]) -> Rule:
    return "|".join(values), "one of " + ", ".join(values)


one_of = _one_of  # for the rules of other files (ivr.data.offices)


JEMAAH_RULES: Mapping[str, Rule] = {
    "nomor_porsi": (r"\d{10}", "10 digits"),
    "nama": (_TEXT, "a name"),  # _TEXT: no control characters or line breaks
    "tgl_lahir": (_DATE, "a date YYYY-MM-DD"),
    "jenis_kelamin": _one_of(schema.JENIS_KELAMIN),
    "jenis_haji": _one_of(schema.JENIS_HAJI),
    "kd_prop": (r"\d{2}", "2 digits"),
    "provinsi": (_TEXT, "a province name"),
    "kd_kab": (r"\d{2,6}", "2 to 6 digits"),
    "kabupaten": (_TEXT, "a kabupaten/kota name"),
    "status_porsi": _one_of(schema.STATUS_PORSI),
    "posisi_porsi": (r"\d{1,9}", "a whole number"),
    "kuota": (r"\d{1,9}", "a whole number"),
    "estimasi_masehi": (r"\d{4}", "a year"),
    "estimasi_hijriah": (r"\d{4}", "a year"),
    "kloter": (r"[A-Z]{3}-\d{2,3}", "a kloter code like SOC-01"),
    "status_paspor": _one_of(schema.STATUS_PASPOR),
    "status_visa": _one_of(schema.STATUS_VISA),
    "status_pelunasan": _one_of(schema.STATUS_PELUNASAN),
    "biaya_bipih": (r"\d{1,12}", "a whole amount"),  # blank only as BLANK_WHILE says
    "sisa_pelunasan": (r"\d{1,12}", "a whole amount"),
    "mata_uang": _one_of(schema.MATA_UANG),
    "batas_pelunasan": (_DATE, "a date YYYY-MM-DD"),
    "updated_at": (rf"{_DATE}(?: {_TIME}(?::[0-5]\d)?)?", "YYYY-MM-DD[ HH:MM[:SS]]"),
    # schema.JEMAAH_EXTRA: the export may leave these columns out (see extra_problems).
    "tahap_pengembalian": _one_of(schema.TAHAP_PENGEMBALIAN),
    "tgl_pengembalian": (_DATE, "a date YYYY-MM-DD"),
    "porsi_pelimpahan": (r"\d{10}", "10 digits"),
}

# Columns that may be blank only while another column holds one value (the amounts while
# the pilgrim is not yet entitled to pay): column -> (that column, that value).
JEMAAH_BLANK_WHILE: Mapping[str, tuple[str, str]] = dict.fromkeys(
    schema.JEMAAH_AMOUNTS, schema.AMOUNTS_BLANK_WHILE
)

KLOTER_RULES: Mapping[str, Rule] = {
    "kode": (r"[A-Z]{3}-\d{2,3}", "a kloter code like SOC-01"),
    "embarkasi": (r"[A-Z]{3}", "a 3-letter embarkasi code"),
    "gelombang": (r"[12]", "1 or 2"),
    "maskapai": (_TEXT, "an airline"),
    "no_penerbangan": (_TEXT, "a flight number"),
    "masuk_asrama": (f"{_DATE} {_TIME}", "YYYY-MM-DD HH:MM"),
    "berangkat": (f"{_DATE} {_TIME}", "YYYY-MM-DD HH:MM"),
    "tujuan": _one_of(schema.TUJUAN),
    "pulang": (f"{_DATE} {_TIME}", "YYYY-MM-DD HH:MM"),
    "zona_waktu": _one_of(schema.ZONA_WAKTU),
}


def real_dates(first: int = 1900, last: int = 2099) -> frozenset[str]:
    """Every real YYYY-MM-DD in the years, plus "" (the regex decides what may be empty)."""
    day, end = date(first, 1, 1), date(last, 12, 31)
    found = {""}
    while day <= end:
        found.add(day.isoformat())
        day += timedelta(days=1)
    return frozenset(found)


@dataclass(frozen=True)
class Check:
    column: str
    index: int
    regex: re.Pattern[str]
    wanted: str


@dataclass(frozen=True)
class BlankWhile:
    """``column`` may be empty only while ``other`` holds ``value``."""

    column: str
    index: int
    other: str
    other_index: int
    value: str


@dataclass(frozen=True)
class Layout:
    """Where each known column sits in one file's header, and the compiled checks."""

    file: str
    width: int
    index: Mapping[str, int]
    row: re.Pattern[str]
    checks: tuple[Check, ...]
    pick: Callable[[Sequence[str]], tuple[str, ...]]  # row -> values in table order
    blank_while: tuple[BlankWhile, ...] = ()  # checked outside the row regex
    columns: tuple[str, ...] = ()  # the rule columns the header holds, in rules order


def layout(
    file: str,
    header: Sequence[str],
    rules: Mapping[str, Rule],
    optional: frozenset[str],
    blank_while: Mapping[str, tuple[str, str]] | None = None,
    may_lack: frozenset[str] = frozenset(),
) -> Layout:
    """Compile the checks for ``header``; a missing or doubled column is one DataError.

    The columns of ``blank_while`` may be empty as far as the regex goes; the caller checks
    the condition (the importer inline on its hot path, :func:`problems` on the slow one).
    Columns in ``may_lack`` may be missing from the header (``columns`` says which are
    there; ``pick`` returns only those).
    """
    names = [h.strip().lower() for h in header]
    rules = {c: rule for c, rule in rules.items() if c in names or c not in may_lack}
    missing = [c for c in rules if c not in names]
    if missing:
        hint = " (columns must be separated by commas)" if ";" in "".join(names) else ""
        raise DataError(f"{file}: missing required column(s): {', '.join(missing)}{hint}")
    doubled = sorted({n for n in names if n in rules and names.count(n) > 1})
    if doubled:
        raise DataError(f"{file}: column(s) appear twice in the header: {', '.join(doubled)}")
    index = {n: names.index(n) for n in rules}
    conditions = blank_while or {}
    loose = optional | set(conditions)
    patterns = [_pattern(rules[n], n in loose) if n in rules else _ANY for n in names]
    checks = tuple(_check(n, index[n], rules[n], n in optional) for n in rules)
    row = re.compile(SEP.join(f"(?:{p})" for p in patterns))
    pick = itemgetter(*index.values())
    blanks = tuple(
        BlankWhile(column, index[column], other, index[other], value)
        for column, (other, value) in conditions.items()
    )
    return Layout(file, len(names), index, row, checks, pick, blanks, tuple(rules))


def _pattern(rule: Rule, optional: bool) -> str:
    return f"(?:{rule[0]})?" if optional else rule[0]


def _check(column: str, index: int, rule: Rule, optional: bool) -> Check:
    wanted = rule[1] + (" or empty" if optional else "")
    return Check(column, index, re.compile(_pattern(rule, optional)), wanted)


def problems(row: Sequence[str], lay: Layout, dates: frozenset[str]) -> list[str]:
    """Every reason ``row`` is invalid, column by column (the slow path)."""
    if len(row) != lay.width:
        return [f"{len(row)} fields where the header has {lay.width}"]
    found = []
    blankable = {b.index: b for b in lay.blank_while}
    for check in lay.checks:
        value = row[check.index]
        if not value and check.index in blankable:
            found += _blank_while(row, blankable[check.index])
        elif check.regex.fullmatch(value) is None:
            found.append(f"{check.column} {value!r} is not {check.wanted}")
        elif check.column in DATE_COLUMNS and value[:10] not in dates:
            found.append(f"{check.column} {value!r} is not a real date")
    return found + extra_problems(row, lay.index)


def extra_problems(row: Sequence[str], index: Mapping[str, int]) -> list[str]:
    """jemaah.csv's optional refund and heir columns against the porsi's status: a refund
    stage and its date come together and only for a cancelled porsi (BATAL), the heir's new
    porsi only for a delegated one (PELIMPAHAN). Columns the export lacks pass."""
    status = row[index["status_porsi"]] if "status_porsi" in index else ""
    stage, day, heir = (
        row[index[c]] if c in index else ""
        for c in ("tahap_pengembalian", "tgl_pengembalian", "porsi_pelimpahan")
    )
    found = []
    if (stage or day) and status != "BATAL":
        found.append(
            f"tahap_pengembalian/tgl_pengembalian given while status_porsi is {status} (only BATAL)"
        )
    elif bool(stage) != bool(day):
        found.append("tahap_pengembalian and tgl_pengembalian go together (one is empty)")
    if heir and status != "PELIMPAHAN":
        found.append(f"porsi_pelimpahan given while status_porsi is {status} (only PELIMPAHAN)")
    return found


def _blank_while(row: Sequence[str], rule: BlankWhile) -> list[str]:
    other = row[rule.other_index]
    if other == rule.value:
        return []
    return [
        f"{rule.column} is empty while {rule.other} is {other}"
        f" (an amount may be blank only while {rule.value})"
    ]


def first_line(end_line: int, row: Sequence[str]) -> int:
    """The line a record starts on, from the line it ends on (quoted fields may hold newlines)."""
    return end_line - sum(value.count("\n") for value in row)
