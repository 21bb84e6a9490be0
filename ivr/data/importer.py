"""Import a SISKOHAT export (folder or .zip of two CSV files) into a new mirror, then swap.

The new database is built beside the live one and moved onto it with ``os.replace``
only when every row of both files is valid: a running controller keeps answering from
the old file until its next lookup notices the new inode (see :mod:`ivr.data.mirror`).
An export with any bad row is refused whole and the live mirror is left untouched; so
is an export older than the live mirror (unless forced: going back must be on purpose),
and an import started while another one runs (see :mod:`ivr.data.guard`).

Speed (about 5.5 million rows, see bench/bench_data.py): rows stream from the csv module
straight into one ``executemany`` in one transaction, with journaling and syncing off
(the file is not live until the final fsync and rename, so a crash only leaves a stray
``*.new`` file behind, which the next import removes). A valid row costs one join, one
regex match, three lookups for the amounts, four set lookups and an ``itemgetter``; the
only index besides the primary key is built after the load.
"""

from __future__ import annotations

import os
import sqlite3
import stat
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from ivr.data import contacts, diff, guard, offices, ppiu, schema
from ivr.data.diff import ImportDiff
from ivr.data.mirror import Mirror
from ivr.data.report import ImportRefused, ImportReport, Problems
from ivr.data.source import JEMAAH_CSV, KLOTER_CSV, check_source, open_csv
from ivr.data.validate import (
    JEMAAH_BLANK_WHILE,
    JEMAAH_RULES,
    KLOTER_RULES,
    SEP,
    Layout,
    Rule,
    extra_problems,
    first_line,
    layout,
    problems,
    real_dates,
)
from ivr.errors import DataError

if TYPE_CHECKING:
    from _csv import Reader  # the type csv.reader() returns

Progress = Callable[[int], None]
PROGRESS_EVERY = 100_000  # jemaah rows between two progress calls
BUILD_CACHE_KIB = 256 * 1024  # page cache while building: keeps the b-tree's hot path in RAM
UNCHANGED = "the live mirror is unchanged"


def import_export(
    source: Path,
    live: Path,
    *,
    progress: Progress | None = None,
    imported_by: str = "",
    force: bool = False,
    name: str = "",
    then: Callable[[], None] | None = None,
) -> ImportReport:
    """Validate ``source`` and atomically replace the mirror at ``live`` with it.

    Raises :class:`ImportRefused` (a DataError whose ``report`` lists every bad row)
    when any row is invalid, and DataError when a file or column is missing, when
    another import is running, or when the export is older than the live mirror
    (unless ``force``). ``name`` is what reports call the export (default its path).
    ``then`` runs after the swap, still under the import lock (publishing the new file
    to the other nodes: nothing may swap another file in before it is published).
    """
    started = time.monotonic()
    check_source(source)
    with guard.exclusive(live):
        try:
            report = _import(source, live, progress, imported_by, force, name, started)
        except sqlite3.Error as e:  # a full disk, mostly
            raise DataError(f"building the new mirror failed: {e}; {UNCHANGED}") from None
        except OSError as e:
            raise DataError(f"{e.filename or source}: {e.strerror}; {UNCHANGED}") from None
        if then is not None:
            then()
    return replace(report, seconds=time.monotonic() - started)


def _import(
    source: Path,
    live: Path,
    progress: Progress | None,
    imported_by: str,
    force: bool,
    name: str,
    started: float,
) -> ImportReport:
    fd, tmp = tempfile.mkstemp(dir=live.parent, prefix=f"{live.name}.", suffix=".new")
    os.close(fd)
    new = Path(tmp)
    try:
        load = _build(source, new, progress, imported_by, name)
        report = load.report(name or str(source), time.monotonic() - started)
        if not report.accepted:
            raise ImportRefused(report)
        if not force:
            _not_older(report, live)
        report = replace(report, diff=_compare(new, live))
        swap(new, live)
    finally:
        new.unlink(missing_ok=True)  # a no-op after the swap
    return report


def _not_older(report: ImportReport, live: Path) -> None:
    """Refuse to go back in time: an export older than the live mirror's as-of date."""
    try:
        with Mirror(live) as mirror:
            current = mirror.as_of
    except DataError:  # no live mirror, or none we can read: nothing to go back from
        return
    if report.as_of is not None and report.as_of < current:
        raise DataError(
            f"{report.source} is as of {report.as_of}, older than the live mirror: the live "
            f"mirror is as of {current} and stays ({UNCHANGED}). To go back to older data on "
            "purpose, import it with --force (on the dashboard: tick 'Impor walaupun lebih lama')"
        )


