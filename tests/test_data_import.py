"""Importing a SISKOHAT export: validation, bad-row reports, atomic swap (real SQLite)."""

from __future__ import annotations

import csv
import re
import sqlite3
import zipfile
from collections.abc import Callable
from contextlib import closing
from datetime import date
from pathlib import Path

import pytest

from ivr.data import importer, schema
from ivr.data.importer import import_export
from ivr.data.mirror import Mirror
from ivr.data.report import MAX_BAD_ROWS, BadRow, ImportRefused
from ivr.data.sample import FIXED_PILGRIMS, write_sample
from ivr.data.validate import JEMAAH_RULES, KLOTER_RULES
from ivr.errors import DataError

Rows = list[list[str]]
DOC = Path(__file__).resolve().parent.parent / "docs" / "data-format.md"
AKTIF_SOC = FIXED_PILGRIMS[0].nomor_porsi  # AKTIF, kloter SOC-01, Bipih still due


def edit(path: Path, change: Callable[[Rows], object]) -> None:
    """Rewrite a CSV file through ``change`` (rows[0] is the header)."""
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    change(rows)
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)


def set_field(path: Path, line: int, column: str, value: str) -> None:
    """Set ``column`` on CSV line ``line`` (the header is line 1)."""

    def change(rows: Rows) -> None:
        rows[line - 1][rows[0].index(column)] = value

    edit(path, change)


def _append(path: Path, data: bytes) -> None:
    with path.open("ab") as f:
        f.write(data)


def refused(export: Path, live: Path) -> list[BadRow]:
    with pytest.raises(ImportRefused) as e:
        import_export(export, live)
    assert str(e.value).splitlines()[1:] == e.value.report.bad_row_lines()
    return list(e.value.report.bad_rows)


def test_rules_column_order_matches_schema() -> None:
    assert tuple(JEMAAH_RULES) == schema.JEMAAH_COLUMNS + schema.JEMAAH_EXTRA
    assert tuple(KLOTER_RULES) == schema.KLOTER_COLUMNS


def test_import_valid_sample_accepted_and_swapped_in(tmp_path: Path, export: Path) -> None:
    live = tmp_path / "state" / "mirror.sqlite"
    report = import_export(export, live, imported_by="tester")
    assert report.accepted and report.bad_rows == ()
    assert (report.jemaah_rows, report.kloter_rows) == (60, 45)
    assert report.as_of == date(2026, 4, 10)
    assert "imported 60 jemaah, 45 kloter" in report.summary()
    # No *.new left; the lock file stays (see ivr.data.guard).
    assert sorted(p.name for p in live.parent.iterdir()) == ["mirror.sqlite", "mirror.sqlite.lock"]
    with Mirror(live) as mirror:
        assert mirror.info.imported_by == "tester"
        assert mirror.lookup(AKTIF_SOC) is not None


def test_import_leading_zero_porsi_kept_as_text(live: Path) -> None:
    with sqlite3.connect(live) as db:
        row = db.execute(
            "SELECT nomor_porsi, typeof(nomor_porsi), kd_prop, typeof(posisi_porsi)"
            " FROM jemaah WHERE nomor_porsi = '0100012345'"
        ).fetchone()
    db.close()
    assert row == ("0100012345", "text", "01", "integer")


def test_import_zip_with_folder_inside_accepted(tmp_path: Path, export: Path) -> None:
    archive = tmp_path / "siskohat.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in ("jemaah.csv", "kloter.csv"):
            zf.write(export / name, f"export-2026-04-10/{name}")
    report = import_export(archive, tmp_path / "mirror.sqlite")
    assert report.accepted and report.jemaah_rows == 60


def test_import_reordered_and_extra_columns_accepted(tmp_path: Path, export: Path) -> None:
    def shuffle(rows: Rows) -> None:
        for row in rows:
            row.reverse()
            row.append("catatan" if row is rows[0] else "ignored, with a comma")

    edit(export / "jemaah.csv", shuffle)
    import_export(export, tmp_path / "mirror.sqlite")
    with Mirror(tmp_path / "mirror.sqlite") as mirror:
        found = mirror.lookup(AKTIF_SOC)
    assert found is not None and found.kloter is not None and found.kloter.kode == "SOC-01"


def test_import_bom_crlf_and_blank_lines_accepted(tmp_path: Path, export: Path) -> None:
    path = export / "jemaah.csv"
    text = path.read_text(encoding="utf-8").replace("\n", "\r\n")
    path.write_bytes(b"\xef\xbb\xbf" + text.encode() + b"\r\n\r\n")
    assert import_export(export, tmp_path / "mirror.sqlite").jemaah_rows == 60


