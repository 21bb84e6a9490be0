"""The export's optional parts (issue 13): kantor.csv (district offices) and jemaah.csv's
refund and heir columns. Absent, valid and invalid, through the real importer."""

from __future__ import annotations

import datetime as dt
import sqlite3
import zipfile
from contextlib import closing
from pathlib import Path

import pytest

from ivr.data import schema
from ivr.data.importer import import_export
from ivr.data.mirror import Mirror
from ivr.data.offices import spoken, zone_of
from ivr.data.report import BadRow
from ivr.errors import DataError
from tests.test_data_import import edit, refused, set_field

CANCELLED, DELEGATED, SURAKARTA = "1300678901", "1500890123", "3372"
KANTOR = "kantor.csv"


def _drop_columns(path: Path, names: tuple[str, ...]) -> None:
    def change(rows: list[list[str]]) -> None:
        keep = [i for i, name in enumerate(rows[0]) if name not in names]
        rows[:] = [[row[i] for i in keep] for row in rows]

    edit(path, change)


def test_offices_export_without_kantor_csv_imports_with_no_office(
    export: Path, tmp_path: Path
) -> None:
    (export / KANTOR).unlink()
    report = import_export(export, tmp_path / "mirror.sqlite")
    assert report.accepted and report.kantor_rows == 0 and "kantor" not in report.summary()
    with Mirror(tmp_path / "mirror.sqlite") as mirror:
        assert mirror.office(SURAKARTA) is None and mirror.offices() == []


def test_offices_valid_kantor_csv_is_looked_up_by_kd_kab(export: Path, tmp_path: Path) -> None:
    report = import_export(export, tmp_path / "mirror.sqlite")
    assert report.kantor_rows > 0 and f"{report.kantor_rows} kantor" in report.summary()
    with Mirror(tmp_path / "mirror.sqlite") as mirror:
        office = mirror.office(SURAKARTA)
        assert office is not None and office.nama == "Kantor Kementerian Agama Kota Surakarta"
        assert office.plhut and office.layanan == schema.LAYANAN
        assert (office.jam_buka, office.zona_waktu) == (dt.time(7, 30), "WIB")
        assert mirror.office("9999") is None


def test_offices_kantor_csv_in_a_zip_is_read(export: Path, tmp_path: Path) -> None:
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for name in ("jemaah.csv", "kloter.csv", KANTOR):
            zf.write(export / name, f"siskohat/{name}")
    assert import_export(archive, tmp_path / "mirror.sqlite").kantor_rows > 0


@pytest.mark.parametrize(
    ("column", "value", "reason"),
    [
        ("kd_kab", "33A2", "kd_kab '33A2' is not 2 to 6 digits"),
        ("telepon", "call us", "telepon 'call us' is not a phone number"),
        ("hari", "SETIAP", "hari 'SETIAP' is not one of SEN-JUM, SEN-SAB"),
        ("jam_buka", "7.30", "jam_buka '7.30' is not HH:MM"),
        ("jam_tutup", "06:00", "jam_buka 07:30 is not before jam_tutup 06:00"),
        ("plhut", "Y", "plhut 'Y' is not one of YA, TIDAK"),
        ("layanan", "PENDAFTARAN,FOTO", "layanan 'PENDAFTARAN,FOTO' is not services separated"),
        ("nama", "", "nama '' is not an office name"),
    ],
)
def test_offices_bad_kantor_row_refuses_the_export_naming_line_and_column(
    export: Path, live: Path, column: str, value: str, reason: str
) -> None:
    set_field(export / KANTOR, 3, column, value)
    (bad,) = refused(export, live)
    assert (bad.file, bad.line) == (KANTOR, 3) and reason in bad.reason


def test_offices_duplicate_kd_kab_and_missing_column(export: Path, live: Path) -> None:
    edit(export / KANTOR, lambda rows: rows.append(list(rows[1])))
    (bad,) = refused(export, live)
    assert (
        bad.file == KANTOR
        and "duplicate kd_kab" in bad.reason
        and "(first on line 2)" in (bad.reason)
    )
    _drop_columns(export / KANTOR, ("layanan",))
    with pytest.raises(DataError, match=r"kantor\.csv: missing required column.*layanan"):
        import_export(export, live)