class _Load:
    """What one build learned: rows read, bad rows, the newest updated_at."""

    def __init__(self, progress: Progress | None) -> None:
        self.progress = progress
        self.problems = Problems()
        self.jemaah_rows = 0
        self.kloter_rows = 0
        self.ppiu_rows: int | None = None  # no ppiu.csv
        self.kantor_rows = 0
        self.as_of = ""
        self.last: tuple[str, ...] = ()  # the row executemany is inserting (for duplicates)

    def report(self, source: str, seconds: float) -> ImportReport:
        return ImportReport(
            source=source,
            jemaah_rows=self.jemaah_rows,
            kloter_rows=self.kloter_rows,
            as_of=date.fromisoformat(self.as_of[:10]) if self.as_of else None,
            bad_rows=tuple(self.problems.rows),
            bad_rows_omitted=self.problems.omitted,
            seconds=seconds,
            ppiu_rows=self.ppiu_rows,
            kantor_rows=self.kantor_rows,
        )


def _build(
    source: Path, path: Path, progress: Progress | None, imported_by: str, name: str
) -> _Load:
    load = _Load(progress)
    db = _new_database(path)
    try:
        db.execute("BEGIN")
        kloters = _load_kloter(db, source, load)
        _load_jemaah(db, source, kloters, load)
        load.ppiu_rows = ppiu.load(db, source, load.problems)  # optional: umrah agencies
        load.kantor_rows = offices.load(db, source, load.problems)
        contacts.load(db, source, load.problems)  # the optional no_hp column
        for statement in schema.INDEXES.strip().split(";\n"):
            db.execute(statement)
        meta = (load.as_of, _now(), name or str(source.resolve()))
        db.execute(schema.INSERT_META, (*meta, load.jemaah_rows, load.kloter_rows, imported_by))
        db.execute("COMMIT")
    finally:
        db.close()
    return load


def _compare(new: Path, live: Path) -> ImportDiff:
    """What this import changes against the live mirror (stored in the new one)."""
    db = sqlite3.connect(new, isolation_level=None)
    try:
        return diff.compare(db, live)
    finally:
        db.close()


def _new_database(path: Path) -> sqlite3.Connection:
    """The empty mirror, set up for one bulk load: no journal, no syncing (see above)."""
    db = sqlite3.connect(path, isolation_level=None)
    for pragma in ("journal_mode=OFF", "synchronous=OFF", "locking_mode=EXCLUSIVE"):
        db.execute(f"PRAGMA {pragma}")
    db.execute(f"PRAGMA cache_size=-{BUILD_CACHE_KIB}")
    db.execute(f"PRAGMA user_version={schema.SCHEMA_VERSION}")
    db.executescript(schema.TABLES)
    return db


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _load_kloter(db: sqlite3.Connection, source: Path, load: _Load) -> frozenset[str]:
    """Insert the valid kloter rows; return every kode named, valid or not (so a jemaah
    row is not reported again for a kloter whose own row is bad)."""
    first: dict[str, int] = {}
    dates = real_dates(2000, 2099)
    with open_csv(source, KLOTER_CSV) as reader:
        lay = _layout(KLOTER_CSV, reader, KLOTER_RULES, frozenset())
        for row in filter(None, reader):  # a blank line is not a row
            load.kloter_rows += 1
            line = first_line(reader.line_num, row)
            reasons = problems(row, lay, dates) or _kloter_order(row, lay)
            if len(row) == lay.width:
                kode = row[lay.index["kode"]]
                if kode in first:
                    reasons.append(f"duplicate kode {kode} (first on line {first[kode]})")
                first.setdefault(kode, line)
            if reasons:
                load.problems.add(KLOTER_CSV, line, "; ".join(reasons))
            else:
                db.execute(schema.INSERT_KLOTER, lay.pick(row))
    return frozenset(first)


def _kloter_order(row: list[str], lay: Layout) -> list[str]:
    """A kloter row's own consistency: its code names its embarkasi, times run forward."""
    kode, embarkasi = row[lay.index["kode"]], row[lay.index["embarkasi"]]
    asrama, berangkat = row[lay.index["masuk_asrama"]], row[lay.index["berangkat"]]
    found = []
    if not kode.startswith(embarkasi + "-"):
        found.append(f"kode {kode} does not start with embarkasi {embarkasi}")
    if not asrama <= berangkat < row[lay.index["pulang"]]:
        found.append("times must run masuk_asrama <= berangkat < pulang")
    return found