@pytest.mark.parametrize(
    ("column", "value", "reason"),
    [
        ("nomor_porsi", "130012345", "nomor_porsi '130012345' is not 10 digits"),
        ("nomor_porsi", "13001234AB", "is not 10 digits"),
        ("tgl_lahir", "1958-02-30", "tgl_lahir '1958-02-30' is not a real date"),
        ("tgl_lahir", "14/03/1958", "is not a date YYYY-MM-DD"),
        ("status_porsi", "aktif", "status_porsi 'aktif' is not one of AKTIF, CADANGAN"),
        ("jenis_haji", "PLUS", "is not one of REGULER, KHUSUS"),
        ("posisi_porsi", "12.5", "posisi_porsi '12.5' is not a whole number or empty"),
        ("sisa_pelunasan", "-5", "sisa_pelunasan '-5' is not a whole amount"),
        ("sisa_pelunasan", "", "sisa_pelunasan is empty while status_pelunasan is BELUM_LUNAS"),
        ("biaya_bipih", "", "biaya_bipih is empty while status_pelunasan is BELUM_LUNAS"),
        ("nama", " ", "nama ' ' is not a name"),
        ("nama", "SLAMET\x00RIYADI", "nama 'SLAMET\\x00RIYADI' is not a name"),
        ("nama", "SLAMET\nRIYADI", "nama 'SLAMET\\nRIYADI' is not a name"),
        ("nama", "SLAMET\tRIYADI", "is not a name"),
        ("nama", "\nSLAMET RIYADI", "is not a name"),
        ("nama", "SLAMET\u2028RIYADI", "is not a name"),
        ("provinsi", "Jawa\x00Tengah", "provinsi 'Jawa\\x00Tengah' is not a province name"),
        ("kabupaten", "Kota\nSurakarta", "is not a kabupaten/kota name"),
        ("mata_uang", "SAR", "is not one of IDR, USD"),
        ("updated_at", "2026-04-10T16:30", "is not YYYY-MM-DD[ HH:MM[:SS]]"),
        ("kloter", "SOC-99", "kloter SOC-99 is not in kloter.csv"),
    ],
)
def test_import_bad_jemaah_field_refused_with_line_and_reason(
    export: Path, live: Path, column: str, value: str, reason: str
) -> None:
    set_field(export / "jemaah.csv", 2, column, value)
    (bad,) = refused(export, live)
    assert (bad.file, bad.line) == ("jemaah.csv", 2)
    assert reason in bad.reason
    with Mirror(live) as mirror:  # the live mirror still answers the old data
        old = mirror.lookup(AKTIF_SOC)
    assert old is not None and old.status_porsi == "AKTIF"
    assert [p.name for p in live.parent.glob("*.new")] == []


def real_export(rows: Rows, entitled: int) -> None:
    """The first ``entitled`` pilgrims paid; the rest not yet entitled, amounts blank."""
    header = rows[0]
    amounts = [header.index(c) for c in ("status_pelunasan", "biaya_bipih", "sisa_pelunasan")]
    for number, row in enumerate(rows[1:]):
        paid = ("LUNAS", "56905422", "0") if number < entitled else ("BELUM_BERHAK", "", "")
        for i, value in zip(amounts, paid, strict=True):
            row[i] = value
        row[header.index("batas_pelunasan")] = ""


def test_import_blank_amounts_while_belum_berhak_accepted_as_null(tmp_path: Path) -> None:
    """A real export: 19,006 of 20,006 pilgrims not yet entitled to pay, amounts blank."""
    write_sample(tmp_path / "real", jemaah=20_006)
    edit(tmp_path / "real" / "jemaah.csv", lambda rows: real_export(rows, 1000))
    live = tmp_path / "mirror.sqlite"
    report = import_export(tmp_path / "real", live)
    assert report.accepted and report.jemaah_rows == 20_006
    with closing(sqlite3.connect(live)) as db:
        blank = db.execute(
            "SELECT count(*) FROM jemaah WHERE biaya_bipih IS NULL AND sisa_pelunasan IS NULL"
        ).fetchone()[0]
        porsi = db.execute("SELECT nomor_porsi FROM jemaah WHERE biaya_bipih IS NULL").fetchone()
    assert blank == 19_006
    with Mirror(live) as mirror:
        found = mirror.lookup(porsi[0])
    assert found is not None and (found.biaya_bipih, found.sisa_pelunasan) == (None, None)


