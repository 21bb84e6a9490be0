"""Where an export's two CSV files come from: a folder, or a .zip (read without unpacking).

Both files are UTF-8 (a byte-order mark, as spreadsheet programs write, is accepted),
comma-separated, with a header row. Reading errors become one DataError naming the file.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, TextIO

from ivr.errors import DataError

if TYPE_CHECKING:
    from _csv import Reader  # the type csv.reader() returns

JEMAAH_CSV = "jemaah.csv"
KLOTER_CSV = "kloter.csv"
FILES = (JEMAAH_CSV, KLOTER_CSV)
READ_BUFFER = 1 << 20  # bytes; fewer read calls on a 1.5 GB file


def check_source(source: Path) -> None:
    """Fail early, before any work, when the export is not there or lacks a file."""
    if source.is_dir():
        for name in FILES:
            if not (source / name).is_file():
                raise DataError(f"{source} has no {name}")
    elif source.is_file() and zipfile.is_zipfile(source):
        with zipfile.ZipFile(source) as zf:
            for name in FILES:
                _member(zf, source, name)
    elif not source.exists():
        raise DataError(f"export {source} does not exist")
    else:
        raise DataError(f"export {source} is neither a folder nor a .zip file")


def _member(zf: zipfile.ZipFile, source: Path, name: str) -> str:
    """The one member called ``name`` (at the top or in one folder of the zip)."""
    found = [m for m in zf.namelist() if PurePosixPath(m).name == name and not m.endswith("/")]
    if len(found) != 1:
        raise DataError(f"{source} must hold exactly one {name} (found {len(found)})")
    return found[0]


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
        except zipfile.BadZipFile as e:
            raise DataError(f"{source}: {e}") from None


def _open_text(stack: ExitStack, source: Path, name: str) -> TextIO:
    if source.is_dir():
        return stack.enter_context(
            (source / name).open(encoding="utf-8-sig", newline="", buffering=READ_BUFFER)
        )
    zf = stack.enter_context(zipfile.ZipFile(source))
    raw = stack.enter_context(zf.open(_member(zf, source, name)))
    return stack.enter_context(io.TextIOWrapper(raw, encoding="utf-8-sig", newline=""))
