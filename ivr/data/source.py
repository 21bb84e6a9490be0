"""Where an export's two CSV files come from: a folder, or a .zip (read without unpacking).

Both files are UTF-8 (a byte-order mark, as spreadsheet programs write, is accepted),
comma-separated, with a header row. Reading errors become one DataError naming the file.

A zip is checked from its central directory before a byte is inflated: what the two
files would unpack to, in all and against their compressed size. A zip bomb (a few
hundred KiB that inflate to GiBs) is refused at once instead of keeping the import busy
for a minute. While reading, zipfile stops a member at the size the directory declares
(and its CRC then fails), so a member that lies about its size cannot inflate past it.
A damaged, encrypted or oddly compressed member is a DataError, never a traceback.
"""

from __future__ import annotations

import csv
import io
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, TextIO

from ivr.errors import DataError

if TYPE_CHECKING:
    from _csv import Reader  # the type csv.reader() returns

JEMAAH_CSV = "jemaah.csv"
KLOTER_CSV = "kloter.csv"
KANTOR_CSV = "kantor.csv"  # optional: district offices (ivr.data.offices)
FILES = (JEMAAH_CSV, KLOTER_CSV)
OPTIONAL_FILES = (KANTOR_CSV,)
READ_BUFFER = 1 << 20  # bytes; fewer read calls on a 1.5 GB file
# The national list is about 1 GB of CSV; four times that leaves room to grow.
MAX_UNZIPPED = 4 << 30
# Real exports deflate 5 to 8 times; deflate's best case (one byte repeated) is about
# 1,000. Members under MIN_RATIO_CHECK (a tiny kloter.csv) may compress as they like.
MAX_RATIO = 100
MIN_RATIO_CHECK = 1 << 20
# What zipfile and zlib raise for a member whose bytes are damaged (CRC, bad deflate
# data, a stream cut short).
DAMAGED = (zipfile.BadZipFile, zlib.error, EOFError)


def check_source(source: Path) -> None:
    """Fail early, before any work, when the export is not there, lacks a file, or is a
    zip that would unpack to more than an export can be."""
    if source.is_dir():
        for name in FILES:
            if not (source / name).is_file():
                raise DataError(f"{source} has no {name}")
    elif source.is_file() and zipfile.is_zipfile(source):
        with _zip(source) as zf:
            members = [_member(zf, source, name) for name in FILES]
            members += [_member(zf, source, name) for name in OPTIONAL_FILES if _named(zf, name)]
        _check_total(source, members)
    elif not source.exists():
        raise DataError(f"export {source} does not exist")
    else:
        raise DataError(f"export {source} is neither a folder nor a .zip file")


def _zip(source: Path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(source)
    except (*DAMAGED, OSError) as e:
        raise DataError(f"{source} is not a readable zip file: {e}") from None


def has_file(source: Path, name: str) -> bool:
    """Does the export (folder or zip) hold ``name``? For the optional files."""
    if source.is_dir():
        return (source / name).is_file()
    with _zip(source) as zf:
        return bool(_named(zf, name))


def _named(zf: zipfile.ZipFile, name: str) -> list[zipfile.ZipInfo]:
    return [m for m in zf.infolist() if PurePosixPath(m.filename).name == name and not m.is_dir()]


def _member(zf: zipfile.ZipFile, source: Path, name: str) -> zipfile.ZipInfo:
    """The one member called ``name`` (at the top or in one folder of the zip), checked
    against the bomb limits."""
    found = _named(zf, name)
    if len(found) != 1:
        raise DataError(f"{source} must hold exactly one {name} (found {len(found)})")
    member = found[0]
    ratio = member.file_size / max(member.compress_size, 1)
    if member.file_size > MIN_RATIO_CHECK and ratio > MAX_RATIO:
        raise DataError(
            f"{source}: {name} would inflate {ratio:,.0f} times ({member.compress_size:,} "
            f"to {member.file_size:,} bytes), a zip bomb rather than an export (they inflate "
            f"5 to 10 times); refused without unpacking it"
        )
    return member


def _check_total(source: Path, members: list[zipfile.ZipInfo]) -> None:
    total = sum(m.file_size for m in members)
    names = " and ".join(PurePosixPath(m.filename).name for m in members)
    if total > MAX_UNZIPPED:
        raise DataError(
            f"{source}: {names} would unpack to {total:,} bytes, more than the "
            f"{MAX_UNZIPPED:,} an export can be (the national list is about 1 GB); refused "
            "without unpacking it. If it is genuine, unzip it and import the folder"
        )


@contextmanager
def open_csv(source: Path, name: str) -> Iterator[Reader]:
    """A csv reader over ``name`` in the folder or zip ``source``."""
    with ExitStack() as stack:
        text = _open_text(stack, source, name)
        reader = csv.reader(text, strict=True)
        try:
            yield reader
        except UnicodeDecodeError:
            raise DataError(f"{name} is not UTF-8 text (near line {reader.line_num + 1})") from None
        except csv.Error as e:
            raise DataError(f"{name} line {reader.line_num}: {e}") from None
        except DAMAGED as e:
            raise DataError(f"{source}: {name} is damaged ({e}); nothing was imported") from None


def _open_text(stack: ExitStack, source: Path, name: str) -> TextIO:
    if source.is_dir():
        return stack.enter_context(
            (source / name).open(encoding="utf-8-sig", newline="", buffering=READ_BUFFER)
        )
    zf = stack.enter_context(_zip(source))
    member = _member(zf, source, name)
    if member.flag_bits & 0x1:  # APPNOTE 4.4.4 bit 0: encrypted
        raise DataError(f"{source}: {name} is encrypted; export it without a password")
    try:
        raw = stack.enter_context(zf.open(member))
    except NotImplementedError as e:  # a compression method zipfile lacks (Deflate64...)
        raise DataError(f"{source}: {name} cannot be read ({e}); zip it with Deflate") from None
    except DAMAGED as e:
        raise DataError(f"{source}: {name} is damaged ({e}); nothing was imported") from None
    return stack.enter_context(io.TextIOWrapper(raw, encoding="utf-8-sig", newline=""))
