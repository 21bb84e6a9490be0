"""What an import did: rows per table, the as-of date, every bad row, the time it took."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple

from ivr.data.diff import ImportDiff
from ivr.errors import DataError

# Bad rows kept with their reason; past this only a count (a wrong export can have
# millions, and one screenful of reasons is enough to find the cause).
MAX_BAD_ROWS = 1000


class BadRow(NamedTuple):
    file: str  # jemaah.csv | kloter.csv | kantor.csv
    line: int  # as a person counts: the header is line 1
    reason: str

    def __str__(self) -> str:
        return f"{self.file} line {self.line}: {self.reason}"


@dataclass(frozen=True)
class ImportReport:
    source: str  # the export's path, or the name it was uploaded under
    jemaah_rows: int  # data rows read (all imported when accepted)
    kloter_rows: int
    as_of: date | None  # the date of the newest updated_at
    bad_rows: tuple[BadRow, ...]
    bad_rows_omitted: int  # bad rows past MAX_BAD_ROWS, counted only
    seconds: float
    diff: ImportDiff | None = None  # against the mirror it replaced (accepted imports)
    ppiu_rows: int | None = None  # umrah agencies in the optional ppiu.csv (None: no file)
    kantor_rows: int = 0  # kantor.csv is optional: 0 when the export has none

    @property
    def accepted(self) -> bool:
        return self.bad_row_count == 0

    @property
    def bad_row_count(self) -> int:
        return len(self.bad_rows) + self.bad_rows_omitted

    def summary(self) -> str:
        """One line for the admin: ``imported 300 jemaah, 45 kloter (as of ...) in 0.1 s``."""
        rows = f"{self.jemaah_rows:,} jemaah, {self.kloter_rows:,} kloter"
        if self.ppiu_rows is not None:
            rows += f", {self.ppiu_rows:,} PPIU"
        rows += f", {self.kantor_rows:,} kantor" if self.kantor_rows else ""
        if not self.accepted:
            return f"refused {self.source}: {self.bad_row_count:,} bad rows in {rows}"
        return f"imported {rows} (as of {self.as_of}) from {self.source} in {self.seconds:.1f} s"

    def bad_row_lines(self) -> list[str]:
        """Every kept bad row as ``file line N: reason``, then how many more were cut."""
        lines = [str(bad) for bad in self.bad_rows]
        if self.bad_rows_omitted:
            lines.append(f"... and {self.bad_rows_omitted:,} more bad rows")
        return lines


class ImportRefused(DataError):
    """An export had bad rows: nothing was imported, the live mirror is unchanged.

    ``str()`` lists every kept bad row, so printing the error is enough for the admin.
    """

    def __init__(self, report: ImportReport) -> None:
        lines = [report.summary() + "; the live mirror is unchanged", *report.bad_row_lines()]
        super().__init__("\n".join(lines))
        self.report = report


@dataclass
class Problems:
    """Collects bad rows up to a cap, counting the rest."""

    cap: int = MAX_BAD_ROWS
    rows: list[BadRow] = field(default_factory=list)
    omitted: int = 0

    def add(self, file: str, line: int, reason: str) -> None:
        if len(self.rows) < self.cap:
            self.rows.append(BadRow(file, line, reason))
        else:
            self.omitted += 1
