"""The tables of the data mirror and the vocabularies of the SISKOHAT export.

One source of truth: the column lists drive the importer's INSERTs and the mirror's
SELECT, and the ``Literal`` vocabularies drive both the import validation (their
values) and the typed fields of :class:`ivr.data.mirror.Jemaah`.

Every code is stored as TEXT (nomor_porsi, kd_prop, kd_kab, kloter): a column with
INTEGER or NUMERIC affinity would turn ``0100012345`` into ``100012345``. Counts and money
are INTEGER columns, which also turns the validated digit strings into integers inside
SQLite (type affinity) without a Python ``int()`` per value.
"""

from __future__ import annotations

from typing import Literal, get_args

# Bump when a table changes; the mirror refuses a file of a version it cannot read.
# 2: the amounts may be NULL. A version-1 file reads the same (it just has no NULLs).
# 3: jemaah's optional refund and heir columns, the kantor table (ivr.data.offices); a
# version-1 or 2 file reads as an export without them.
SCHEMA_VERSION = 3
READABLE_VERSIONS = frozenset({1, 2, 3})

JenisKelamin = Literal["L", "P"]
JenisHaji = Literal["REGULER", "KHUSUS"]
StatusPorsi = Literal[
    "AKTIF", "CADANGAN", "LUNAS_TUNDA", "BERANGKAT", "BATAL", "WAFAT", "PELIMPAHAN"
]
StatusPaspor = Literal["BELUM", "DISERAHKAN", "DIPROSES", "SELESAI", "PERLU_PERBAIKAN"]
StatusVisa = Literal["BELUM", "DIPROSES", "TERBIT", "DICETAK", "BATAL"]
StatusPelunasan = Literal["BELUM_BERHAK", "BELUM_LUNAS", "LUNAS"]
MataUang = Literal["IDR", "USD"]
Tujuan = Literal["MED", "JED"]
ZonaWaktu = Literal["WIB", "WITA", "WIT"]
# A cancelled porsi's refund: submitted, verified by the district office, approved, paid back.
TahapPengembalian = Literal["DIAJUKAN", "DIVERIFIKASI", "DISETUJUI", "DIKEMBALIKAN"]

JENIS_KELAMIN: tuple[str, ...] = get_args(JenisKelamin)
JENIS_HAJI: tuple[str, ...] = get_args(JenisHaji)
STATUS_PORSI: tuple[str, ...] = get_args(StatusPorsi)
STATUS_PASPOR: tuple[str, ...] = get_args(StatusPaspor)
STATUS_VISA: tuple[str, ...] = get_args(StatusVisa)
STATUS_PELUNASAN: tuple[str, ...] = get_args(StatusPelunasan)
MATA_UANG: tuple[str, ...] = get_args(MataUang)
TUJUAN: tuple[str, ...] = get_args(Tujuan)
ZONA_WAKTU: tuple[str, ...] = get_args(ZonaWaktu)
TAHAP_PENGEMBALIAN: tuple[str, ...] = get_args(TahapPengembalian)

# Column order of the tables (and of the importer's parameter tuples).
JEMAAH_COLUMNS = (
    "nomor_porsi",
    "nama",
    "tgl_lahir",
    "jenis_kelamin",
    "jenis_haji",
    "kd_prop",
    "provinsi",
    "kd_kab",
    "kabupaten",
    "status_porsi",
    "posisi_porsi",
    "kuota",
    "estimasi_masehi",
    "estimasi_hijriah",
    "kloter",
    "status_paspor",
    "status_visa",
    "status_pelunasan",
    "biaya_bipih",
    "sisa_pelunasan",
    "mata_uang",
    "batas_pelunasan",
    "updated_at",
)
# Columns an export may leave out altogether (older exports have none of them): a
# cancelled porsi's refund stage and its date, a delegated porsi's new number. Stored
# after the columns above; NULL when absent or empty. Not part of the import diff.
JEMAAH_EXTRA = ("tahap_pengembalian", "tgl_pengembalian", "porsi_pelimpahan")
# Columns whose empty CSV value is stored as NULL (everything else is required).
JEMAAH_OPTIONAL = frozenset(
    {"posisi_porsi", "kuota", "estimasi_masehi", "estimasi_hijriah", "kloter", "batas_pelunasan"}
)
# Amounts a real export leaves blank while they do not apply (stored as NULL): only
# while the pilgrim is not yet entitled to pay; a blank amount in any other state is bad.
JEMAAH_AMOUNTS = ("biaya_bipih", "sisa_pelunasan")
AMOUNTS_BLANK_WHILE = ("status_pelunasan", "BELUM_BERHAK")
KLOTER_COLUMNS = (
    "kode",
    "embarkasi",
    "gelombang",
    "maskapai",
    "no_penerbangan",
    "masuk_asrama",
    "berangkat",
    "tujuan",
    "pulang",
    "zona_waktu",
)
# kantor.csv (optional; ivr.data.offices): one district office per kd_kab.
KANTOR_COLUMNS = (
    "kd_kab",
    "nama",
    "alamat",
    "telepon",
    "hari",
    "jam_buka",
    "jam_tutup",
    "plhut",
    "layanan",
)
HARI = ("SEN-JUM", "SEN-SAB")
# Services an office offers (the layanan column): registration, cancellation, delegation,
# photo, the receiving bank (BPS Bipih) for payments.
LAYANAN = ("PENDAFTARAN", "PEMBATALAN", "PELIMPAHAN", "FOTO", "BANK")

