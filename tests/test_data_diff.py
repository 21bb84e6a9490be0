"""An import's changes against the live mirror: porsi added, removed, changed; kloter moved."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

from ivr.data import diff
from ivr.data.importer import import_export
from ivr.data.sample import write_sample


def _edit(folder: Path, name: str, change: object) -> None:
    path = folder / name
    with path.open(newline="") as f:
        rows = list(csv.DictReader(f))
    rows = change(rows)  # type: ignore[operator]
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def test_import_diff_counts_each_kind_of_change(tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    write_sample(first)
    shutil.copytree(first, second)
    live = tmp_path / "mirror.sqlite"
    report = import_export(first, live)
    assert report.diff is not None and report.diff.first_import

    def jemaah(rows: list[dict[str, str]]) -> list[dict[str, str]]:
        removed = rows.pop()  # one porsi gone
        rows[0]["status_pelunasan"] = "LUNAS"  # one changed
        rows[0]["sisa_pelunasan"] = "0"
        added = dict(removed, nomor_porsi="1999999999")  # one new
        return [*rows, added, dict(removed, nomor_porsi="1999999998")]

    def kloter(rows: list[dict[str, str]]) -> list[dict[str, str]]:
        rows[0]["berangkat"] = rows[0]["berangkat"].replace(":", ":1", 1)[:16]
        return rows

    _edit(second, "jemaah.csv", jemaah)
    _edit(second, "kloter.csv", kloter)
    report = import_export(second, live)
    d = report.diff
    assert d is not None and (d.added, d.removed, d.changed, d.kloter_moved) == (2, 1, 1, 1)
    assert "porsi added 2, removed 1, changed 1" in d.summary()
    assert diff.last(live) == d
