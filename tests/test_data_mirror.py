"""The read-only mirror: typed lookups, and swaps picked up without a failed lookup."""

from __future__ import annotations

import csv
import shutil
import sqlite3
import threading
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from ivr.data import schema
from ivr.data.importer import import_export
from ivr.data.mirror import Mirror
from ivr.data.sample import FIXED_PILGRIMS, SamplePilgrim, write_sample
from ivr.errors import DataError

FIXED = {p.nomor_porsi: p for p in FIXED_PILGRIMS}
SOC = "1100123456"  # AKTIF, kloter SOC-01, BELUM_LUNAS
WIB = timedelta(hours=7)


@pytest.fixture
def pilgrims(tmp_path: Path) -> list[SamplePilgrim]:
    return write_sample(tmp_path / "export")


@pytest.fixture
def live(tmp_path: Path, pilgrims: list[SamplePilgrim]) -> Path:
    import_export(tmp_path / "export", tmp_path / "mirror.sqlite")
    return tmp_path / "mirror.sqlite"


def paid_version(tmp_path: Path) -> Path:
    """The sample again, but the SOC-01 pilgrim has paid (a second export to swap in)."""
    folder = tmp_path / "paid"
    write_sample(folder)
    path = folder / "jemaah.csv"
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    for column, value in [("status_pelunasan", "LUNAS"), ("sisa_pelunasan", "0")]:
        rows[1][rows[0].index(column)] = value
    rows[1][rows[0].index("batas_pelunasan")] = ""
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)
    return folder


def test_sample_covers_every_status_type_and_document_state(
    pilgrims: list[SamplePilgrim],
) -> None:
    assert {p.status_porsi for p in pilgrims} == set(schema.STATUS_PORSI)
    assert {p.jenis_haji for p in pilgrims} == set(schema.JENIS_HAJI)
    assert {p.status_paspor for p in pilgrims} == set(schema.STATUS_PASPOR)
    assert {p.status_visa for p in pilgrims} == set(schema.STATUS_VISA)
    assert {p.status_pelunasan for p in pilgrims} == set(schema.STATUS_PELUNASAN)
    assert any(p.nomor_porsi.startswith("0") for p in pilgrims)
    assert len({p.nomor_porsi for p in pilgrims}) == len(pilgrims) == 300
    season = [p for p in pilgrims if p.estimasi_masehi == 2026 and p.status_porsi == "AKTIF"]
    assert Counter(p.kloter is None for p in season).keys() == {True, False}


def test_sample_same_seed_same_files(tmp_path: Path) -> None:
    write_sample(tmp_path / "a", seed=7)
    write_sample(tmp_path / "b", seed=7)
    for name in ("jemaah.csv", "kloter.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_mirror_lookup_fixed_pilgrims_typed(live: Path) -> None:
    with Mirror(live) as mirror:
        for porsi, expected in FIXED.items():
            found = mirror.lookup(porsi)
            assert found is not None
            assert (found.nomor_porsi, found.status_porsi) == (porsi, expected.status_porsi)
            assert (found.tgl_lahir, found.jenis_haji) == (expected.tgl_lahir, expected.jenis_haji)
            assert (found.kloter and found.kloter.kode) == expected.kloter
            assert found.kd_prop == porsi[:2]


def test_mirror_lookup_payment_consistent_with_status(live: Path) -> None:
    with Mirror(live) as mirror:
        owes, khusus, paid = (mirror.lookup(p) for p in (SOC, "0900901234", "1300456789"))
    assert owes is not None and owes.status_pelunasan == "BELUM_LUNAS"
    assert (owes.sisa_pelunasan or 0) > 0 and owes.batas_pelunasan == date(2026, 4, 17)
    assert khusus is not None and (khusus.mata_uang, khusus.sisa_pelunasan) == ("USD", 4000)
    assert paid is not None and (paid.sisa_pelunasan, paid.batas_pelunasan) == (0, None)


def test_mirror_lookup_kloter_joined_with_local_times(live: Path) -> None:
    with Mirror(live) as mirror:
        found = mirror.lookup(SOC)
    assert found is not None and found.kloter is not None
    k = found.kloter
    assert (k.kode, k.embarkasi, k.gelombang, k.tujuan, k.zona_waktu) == (
        "SOC-01",
        "SOC",
        1,
        "MED",
        "WIB",
    )
    assert k.berangkat.date() == date(2026, 4, 22) and k.berangkat.utcoffset() == WIB
    assert k.masuk_asrama.date() == date(2026, 4, 21)
    assert k.pulang - k.berangkat > timedelta(days=39)


def test_mirror_lookup_waiting_list_fields(live: Path) -> None:
    with Mirror(live) as mirror:
        found = mirror.lookup("0100012345")
    assert found is not None
    assert (found.provinsi, found.kd_kab, found.kabupaten) == ("Aceh", "1106", "Aceh Besar")
    assert (found.estimasi_masehi, found.estimasi_hijriah) == (2051, 1473)
    assert found.posisi_porsi is not None and found.kuota is not None
    assert found.posisi_porsi > 25 * found.kuota
    assert found.updated_at == datetime(2026, 4, 10, 16, 30)


def test_mirror_lookup_unknown_porsi_none(live: Path) -> None:
    with Mirror(live) as mirror:
        assert mirror.lookup("1399999999") is None
        assert mirror.lookup("") is None


def test_mirror_info_as_of_and_counts(live: Path) -> None:
    with Mirror(live) as mirror:
        info = mirror.info
        assert mirror.as_of == date(2026, 4, 10)
    assert (info.jemaah_rows, info.kloter_rows, info.updated_at) == (300, 45, "2026-04-10 16:30")


def test_mirror_missing_file_data_error_then_picked_up(tmp_path: Path) -> None:
    mirror = Mirror(tmp_path / "mirror.sqlite")
    with pytest.raises(DataError, match="no data mirror at"):
        mirror.lookup(SOC)
    write_sample(tmp_path / "export", jemaah=20)
    import_export(tmp_path / "export", tmp_path / "mirror.sqlite")
    assert mirror.lookup(SOC) is not None  # no restart needed
    mirror.close()


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("PRAGMA user_version = 99", "has mirror schema 99"),
        ("CREATE TABLE other (x)", "is not a data mirror"),
    ],
)
def test_mirror_foreign_database_data_error(tmp_path: Path, setup: str, message: str) -> None:
    path = tmp_path / "mirror.sqlite"
    db = sqlite3.connect(path)
    db.execute(setup)
    db.commit()
    db.close()
    with Mirror(path) as mirror, pytest.raises(DataError, match=message):
        mirror.lookup(SOC)