def _load_jemaah(
    db: sqlite3.Connection, source: Path, kloters: frozenset[str], load: _Load
) -> None:
    with open_csv(source, JEMAAH_CSV) as reader:
        extra = frozenset(schema.JEMAAH_EXTRA)  # optional columns, and may be left out
        lay = _layout(
            JEMAAH_CSV,
            reader,
            JEMAAH_RULES,
            schema.JEMAAH_OPTIONAL | extra,
            JEMAAH_BLANK_WHILE,
            extra,
        )
        insert = schema.insert_sql("jemaah", lay.columns, schema.JEMAAH_NULLABLE)
        rows = _valid_jemaah(reader, lay, kloters, load)
        # A duplicate porsi stops executemany with IntegrityError; the generator is
        # still suspended on that row, so record it and carry on with the next one.
        while True:
            try:
                db.executemany(insert, rows)
                break
            except sqlite3.IntegrityError as e:
                if "UNIQUE" not in str(e):
                    raise
                line = first_line(reader.line_num, load.last)
                reason = f"duplicate nomor_porsi {load.last[0]} (first on an earlier line)"
                load.problems.add(JEMAAH_CSV, line, reason)
    if load.jemaah_rows == 0:
        raise DataError(f"{JEMAAH_CSV} has no rows: refusing to empty the mirror")


def _valid_jemaah(
    reader: Reader, lay: Layout, kloters: frozenset[str], load: _Load
) -> Iterator[tuple[str, ...]]:
    """Yield each valid row in table order; report the others. The loop body is the
    import's hot path (millions of runs): locals only, no calls on a valid row but the
    join, the match, the pick and the yield. The regex lets the amounts be blank; the
    row says whether they may be (only while not yet entitled to pay)."""
    match, join, pick, dates = lay.row.fullmatch, SEP.join, lay.pick, real_dates()
    a, b, c, k = (lay.index[n] for n in ("tgl_lahir", "batas_pelunasan", "updated_at", "kloter"))
    x, y = (lay.index[n] for n in schema.JEMAAH_AMOUNTS)
    s, blank_ok = lay.index[schema.AMOUNTS_BLANK_WHILE[0]], schema.AMOUNTS_BLANK_WHILE[1]
    named = kloters | {""}
    # The refund and heir columns, when the export has them: one more date, one more check.
    e = lay.index.get("tgl_pengembalian", b)
    extra = lay.index if set(schema.JEMAAH_EXTRA) & set(lay.index) else None
    count, as_of, progress, every = 0, "", load.progress, PROGRESS_EVERY
    for row in reader:
        count += 1
        if (
            match(join(row))
            and ((row[x] and row[y]) or row[s] == blank_ok)
            and row[a] in dates
            and row[b] in dates
            and row[c][:10] in dates
            and row[k] in named
            and row[e] in dates
            and (extra is None or not extra_problems(row, extra))
        ):
            if row[c] > as_of:
                as_of = row[c]
            load.last = values = pick(row)
            yield values
        elif row:
            reason = _jemaah_reason(row, lay, dates, named)
            load.problems.add(JEMAAH_CSV, first_line(reader.line_num, row), reason)
        else:
            count -= 1  # a blank line is not a row
        if progress is not None and count % every == 0:
            progress(count)
    load.jemaah_rows, load.as_of = count, as_of


def _jemaah_reason(
    row: list[str], lay: Layout, dates: frozenset[str], named: frozenset[str]
) -> str:
    reasons = problems(row, lay, dates)
    if not reasons and row[lay.index["kloter"]] not in named:
        reasons.append(f"kloter {row[lay.index['kloter']]} is not in {KLOTER_CSV}")
    return "; ".join(reasons) or f"a field holds the control character {SEP!r}"


def _layout(
    file: str,
    reader: Reader,
    rules: Mapping[str, Rule],
    optional: frozenset[str],
    blank_while: Mapping[str, tuple[str, str]] | None = None,
    may_lack: frozenset[str] = frozenset(),
) -> Layout:
    header = next(reader, None)
    if header is None:
        raise DataError(f"{file} is empty: expected a header row")
    return layout(file, header, rules, optional, blank_while, may_lack)


def swap(new: Path, live: Path) -> None:
    """Make the new file durable, give it the live file's mode, rename it onto live (an
    import's last step, and a node's taking a published mirror: ivr.mirrorsync)."""
    with new.open("rb") as f:
        os.fsync(f.fileno())
    if live.exists():
        os.chmod(new, stat.S_IMODE(live.stat().st_mode))
    os.replace(new, live)
    directory = os.open(live.parent, os.O_RDONLY)
    try:
        os.fsync(directory)  # the rename itself survives a power cut
    finally:
        os.close(directory)
