"""A campaign from an import: the pilgrims with a number in every kloter whose asrama
entry or flight the import moved (ivr.data.diff keeps them in the new mirror's
``kloter_moved``; ivr.data.contacts keeps the numbers in ``kontak``).

Read from the live mirror after the swap, so an import from the command line and one from
the dashboard are followed alike: the controller's dialer checks each import once (by its
own id). Only pilgrims still going are called (not cancelled, deceased or
delegated). A mirror from before these tables has nobody to call.
"""

from __future__ import annotations

import contextlib
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from ivr.campaigns.store import Target

NOT_GOING = ("BATAL", "WAFAT", "PELIMPAHAN")
_TARGETS = f"""
SELECT j.nomor_porsi, h.no_hp, k.kode, k.masuk_asrama, k.berangkat, k.no_penerbangan,
       k.zona_waktu
FROM kloter_moved m
JOIN kloter k ON k.kode = m.kode
JOIN jemaah j ON j.kloter = k.kode
JOIN kontak h ON h.nomor_porsi = j.nomor_porsi
WHERE j.status_porsi NOT IN ({", ".join(f"'{s}'" for s in NOT_GOING)})
ORDER BY k.kode, j.nomor_porsi
"""


@dataclass(frozen=True)
class Moved:
    """What one import moved: its key, the kloter, and whom to call."""

    import_key: str
    kloter: tuple[str, ...]
    targets: tuple[Target, ...]


def import_key(mirror: Path) -> str:
    """The live import's own id (the diff's import_uid), "" without a readable mirror
    or one from before it."""
    try:
        with _open(mirror) as db:
            return _key(db)
    except sqlite3.Error:
        return ""


def _key(db: sqlite3.Connection) -> str:
    row = db.execute("SELECT uid FROM import_uid").fetchone()
    return str(row[0]) if row else ""


def moved(mirror: Path) -> Moved:
    """The live mirror's moved kloter and the pilgrims to call about them."""
    with _open(mirror) as db:
        key = _key(db)
        tables = {n for (n,) in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if not {"kloter_moved", "kontak"} <= tables:
            codes = tuple(_codes(db)) if "kloter_moved" in tables else ()
            return Moved(key, codes, ())
        targets = tuple(Target(*row) for row in db.execute(_TARGETS))
        return Moved(key, tuple(_codes(db)), targets)


def _codes(db: sqlite3.Connection) -> list[str]:
    return [k for (k,) in db.execute("SELECT kode FROM kloter_moved ORDER BY kode")]


def _open(path: Path) -> contextlib.closing[sqlite3.Connection]:
    return contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True))
