"""CSV downloads that are safe to open in a spreadsheet.

A cell from an export or a caller (a kabupaten, a name) that starts with = + - @, a tab
or a carriage return would be read by Excel or LibreOffice as a formula (=HYPERLINK(...)
links out, =cmd|... ran commands): such text cells get a leading single quote, as OWASP's
"CSV Injection" advice says. Numbers stay numbers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from starlette.responses import Response

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def text(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([cell(h) for h in header])
    writer.writerows([cell(c) for c in row] for row in rows)
    return out.getvalue()


def response(filename: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Response:
    """A download of ``text(header, rows)`` as ``filename``."""
    return Response(
        text(header, rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