@pytest.mark.parametrize("state", ["BELUM_LUNAS", "LUNAS"])
@pytest.mark.parametrize("column", ["biaya_bipih", "sisa_pelunasan"])
def test_import_blank_amount_while_entitled_refused_with_line_and_reason(
    export: Path, live: Path, state: str, column: str
) -> None:
    set_field(export / "jemaah.csv", 7, "status_pelunasan", state)
    for amount in ("biaya_bipih", "sisa_pelunasan"):
        set_field(export / "jemaah.csv", 7, amount, "" if amount == column else "1000")
    (bad,) = refused(export, live)
    assert (bad.file, bad.line) == ("jemaah.csv", 7)
    assert bad.reason == (
        f"{column} is empty while status_pelunasan is {state}"
        " (an amount may be blank only while BELUM_BERHAK)"
    )


def test_import_several_bad_fields_all_named(export: Path, live: Path) -> None:
    set_field(export / "jemaah.csv", 5, "jenis_kelamin", "X")
    set_field(export / "jemaah.csv", 5, "kd_prop", "1")
    (bad,) = refused(export, live)
    assert bad.line == 5 and "jenis_kelamin" in bad.reason and "kd_prop" in bad.reason


def test_import_short_row_refused(export: Path, live: Path) -> None:
    edit(export / "jemaah.csv", lambda rows: rows[3].pop())
    width = len((export / "jemaah.csv").read_text().splitlines()[0].split(","))
    expected = f"{width - 1} fields where the header has {width}"
    assert refused(export, live) == [BadRow("jemaah.csv", 4, expected)]


def test_import_duplicate_porsi_refused_at_second_line(export: Path, live: Path) -> None:
    set_field(export / "jemaah.csv", 9, "nomor_porsi", AKTIF_SOC)
    (bad,) = refused(export, live)
    assert (bad.line, bad.reason) == (
        9,
        f"duplicate nomor_porsi {AKTIF_SOC} (first on an earlier line)",
    )


def test_import_duplicate_porsi_every_one_reported(export: Path, live: Path) -> None:
    for line in (7, 8, 30):
        set_field(export / "jemaah.csv", line, "nomor_porsi", AKTIF_SOC)
    assert [b.line for b in refused(export, live)] == [7, 8, 30]


def test_import_duplicate_kloter_refused(export: Path, live: Path) -> None:
    set_field(export / "kloter.csv", 3, "kode", "BTJ-01")  # was BTJ-02
    bad = refused(export, live)
    assert bad[0] == BadRow("kloter.csv", 3, "duplicate kode BTJ-01 (first on line 2)")
    assert all(b.reason == "kloter BTJ-02 is not in kloter.csv" for b in bad[1:])


@pytest.mark.parametrize(
    ("column", "value", "reason"),
    [
        ("maskapai", "Garuda\nIndonesia", "maskapai 'Garuda\\nIndonesia' is not an airline"),
        ("no_penerbangan", "GA\x006501", "no_penerbangan 'GA\\x006501' is not a flight number"),
        ("kode", "SUB-01", "kode SUB-01 does not start with embarkasi BTJ"),
        ("berangkat", "2026-04-20 08:40", "times must run masuk_asrama <= berangkat < pulang"),
        ("gelombang", "3", "gelombang '3' is not 1 or 2"),
        ("zona_waktu", "WAS", "is not one of WIB, WITA, WIT"),
        ("pulang", "2026-06-31 10:20", "pulang '2026-06-31 10:20' is not a real date"),
    ],
)
def test_import_bad_kloter_row_refused(
    export: Path, live: Path, column: str, value: str, reason: str
) -> None:
    set_field(export / "kloter.csv", 2, column, value)
    bad = refused(export, live)[0]
    assert (bad.file, bad.line) == ("kloter.csv", 2)
    assert reason in bad.reason


def test_import_multiline_field_line_numbers_as_a_person_counts(export: Path, live: Path) -> None:
    set_field(export / "jemaah.csv", 2, "nama", "SLAMET\nRIYADI")  # quoted over two lines
    set_field(export / "jemaah.csv", 3, "nomor_porsi", "x")  # the record on lines 4
    assert [b.line for b in refused(export, live)] == [2, 4]


