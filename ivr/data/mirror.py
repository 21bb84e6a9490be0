"""The read-only data mirror the call flows look pilgrims up in, inline on the event loop.

The importer never changes the live file: it renames a new one onto it. So the mirror
opens the file ``immutable`` (no locks, no change checks; at 5.5 million rows a lookup
is about 17 microseconds all told) and, before each lookup, compares the path's inode,
mtime and size with the file it has open (one ``stat``, under two microseconds). When
they differ it opens the new file and closes the old one; until then the old connection
keeps reading the old, unlinked inode, so no lookup sees a half-written or missing file.

No mmap: it would save under a microsecond, but a file overwritten in place (``cp``
onto it) would then kill the whole controller with SIGBUS instead of failing one lookup.

A Mirror is used by one thread at a time (the event loop); open one per thread otherwise.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from ivr.data import offices, ppiu, schema
from ivr.data.offices import Office
from ivr.data.ppiu import Answer as PpiuAnswer
from ivr.data.schema import (
    JenisHaji,
    JenisKelamin,
    MataUang,
    StatusPaspor,
    StatusPelunasan,
    StatusPorsi,
    StatusVisa,
    TahapPengembalian,
    Tujuan,
    ZonaWaktu,
)
from ivr.errors import DataError

# Kloter times are local to the embarkasi; these make them aware datetimes.
ZONES = {
    "WIB": timezone(timedelta(hours=7), "WIB"),
    "WITA": timezone(timedelta(hours=8), "WITA"),
    "WIT": timezone(timedelta(hours=9), "WIT"),
}

_JEMAAH = ", ".join(f"j.{c}" for c in schema.JEMAAH_COLUMNS)
_KLOTER = ", ".join(f"k.{c}" for c in schema.KLOTER_COLUMNS)


def _lookup_sql(extra: str) -> str:
    return (
        f"SELECT {_JEMAAH}, {extra}, {_KLOTER} FROM jemaah j"
        " LEFT JOIN kloter k ON k.kode = j.kloter WHERE j.nomor_porsi = ?"
    )


LOOKUP_SQL = _lookup_sql(", ".join(f"j.{c}" for c in schema.JEMAAH_EXTRA))
# A mirror before schema 3 has no refund or heir columns: they read as NULL.
LOOKUP_SQL_V2 = _lookup_sql(", ".join("NULL" for _ in schema.JEMAAH_EXTRA))
META_SQL = "SELECT as_of, imported_at, source, jemaah_rows, kloter_rows, imported_by FROM meta"


@dataclass(frozen=True, slots=True)
class Kloter:
    kode: str
    embarkasi: str
    gelombang: int  # 1 flies to Madinah, 2 to Jeddah
    maskapai: str
    no_penerbangan: str
    masuk_asrama: datetime  # aware, in zona_waktu
    berangkat: datetime
    tujuan: Tujuan
    pulang: datetime
    zona_waktu: ZonaWaktu


@dataclass(frozen=True, slots=True)
class Jemaah:
    nomor_porsi: str
    nama: str
    tgl_lahir: date
    jenis_kelamin: JenisKelamin
    jenis_haji: JenisHaji
    kd_prop: str
    provinsi: str
    kd_kab: str
    kabupaten: str
    status_porsi: StatusPorsi
    posisi_porsi: int | None
    kuota: int | None
    estimasi_masehi: int | None
    estimasi_hijriah: int | None
    kloter: Kloter | None
    status_paspor: StatusPaspor
    status_visa: StatusVisa
    status_pelunasan: StatusPelunasan
    biaya_bipih: int | None  # whole rupiah, or whole USD when mata_uang is USD
    sisa_pelunasan: int | None  # None (left blank) only while BELUM_BERHAK
    mata_uang: MataUang
    batas_pelunasan: date | None
    updated_at: datetime
    # Optional columns (schema.JEMAAH_EXTRA): a cancelled porsi's refund stage and its
    # date, a delegated porsi's new number; None when the export did not say.
    tahap_pengembalian: TahapPengembalian | None = None
    tgl_pengembalian: date | None = None
    porsi_pelimpahan: str | None = None


@dataclass(frozen=True)
class MirrorInfo:
    as_of: date  # the date of the newest updated_at in the export
    updated_at: str  # that newest updated_at as written
    imported_at: datetime  # UTC
    source: str
    jemaah_rows: int
    kloter_rows: int
    imported_by: str
    version: int = schema.SCHEMA_VERSION  # the file's schema version


class Mirror:
    """``Mirror(path).lookup("1100123456")``: the pilgrim, or None when the porsi is unknown.

    Opening is lazy: a missing file is a DataError at the first lookup, and a file
    imported later is picked up without a restart.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._db: sqlite3.Connection | None = None
        self._identity: tuple[int, ...] = ()
        self._info: MirrorInfo | None = None

    def lookup(self, porsi: str) -> Jemaah | None:
        db = self._current()
        sql = LOOKUP_SQL if self._version >= 3 else LOOKUP_SQL_V2
        try:
            row = db.execute(sql, (porsi,)).fetchone()
        except sqlite3.Error as e:  # a damaged file or a disk error: the caller gets a human
            raise DataError(f"data mirror {self.path}: lookup failed: {e}") from None
        return None if row is None else _jemaah(row)

    def ppiu(self, licence: str) -> PpiuAnswer:
        """An umrah agency's licence (NO_LIST when the export had no ppiu.csv)."""
        return ppiu.lookup(self._current(), licence)

    def office(self, kd_kab: str) -> Office | None:
        """The district office serving ``kd_kab``; None when the export had none for it
        (or no kantor.csv at all)."""
        db = self._current()
        if self._version < 3:
            return None
        try:
            return offices.lookup(db, kd_kab)
        except sqlite3.Error as e:
            raise DataError(f"data mirror {self.path}: office lookup failed: {e}") from None

    def offices(self) -> list[Office]:
        """Every district office on file (none before schema 3)."""
        db = self._current()
        return [] if self._version < 3 else list(offices.every(db))

    @property
    def info(self) -> MirrorInfo:
        self._current()
        assert self._info is not None  # set with every connection
        return self._info

    @property
    def _version(self) -> int:
        """The open file's schema version (read after ``_current``, never reopening)."""
        assert self._info is not None
        return self._info.version

    @property
    def as_of(self) -> date:
        return self.info.as_of

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
        self._db, self._identity, self._info = None, (), None

    def __enter__(self) -> Mirror:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _current(self) -> sqlite3.Connection:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            raise DataError(f"no data mirror at {self.path}: import an export first") from None
        except OSError as e:
            raise DataError(f"cannot read the data mirror {self.path}: {e.strerror}") from None
        # mtime and size too: a file overwritten in place (cp onto it) keeps its inode.
        identity = (st.st_dev, st.st_ino, st.st_mtime_ns, st.st_size)
        if self._db is None or identity != self._identity:
            self._reopen(identity)
        assert self._db is not None
        return self._db

    def _reopen(self, identity: tuple[int, ...]) -> None:
        # Should another swap land between the stat and this open, we hold a newer file
        # than ``identity`` says, and the next lookup simply reopens once more.
        db, info = _open(self.path)
        old, self._db, self._identity, self._info = self._db, db, identity, info
        if old is not None:
            old.close()


