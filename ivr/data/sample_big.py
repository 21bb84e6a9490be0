"""A national-size sample export (millions of rows) for the import benchmark, fast.

Building each row takes ~10 microseconds, too slow for 5.5 million; so each province
gets a pool of distinct generated rows, and the export repeats them under new porsi
numbers (``<kd_prop><odd 8-digit number>``: every even number is a known miss). Writing
is string formatting only, a few seconds per million rows.
"""

from __future__ import annotations

import bisect
import itertools
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ivr.data import schema
from ivr.data.sample import (
    PASPOR_VISA,
    jemaah_row,
    kloter_rows,
    random_pilgrim,
    season_kloter_counts,
    write_csv,
)
from ivr.data.sample_places import PROVINCES, Province

POOL = 1024  # distinct rows per province
SEASON_SHARE = 0.04  # this season's pilgrims: ~221,000 of ~5.5 million
# A prime above any row count: i -> i * STRIDE % rows visits every row once, unsorted.
STRIDE = 2_147_483_647


@dataclass(frozen=True)
class BigExport:
    rows: int
    per_province: dict[str, int]  # kd_prop -> rows, in porsi order

    def porsi(self, index: int) -> str:
        """The porsi of row ``index`` (0 <= index < rows) in porsi order."""
        starts = list(itertools.accumulate(self.per_province.values(), initial=0))
        slot = bisect.bisect_right(starts, index) - 1
        code = list(self.per_province)[slot]
        return f"{code}{2 * (index - starts[slot]) + 1:08d}"


def write_big(folder: Path, rows: int, *, seed: int = 2026, shuffled: bool = False) -> BigExport:
    """Write a ``rows``-pilgrim export with a full season of kloter into ``folder``.

    Rows come in porsi order (as a registration-ordered export would), or ``shuffled``.
    """
    rng = random.Random(seed)
    counts = season_kloter_counts()
    folder.mkdir(parents=True, exist_ok=True)
    write_csv(folder / "kloter.csv", schema.KLOTER_COLUMNS, kloter_rows(counts))
    export = BigExport(rows, _split(rows))
    tails = {p.code: _tails(rng, p, counts) for p in PROVINCES}
    with (folder / "jemaah.csv").open("w", encoding="utf-8", buffering=1 << 20) as f:
        f.write(",".join(schema.JEMAAH_COLUMNS) + "\n")
        f.writelines(_shuffled(export, tails) if shuffled else _sorted(export, tails))
    return export


def _split(rows: int) -> dict[str, int]:
    """Rows per province in proportion to its quota (the rest to the largest)."""
    total = sum(p.kuota for p in PROVINCES)
    share = {p.code: rows * p.kuota // total for p in PROVINCES}
    largest = max(PROVINCES, key=lambda p: p.kuota).code
    share[largest] += rows - sum(share.values())
    return share


def _tails(rng: random.Random, province: Province, counts: dict[str, int]) -> list[str]:
    """POOL jemaah.csv lines of ``province`` without their porsi (no field needs quoting)."""
    passports = itertools.cycle(PASPOR_VISA)
    tails = []
    for i in range(POOL):
        porsi = f"{province.code}{i:08d}"
        pilgrim = random_pilgrim(rng, porsi, province, counts, passports, SEASON_SHARE)
        tails.append(",".join(jemaah_row(pilgrim)[1:]) + "\n")
    return tails


def _sorted(export: BigExport, tails: dict[str, list[str]]) -> Iterator[str]:
    for code, count in export.per_province.items():
        pool = tails[code]
        yield from (f"{code}{2 * i + 1:08d},{pool[i % POOL]}" for i in range(count))


def _shuffled(export: BigExport, tails: dict[str, list[str]]) -> Iterator[str]:
    starts = list(itertools.accumulate(export.per_province.values(), initial=0))
    codes = list(export.per_province)
    for i in range(export.rows):
        index = i * STRIDE % export.rows
        slot = bisect.bisect_right(starts, index) - 1
        local = index - starts[slot]
        yield f"{codes[slot]}{2 * local + 1:08d},{tails[codes[slot]][local % POOL]}"