# WITHOUT ROWID: the primary key is the table's own b-tree, so a lookup by porsi is one
# b-tree descent instead of index + table (a ~200-byte row is still small enough).
TABLES = """
CREATE TABLE jemaah (
    nomor_porsi TEXT PRIMARY KEY NOT NULL,  -- 10 digits, leading zeros kept
    nama TEXT NOT NULL,
    tgl_lahir TEXT NOT NULL,                -- YYYY-MM-DD
    jenis_kelamin TEXT NOT NULL,            -- L | P
    jenis_haji TEXT NOT NULL,               -- REGULER | KHUSUS
    kd_prop TEXT NOT NULL,
    provinsi TEXT NOT NULL,
    kd_kab TEXT NOT NULL,
    kabupaten TEXT NOT NULL,
    status_porsi TEXT NOT NULL,
    posisi_porsi INTEGER,
    kuota INTEGER,
    estimasi_masehi INTEGER,
    estimasi_hijriah INTEGER,
    kloter TEXT REFERENCES kloter(kode),    -- checked by the importer
    status_paspor TEXT NOT NULL,
    status_visa TEXT NOT NULL,
    status_pelunasan TEXT NOT NULL,
    biaya_bipih INTEGER,                    -- whole rupiah, or whole USD for KHUSUS;
    sisa_pelunasan INTEGER,                 -- same currency, 0 when nothing is due;
                                            -- both NULL only while BELUM_BERHAK
    mata_uang TEXT NOT NULL,                -- IDR | USD
    batas_pelunasan TEXT,                   -- YYYY-MM-DD
    updated_at TEXT NOT NULL,               -- YYYY-MM-DD[ HH:MM[:SS]]
    tahap_pengembalian TEXT,                -- BATAL only: DIAJUKAN .. DIKEMBALIKAN
    tgl_pengembalian TEXT,                  -- YYYY-MM-DD, the date of that stage
    porsi_pelimpahan TEXT                   -- PELIMPAHAN only: the heir's new porsi
) WITHOUT ROWID;
CREATE TABLE kloter (
    kode TEXT PRIMARY KEY NOT NULL,         -- SOC-01
    embarkasi TEXT NOT NULL,
    gelombang INTEGER NOT NULL,             -- 1 (to Madinah) | 2 (to Jeddah)
    maskapai TEXT NOT NULL,
    no_penerbangan TEXT NOT NULL,
    masuk_asrama TEXT NOT NULL,             -- YYYY-MM-DD HH:MM, local time
    berangkat TEXT NOT NULL,
    tujuan TEXT NOT NULL,                   -- MED | JED
    pulang TEXT NOT NULL,
    zona_waktu TEXT NOT NULL                -- WIB | WITA | WIT
) WITHOUT ROWID;
CREATE TABLE kantor (
    kd_kab TEXT PRIMARY KEY NOT NULL,       -- the district the office serves (jemaah.kd_kab)
    nama TEXT NOT NULL,
    alamat TEXT NOT NULL,
    telepon TEXT NOT NULL,
    hari TEXT NOT NULL,                     -- SEN-JUM | SEN-SAB
    jam_buka TEXT NOT NULL,                 -- HH:MM, local time of the office
    jam_tutup TEXT NOT NULL,
    plhut INTEGER NOT NULL,                 -- 1: a PLHUT one-stop centre
    layanan TEXT NOT NULL                   -- services, space-separated (ivr.data.offices)
) WITHOUT ROWID;
CREATE TABLE meta (
    as_of TEXT NOT NULL,                    -- max(jemaah.updated_at)
    imported_at TEXT NOT NULL,              -- UTC, ISO 8601
    source TEXT NOT NULL,
    jemaah_rows INTEGER NOT NULL,
    kloter_rows INTEGER NOT NULL,
    imported_by TEXT NOT NULL
);
"""

# Built after the load (one sort instead of millions of random index inserts). Partial:
# only this season's pilgrims have a kloter, a few percent of the waiting list.
INDEXES = """
CREATE INDEX jemaah_kloter ON jemaah(kloter) WHERE kloter IS NOT NULL;
"""


def insert_sql(table: str, columns: tuple[str, ...], optional: frozenset[str]) -> str:
    """INSERT with one ``?`` per column; optional columns store an empty value as NULL.
    A column left out (an optional one the export lacks) is NULL."""
    values = ", ".join("NULLIF(?, '')" if c in optional else "?" for c in columns)
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({values})"


JEMAAH_NULLABLE = JEMAAH_OPTIONAL | set(JEMAAH_AMOUNTS) | set(JEMAAH_EXTRA)
INSERT_JEMAAH = insert_sql("jemaah", JEMAAH_COLUMNS, JEMAAH_NULLABLE)
INSERT_KLOTER = insert_sql("kloter", KLOTER_COLUMNS, frozenset())
INSERT_KANTOR = insert_sql("kantor", KANTOR_COLUMNS, frozenset())
INSERT_META = (
    "INSERT INTO meta (as_of, imported_at, source, jemaah_rows, kloter_rows, imported_by)"
    " VALUES (?, ?, ?, ?, ?, ?)"
)