def _open(path: Path) -> tuple[sqlite3.Connection, MirrorInfo]:
    uri = path.absolute().as_uri() + "?mode=ro&immutable=1"
    try:
        db = sqlite3.connect(uri, uri=True, check_same_thread=False)
    except sqlite3.Error as e:
        raise DataError(f"cannot open the data mirror {path}: {e}") from None
    try:
        return db, _read_info(db, path)
    except BaseException:
        db.close()
        raise


def _read_info(db: sqlite3.Connection, path: Path) -> MirrorInfo:
    try:
        (version,) = db.execute("PRAGMA user_version").fetchone()
        if version != 0 and version not in schema.READABLE_VERSIONS:
            raise DataError(
                f"{path} has mirror schema {version}, this program reads"
                f" {schema.SCHEMA_VERSION}: import the export again"
            )
        meta = db.execute(META_SQL).fetchone()
    except sqlite3.Error as e:
        raise DataError(f"{path} is not a data mirror: {e}") from None
    if version == 0 or meta is None:
        raise DataError(f"{path} is not a data mirror (no schema version or no import record)")
    as_of, imported_at, source, jemaah_rows, kloter_rows, imported_by = meta
    return MirrorInfo(
        date.fromisoformat(as_of[:10]),
        as_of,
        datetime.fromisoformat(imported_at),
        source,
        jemaah_rows,
        kloter_rows,
        imported_by,
        version,
    )


def _jemaah(r: tuple[Any, ...]) -> Jemaah:
    kloter = None if r[26] is None else _kloter(r[26:])
    batas = None if r[21] is None else date.fromisoformat(r[21])
    born, updated = date.fromisoformat(r[2]), datetime.fromisoformat(r[22])
    refund_on = None if r[24] is None else date.fromisoformat(r[24])
    return Jemaah(
        r[0], r[1], born, r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11], r[12], r[13],
        kloter, r[15], r[16], r[17], r[18], r[19], r[20], batas, updated, r[23], refund_on, r[25],
    )  # fmt: skip


def _kloter(r: tuple[Any, ...]) -> Kloter:
    zone = ZONES[r[9]]
    asrama, berangkat, pulang = (
        datetime.fromisoformat(r[i]).replace(tzinfo=zone) for i in (5, 6, 8)
    )
    return Kloter(r[0], r[1], r[2], r[3], r[4], asrama, berangkat, r[7], pulang, r[9])
