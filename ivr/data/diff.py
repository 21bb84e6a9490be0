"""What an import changes against the live mirror: porsi added, removed, changed, and
kloter whose schedule moved. Computed inside SQLite (the old mirror attached read-only)
before the swap, and kept in the new mirror so `data status` can show the last one.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from dataclasses import dataclass
from pathlib import Path

from ivr.data import schema

# The kloter fields a pilgrim plans by: a change in any of them is a moved schedule.
SCHEDULE = ("masuk_asrama", "berangkat", "pulang", "no_penerbangan", "embarkasi")
SHOWN = 20  # moved kloter listed by code; past this only counted
# The changes pilgrims are called about (ivr.campaigns): the asrama entry and the flight.
CALLED_ABOUT = ("masuk_asrama", "berangkat", "no_penerbangan")

DIFF_SCHEMA = """
CREATE TABLE IF NOT EXISTS import_diff (
    first_import INTEGER NOT NULL,
    added INTEGER NOT NULL,
    removed INTEGER NOT NULL,
    changed INTEGER NOT NULL,
    kloter_moved INTEGER NOT NULL,
    kloter_moved_codes TEXT NOT NULL   -- JSON list, the first SHOWN codes
);
CREATE TABLE IF NOT EXISTS import_uid (  -- this import, told apart from any other
    uid TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS kloter_moved (  -- every kloter whose CALLED_ABOUT fields moved
    kode TEXT PRIMARY KEY NOT NULL
);
"""


@dataclass(frozen=True)
class ImportDiff:
    first_import: bool
    added: int = 0
    removed: int = 0
    changed: int = 0
    kloter_moved: int = 0
    kloter_moved_codes: tuple[str, ...] = ()

    def summary(self) -> str:
        if self.first_import:
            return "first import: nothing to compare with"
        moved = ""
        if self.kloter_moved:
            codes = ", ".join(self.kloter_moved_codes)
            more = self.kloter_moved - len(self.kloter_moved_codes)
            moved = f" ({codes}{f' and {more} more' if more > 0 else ''})"
        return (
            f"porsi added {self.added:,}, removed {self.removed:,}, changed {self.changed:,}; "
            f"kloter with a moved schedule {self.kloter_moved:,}{moved}"
        )


def _same(columns: tuple[str, ...], a: str, b: str) -> str:
    return " AND ".join(f"{a}.{c} IS {b}.{c}" for c in columns)


def compare(new: sqlite3.Connection, old: Path | None) -> ImportDiff:
    """Compare the mirror being built (``new``, open) with the live one; store the result."""
    new.executescript(DIFF_SCHEMA)
    new.execute("INSERT INTO import_uid VALUES (?)", (uuid.uuid4().hex,))
    if old is None or not old.exists():
        diff = ImportDiff(first_import=True)
    else:
        new.execute("ATTACH DATABASE ? AS old", (f"file:{old}?mode=ro",))
        try:
            diff = _count(new)
            new.execute(
                "INSERT INTO kloter_moved SELECT n.kode FROM main.kloter n JOIN old.kloter o "
                f"USING (kode) WHERE NOT ({_same(CALLED_ABOUT, 'n', 'o')})"
            )
        finally:
            new.execute("DETACH DATABASE old")
    new.execute(
        "INSERT INTO import_diff VALUES (?, ?, ?, ?, ?, ?)",
        (
            int(diff.first_import),
            diff.added,
            diff.removed,
            diff.changed,
            diff.kloter_moved,
            json.dumps(list(diff.kloter_moved_codes)),
        ),
    )
    return diff


def _count(db: sqlite3.Connection) -> ImportDiff:
    added = db.execute(
        "SELECT count(*) FROM main.jemaah n WHERE NOT EXISTS "
        "(SELECT 1 FROM old.jemaah o WHERE o.nomor_porsi = n.nomor_porsi)"
    ).fetchone()[0]
    removed = db.execute(
        "SELECT count(*) FROM old.jemaah o WHERE NOT EXISTS "
        "(SELECT 1 FROM main.jemaah n WHERE n.nomor_porsi = o.nomor_porsi)"
    ).fetchone()[0]
    changed = db.execute(
        "SELECT count(*) FROM main.jemaah n JOIN old.jemaah o USING (nomor_porsi) "
        f"WHERE NOT ({_same(schema.JEMAAH_COLUMNS, 'n', 'o')})"
    ).fetchone()[0]
    moved = [
        row[0]
        for row in db.execute(
            "SELECT n.kode FROM main.kloter n JOIN old.kloter o USING (kode) "
            f"WHERE NOT ({_same(SCHEDULE, 'n', 'o')}) ORDER BY n.kode"
        )
    ]
    return ImportDiff(False, added, removed, changed, len(moved), tuple(moved[:SHOWN]))


def last(mirror: Path) -> ImportDiff | None:
    """The diff stored with the live mirror (None for a mirror from before diffs)."""
    db = sqlite3.connect(f"file:{mirror}?mode=ro", uri=True)
    try:
        row = db.execute("SELECT * FROM import_diff").fetchone()
    except sqlite3.OperationalError:
        return None
    finally:
        db.close()
    if row is None:
        return None
    return ImportDiff(bool(row[0]), row[1], row[2], row[3], row[4], tuple(json.loads(row[5])))
