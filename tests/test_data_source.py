"""Zip exports that are bombs or damaged: refused at once with a clear DataError, the live
mirror untouched (real zip files, real SQLite)."""

from __future__ import annotations

import struct
import zipfile
from pathlib import Path

import pytest

from ivr.data import source
from ivr.data.importer import import_export
from ivr.data.mirror import Mirror
from ivr.errors import DataError

CENTRAL = b"PK\x01\x02"  # a central directory entry's signature (APPNOTE 4.3.12)
LOCAL = b"PK\x03\x04"


def zipped(export: Path, target: Path, jemaah: bytes | None = None) -> Path:
    """``export`` as a deflated zip, jemaah.csv replaced by ``jemaah`` when given."""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(export / "kloter.csv", "kloter.csv")
        if jemaah is None:
            zf.write(export / "jemaah.csv", "jemaah.csv")
        else:
            zf.writestr("jemaah.csv", jemaah)
    return target


def bomb(export: Path, target: Path, mib: int) -> Path:
    """The header, then one real row over and over for ``mib`` MiB: a few hundred KiB
    zipped (deflate's best case is about 1,000 to 1)."""
    header, row = (export / "jemaah.csv").read_bytes().split(b"\n", 2)[:2]
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.write(export / "kloter.csv", "kloter.csv")
        with zf.open("jemaah.csv", "w", force_zip64=True) as member:
            member.write(header + b"\n")
            block = (row + b"\n") * ((1 << 20) // (len(row) + 1))
            for _ in range(mib):
                member.write(block)
    return target


def patch_entry(path: Path, name: bytes, offset: int, fmt: str, value: int) -> None:
    """Overwrite a field of ``name``'s central directory entry and local header alike.
    ``offset`` is the field's place in the central entry (APPNOTE 4.3.12)."""
    data = bytearray(path.read_bytes())
    local_offset = {8: 6, 10: 8, 24: 22}  # flags, method, uncompressed size
    at = data.find(CENTRAL)
    while at != -1:
        name_len = struct.unpack_from("<H", data, at + 28)[0]
        if data[at + 46 : at + 46 + name_len] == name:
            struct.pack_into(fmt, data, at + offset, value)
            header = struct.unpack_from("<I", data, at + 42)[0]
            if offset in local_offset:
                struct.pack_into(fmt, data, header + local_offset[offset], value)
        at = data.find(CENTRAL, at + 4)
    path.write_bytes(bytes(data))


def assert_refused(export_zip: Path, live: Path, message: str) -> DataError:
    before = live.stat().st_ino
    with pytest.raises(DataError, match=message) as refused:
        import_export(export_zip, live)
    assert live.stat().st_ino == before
    assert list(live.parent.glob("*.new")) == []
    with Mirror(live) as mirror:
        assert mirror.lookup("1100123456") is not None
    return refused.value


def test_source_zip_bomb_refused_before_reading(tmp_path: Path, export: Path, live: Path) -> None:
    """64 MiB of one row zip to about 64 KiB: a ratio no real export has (they are 5-8)."""
    archive = bomb(export, tmp_path / "bomb.zip", 64)
    assert archive.stat().st_size < 256 * 1024
    error = assert_refused(archive, live, "zip bomb")
    assert "jemaah.csv" in str(error) and "times" in str(error)


def test_source_zip_larger_than_the_cap_refused(
    tmp_path: Path, export: Path, live: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(source, "MAX_UNZIPPED", 8 * 1024)
    archive = zipped(export, tmp_path / "big.zip")
    assert_refused(archive, live, "would unpack to .* more than")


def test_source_member_inflating_past_its_declared_size_stopped(
    tmp_path: Path, export: Path, live: Path
) -> None:
    """The directory claims 1,000 bytes; reading stops there and the data does not check."""
    archive = zipped(export, tmp_path / "liar.zip")
    patch_entry(archive, b"jemaah.csv", 24, "<I", 1000)
    assert_refused(archive, live, "jemaah.csv is damaged")


def test_source_corrupt_member_data_error_not_traceback(
    tmp_path: Path, export: Path, live: Path
) -> None:
    archive = zipped(export, tmp_path / "corrupt.zip")
    data = bytearray(archive.read_bytes())
    with zipfile.ZipFile(archive) as zf:
        info = zf.getinfo("jemaah.csv")
    start = info.header_offset + 30 + len(b"jemaah.csv")
    for i in range(start + 200, start + 260):
        data[i] ^= 0x5A
    archive.write_bytes(bytes(data))
    assert_refused(archive, live, "jemaah.csv is damaged")


@pytest.mark.parametrize(
    ("offset", "fmt", "value", "message"),
    [
        (8, "<H", 0x1, "jemaah.csv is encrypted"),  # general purpose flag bit 0
        (10, "<H", 9, "jemaah.csv cannot be read"),  # Deflate64, not in zlib
    ],
)
def test_source_member_we_cannot_unpack_data_error(
    tmp_path: Path, export: Path, live: Path, offset: int, fmt: str, value: int, message: str
) -> None:
    archive = zipped(export, tmp_path / "odd.zip")
    patch_entry(archive, b"jemaah.csv", offset, fmt, value)
    assert_refused(archive, live, message)


def test_source_broken_central_directory_data_error(
    tmp_path: Path, export: Path, live: Path
) -> None:
    archive = zipped(export, tmp_path / "broken.zip")
    data = bytearray(archive.read_bytes())
    end = data.rfind(b"PK\x05\x06")
    struct.pack_into("<I", data, end + 16, len(data) + 1000)  # directory offset: past the end
    archive.write_bytes(bytes(data))
    assert_refused(archive, live, "broken.zip")


def test_source_ordinary_zip_within_limits_accepted(
    tmp_path: Path, export: Path, live: Path
) -> None:
    assert import_export(zipped(export, tmp_path / "ok.zip"), live).accepted