def test_offices_zone_follows_the_province_of_the_bps_code() -> None:
    assert [zone_of(k) for k in ("3372", "7371", "6471", "6271", "9471", "5271")] == [
        "WIB", "WITA", "WITA", "WIB", "WIT", "WITA",
    ]  # fmt: skip


def test_offices_free_text_is_written_the_way_it_is_read() -> None:
    assert spoken("Jl. K.H. Ahmad Dahlan No. 12A, Kec. Laweyan 57141") == (
        "Jalan Kyai Haji Ahmad Dahlan nomor dua belas A, Kecamatan Laweyan"
        " lima tujuh satu empat satu"
    )
    assert spoken("Jln  Pahlawan no 3 RT 03/RW 05") == "Jalan Pahlawan nomor tiga RT tiga RW lima"


# --- jemaah.csv: refund stage and the heir's porsi --------------------------------------


def test_refund_columns_are_read_when_present(live: Path) -> None:
    with Mirror(live) as mirror:
        cancelled, delegated = mirror.lookup(CANCELLED), mirror.lookup(DELEGATED)
    assert cancelled is not None and delegated is not None
    assert (cancelled.tahap_pengembalian, cancelled.tgl_pengembalian) == (
        "DIVERIFIKASI",
        dt.date(2026, 3, 20),
    )
    assert delegated.porsi_pelimpahan == "1500890124" and delegated.tahap_pengembalian is None


def test_refund_columns_absent_an_older_export_still_imports(export: Path, tmp_path: Path) -> None:
    _drop_columns(export / "jemaah.csv", schema.JEMAAH_EXTRA)
    import_export(export, tmp_path / "mirror.sqlite")
    with Mirror(tmp_path / "mirror.sqlite") as mirror:
        cancelled = mirror.lookup(CANCELLED)
    assert cancelled is not None and cancelled.status_porsi == "BATAL"
    assert cancelled.tahap_pengembalian is None and cancelled.porsi_pelimpahan is None


@pytest.mark.parametrize(
    ("porsi", "column", "value", "reason"),
    [
        (CANCELLED, "tahap_pengembalian", "SELESAI", "tahap_pengembalian 'SELESAI' is not one of"),
        (
            CANCELLED,
            "tgl_pengembalian",
            "2026-02-30",
            "tgl_pengembalian '2026-02-30' is not a real",
        ),
        (CANCELLED, "tgl_pengembalian", "", "tahap_pengembalian and tgl_pengembalian go together"),
        (DELEGATED, "porsi_pelimpahan", "15008901", "porsi_pelimpahan '15008901' is not 10 digits"),
        (DELEGATED, "tahap_pengembalian", "DIAJUKAN", "given while status_porsi is PELIMPAHAN"),
        (CANCELLED, "porsi_pelimpahan", "1300678902", "given while status_porsi is BATAL"),
    ],
)
def test_refund_columns_bad_values_refuse_the_row(
    export: Path, live: Path, porsi: str, column: str, value: str, reason: str
) -> None:
    line = _line_of(export / "jemaah.csv", porsi)
    set_field(export / "jemaah.csv", line, column, value)
    (bad,) = refused(export, live)
    assert (bad.file, bad.line) == ("jemaah.csv", line) and reason in bad.reason


def test_refund_mirror_of_schema_2_reads_without_refunds_or_offices(live: Path) -> None:
    """A mirror built before these columns (schema 2) is still served."""
    with closing(sqlite3.connect(live)) as db:
        db.execute("PRAGMA user_version=2")
        db.execute("DROP TABLE kantor")
        for column in schema.JEMAAH_EXTRA:
            db.execute(f"ALTER TABLE jemaah DROP COLUMN {column}")
        db.commit()
    with Mirror(live) as mirror:
        cancelled = mirror.lookup(CANCELLED)
        assert mirror.office(SURAKARTA) is None and mirror.offices() == []
    assert cancelled is not None and cancelled.tahap_pengembalian is None


def _line_of(path: Path, porsi: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(n for n, text in enumerate(lines, 1) if text.startswith(porsi))


def test_bad_row_names_the_kantor_file() -> None:
    assert str(BadRow(KANTOR, 4, "x")) == "kantor.csv line 4: x"