def test_import_many_bad_rows_capped_with_count(tmp_path: Path) -> None:
    write_sample(tmp_path / "big", jemaah=MAX_BAD_ROWS + 25)
    edit(tmp_path / "big" / "jemaah.csv", lambda rows: [r.__setitem__(3, "?") for r in rows[1:]])
    with pytest.raises(ImportRefused) as e:
        import_export(tmp_path / "big", tmp_path / "mirror.sqlite")
    report = e.value.report
    assert (len(report.bad_rows), report.bad_rows_omitted) == (MAX_BAD_ROWS, 25)
    assert report.bad_row_lines()[-1] == "... and 25 more bad rows"
    assert not (tmp_path / "mirror.sqlite").exists()


@pytest.mark.parametrize("column", ["kuota", "nomor_porsi"])
def test_import_missing_column_one_clear_error(export: Path, live: Path, column: str) -> None:
    edit(export / "jemaah.csv", lambda rows: [r.pop(rows[0].index(column)) for r in rows[::-1]])
    with pytest.raises(DataError, match=f"jemaah.csv: missing required column\\(s\\): {column}$"):
        import_export(export, live)


def test_import_semicolon_file_hint_given(export: Path, live: Path) -> None:
    path = export / "jemaah.csv"
    path.write_text(path.read_text(encoding="utf-8").replace(",", ";"), encoding="utf-8")
    with pytest.raises(DataError, match="separated by commas"):
        import_export(export, live)


@pytest.mark.parametrize(
    ("prepare", "message"),
    [
        (lambda e: (e / "kloter.csv").unlink(), "has no kloter.csv"),
        (lambda e: (e / "jemaah.csv").write_text("", encoding="utf-8"), "jemaah.csv is empty"),
        (lambda e: (e / "jemaah.csv").write_text(",".join(schema.JEMAAH_COLUMNS)), "has no rows"),
        (lambda e: _append(e / "jemaah.csv", b"\xff\xfe\n"), "jemaah.csv is not UTF-8 text"),
    ],
)
def test_import_unusable_file_data_error_live_untouched(
    export: Path, live: Path, prepare: Callable[[Path], object], message: str
) -> None:
    before = live.stat().st_ino
    prepare(export)
    with pytest.raises(DataError, match=message):
        import_export(export, live)
    assert live.stat().st_ino == before
    assert sorted(p.name for p in live.parent.iterdir()) == ["mirror.sqlite", "mirror.sqlite.lock"]


def test_import_source_neither_folder_nor_zip_data_error(tmp_path: Path) -> None:
    (tmp_path / "export.csv").write_text("nomor_porsi\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"neither a folder nor a \.zip"):
        import_export(tmp_path / "export.csv", tmp_path / "mirror.sqlite")
    with pytest.raises(DataError, match="does not exist"):
        import_export(tmp_path / "nowhere", tmp_path / "mirror.sqlite")


def test_import_progress_reported(
    tmp_path: Path, export: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(importer, "PROGRESS_EVERY", 20)
    seen: list[int] = []
    import_export(export, tmp_path / "mirror.sqlite", progress=seen.append)
    assert seen == [20, 40, 60]


def test_docs_example_export_imports(tmp_path: Path) -> None:
    blocks = re.findall(r"```csv title=(\S+)\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert [name for name, _ in blocks] == ["kloter.csv", "jemaah.csv", "kantor.csv"]
    for name, text in blocks:
        (tmp_path / "example").mkdir(exist_ok=True)
        (tmp_path / "example" / name).write_text(text, encoding="utf-8")
    report = import_export(tmp_path / "example", tmp_path / "mirror.sqlite")
    assert (report.jemaah_rows, report.kloter_rows, report.as_of) == (5, 2, date(2026, 4, 10))
    assert report.kantor_rows == 2
    with Mirror(tmp_path / "mirror.sqlite") as mirror:
        quoted = mirror.lookup("2300412877")
        office = mirror.office("7303")
    assert office is not None and office.zona_waktu == "WITA" and not office.plhut
    assert quoted is not None and quoted.nama == "HJ. NURHAYATI, S.PD BINTI MAHMUD"
    assert quoted.kloter is not None and quoted.kloter.zona_waktu == "WITA"


def test_docs_every_column_and_fixed_pilgrim_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    for column in (
        schema.JEMAAH_COLUMNS + schema.JEMAAH_EXTRA + schema.KLOTER_COLUMNS + schema.KANTOR_COLUMNS
    ):
        assert f"| `{column}`" in text
    for p in FIXED_PILGRIMS:
        row = f"| `{p.nomor_porsi}` | {p.status_porsi:<12} | {p.tgl_lahir} | {p.kloter or '-':<6} |"
        assert row in text
