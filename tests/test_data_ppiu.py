"""The export's optional ppiu.csv (licensed umrah agencies): absent, valid, and every way
it can be wrong (real SQLite, the real importer)."""

from __future__ import annotations

import shutil
import zipfile
from datetime import date
from pathlib import Path

import pytest

from ivr.data.importer import import_export
from ivr.data.mirror import Mirror
from ivr.data.ppiu import COLUMNS, PPIU_CSV, RULES, Check
from ivr.data.report import ImportRefused
from ivr.data.sample_umrah import AGENCIES, FROZEN, LICENSED, REVOKED, UNKNOWN_LICENCE
from ivr.errors import DataError
from tests.test_data_import import edit, refused, set_field

DOC = Path(__file__).resolve().parent.parent / "docs" / "data-format.md"


def test_ppiu_rules_cover_the_table_columns_and_the_docs_name_each() -> None:
    assert tuple(RULES) == COLUMNS
    doc = DOC.read_text()
    assert "## `ppiu.csv` (optional)" in doc
    assert all(f"| `{column}`" in doc for column in COLUMNS)


def test_ppiu_absent_export_imports_and_the_list_is_not_available(
    export: Path, tmp_path: Path
) -> None:
    (export / PPIU_CSV).unlink()
    report = import_export(export, tmp_path / "mirror.sqlite")
    assert "PPIU" not in report.summary()
    with Mirror(tmp_path / "mirror.sqlite") as mirror:
        assert mirror.ppiu(LICENSED[0]).check is Check.NO_LIST
        assert mirror.lookup("1100123456") is not None


def test_ppiu_valid_rows_counted_in_the_import_summary(export: Path, tmp_path: Path) -> None:
    report = import_export(export, tmp_path / "mirror.sqlite")
    assert f"60 jemaah, 45 kloter, {len(AGENCIES)} PPIU, " in report.summary()


def test_ppiu_valid_each_status_found_unknown_not(live: Path) -> None:
    with Mirror(live) as mirror:
        found = {a[0]: mirror.ppiu(a[0]) for a in AGENCIES}
        assert mirror.ppiu(UNKNOWN_LICENCE).check is Check.UNKNOWN
    assert found[LICENSED[0]].check is Check.LICENSED
    assert found[FROZEN[0]].check is Check.FROZEN
    assert found[REVOKED[0]].check is Check.REVOKED
    agency = found[LICENSED[0]].agency
    assert agency is not None
    assert (agency.nama, agency.kota, agency.berlaku_sampai) == (
        "PT AMANAH TOUR",
        "SOLO",
        date(2029, 6, 30),
    )
    leading_zero = found["0120005550123"].agency
    assert leading_zero is not None and leading_zero.no_izin == "0120005550123"
    no_end = found["9120007654321"].agency
    assert no_end is not None and no_end.berlaku_sampai is None


def test_ppiu_in_a_zip_folder_is_found(export: Path, tmp_path: Path) -> None:
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in export.iterdir():
            zf.write(path, f"siskohat/{path.name}")
    import_export(archive, tmp_path / "mirror.sqlite")
    with Mirror(tmp_path / "mirror.sqlite") as mirror:
        assert mirror.ppiu(REVOKED[0]).check is Check.REVOKED


@pytest.mark.parametrize(
    ("column", "value", "reason"),
    [
        ("no_izin", "912000123456", "no_izin '912000123456' is not 13 digits"),
        ("no_izin", "91200012345AB", "is not 13 digits"),
        ("status", "AKTIF", "status 'AKTIF' is not one of BERLAKU, DIBEKUKAN, DICABUT"),
        ("status", "", "status '' is not one of"),
        ("nama", "", "nama '' is not a name of ASCII letters"),
        ("nama", "PT ÇAĞRI TRAVEL", "is not a name of ASCII letters"),
        ("nama", "...", "is not a name of ASCII letters"),
        ("kota", "SOLO\x07", "is not a city of ASCII letters"),
        ("berlaku_sampai", "2029-02-30", "berlaku_sampai '2029-02-30' is not a real date"),
        ("berlaku_sampai", "30-06-2029", "is not a date YYYY-MM-DD or empty"),
    ],
)
def test_ppiu_bad_field_refused_with_file_line_and_reason(
    export: Path, live: Path, column: str, value: str, reason: str
) -> None:
    set_field(export / PPIU_CSV, 3, column, value)
    bad = refused(export, live)
    assert [(b.file, b.line) for b in bad] == [(PPIU_CSV, 3)]
    assert reason in bad[0].reason


def test_ppiu_duplicate_licence_refused(export: Path, live: Path) -> None:
    edit(export / PPIU_CSV, lambda rows: rows.append(list(rows[1])))
    bad = refused(export, live)
    assert [(b.line, b.reason) for b in bad] == [
        (len(AGENCIES) + 2, f"duplicate no_izin {AGENCIES[0][0]} (first on line 2)")
    ]


def test_ppiu_short_row_refused(export: Path, live: Path) -> None:
    edit(export / PPIU_CSV, lambda rows: rows[2].pop())
    bad = refused(export, live)
    assert [(b.line, b.reason) for b in bad] == [(3, "4 fields where the header has 5")]


def test_ppiu_refused_import_leaves_the_live_list(export: Path, live: Path) -> None:
    set_field(export / PPIU_CSV, 2, "status", "DICABUT")
    set_field(export / PPIU_CSV, 4, "status", "???")
    with pytest.raises(ImportRefused):
        import_export(export, live)
    with Mirror(live) as mirror:
        assert mirror.ppiu(LICENSED[0]).check is Check.LICENSED


def test_ppiu_missing_column_is_one_clear_error(export: Path, live: Path) -> None:
    def drop(rows: list[list[str]]) -> None:
        for row in rows:
            del row[COLUMNS.index("kota")]

    edit(export / PPIU_CSV, drop)
    with pytest.raises(DataError, match=r"ppiu.csv: missing required column\(s\): kota"):
        import_export(export, live)


def test_ppiu_empty_file_or_header_only_refused(export: Path, live: Path) -> None:
    (export / PPIU_CSV).write_text("")
    with pytest.raises(DataError, match=r"ppiu\.csv is empty: expected a header row"):
        import_export(export, live)
    (export / PPIU_CSV).write_text(",".join(COLUMNS) + "\n\n")
    with pytest.raises(DataError, match=r"ppiu\.csv has no rows: leave the file out"):
        import_export(export, live)


def test_ppiu_extra_columns_and_order_do_not_matter(export: Path, tmp_path: Path) -> None:
    def shuffle(rows: list[list[str]]) -> None:
        for n, row in enumerate(rows):
            rows[n] = ["catatan" if n == 0 else "x", *reversed(row)]

    edit(export / PPIU_CSV, shuffle)
    copy = tmp_path / "copy"
    shutil.copytree(export, copy)
    import_export(copy, tmp_path / "mirror.sqlite")
    with Mirror(tmp_path / "mirror.sqlite") as mirror:
        assert mirror.ppiu(FROZEN[0]).check is Check.FROZEN