def test_mirror_not_sqlite_data_error(tmp_path: Path) -> None:
    (tmp_path / "mirror.sqlite").write_text("not a database " * 100)
    with Mirror(tmp_path / "mirror.sqlite") as mirror, pytest.raises(DataError):
        mirror.lookup(SOC)


def test_mirror_swap_next_lookup_sees_new_data(tmp_path: Path, live: Path) -> None:
    with Mirror(live) as mirror:
        before = mirror.lookup(SOC)
        import_export(paid_version(tmp_path), live)
        after = mirror.lookup(SOC)
    assert before is not None and before.status_pelunasan == "BELUM_LUNAS"
    assert after is not None and (after.status_pelunasan, after.sisa_pelunasan) == ("LUNAS", 0)


def test_mirror_refused_import_keeps_answering_old_data(tmp_path: Path, live: Path) -> None:
    bad = paid_version(tmp_path)
    with (bad / "kloter.csv").open("a", encoding="utf-8") as f:
        f.write("BAD\n")
    with Mirror(live) as mirror:
        with pytest.raises(DataError):
            import_export(bad, live)
        found = mirror.lookup(SOC)
    assert found is not None and found.status_pelunasan == "BELUM_LUNAS"


def test_mirror_lookups_never_fail_across_many_swaps(tmp_path: Path, live: Path) -> None:
    sources = [tmp_path / "export", paid_version(tmp_path)]
    errors: list[BaseException] = []
    done = threading.Event()

    def importing() -> None:
        try:
            for i in range(12):
                import_export(sources[i % 2], live)
        except BaseException as e:  # reported by the main thread
            errors.append(e)
        finally:
            done.set()

    seen: Counter[str] = Counter()
    worker = threading.Thread(target=importing)
    with Mirror(live) as mirror:
        worker.start()
        while not done.is_set() or not seen:
            found = mirror.lookup(SOC)
            assert found is not None
            seen[found.status_pelunasan] += 1
    worker.join()
    assert errors == []
    assert set(seen) == {"BELUM_LUNAS", "LUNAS"}  # both versions were served


def test_mirror_overwritten_in_place_reopened(tmp_path: Path, live: Path) -> None:
    import_export(paid_version(tmp_path), tmp_path / "paid.sqlite")
    with Mirror(live) as mirror:
        assert mirror.lookup(SOC) is not None
        shutil.copyfile(tmp_path / "paid.sqlite", live)  # same inode, new bytes
        found = mirror.lookup(SOC)
    assert found is not None and found.status_pelunasan == "LUNAS"


def test_mirror_damaged_in_place_data_error_not_crash(live: Path) -> None:
    with Mirror(live) as mirror:
        assert mirror.lookup(SOC) is not None
        size = live.stat().st_size
        with live.open("r+b") as f:
            f.write(b"\0" * size)
        with pytest.raises(DataError):
            mirror.lookup(SOC)
