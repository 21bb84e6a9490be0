"""Benchmark the data mirror at national size: generate, import, look up.

Usage: ``python -m bench.bench_data [--rows 5500000] [--lookups 100000] [--shuffled]``

Prints the time to write the export, the import's rows/s and total seconds (validation,
build, fsync and swap included), the mirror's size, and the cost of one ``Mirror.lookup``
(stat + reopen check, query, row -> dataclass) for porsi that exist and that do not,
and the peak memory of the generation and import.
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

from bench.table import Row
from ivr.data.importer import import_export
from ivr.data.mirror import Mirror
from ivr.data.sample_big import BigExport, write_big


def main(argv: list[str] | None = None) -> list[Row]:
    """``argv`` None (from ``python -m bench``): the defaults."""
    args = _parser().parse_args(argv or [])
    with tempfile.TemporaryDirectory(dir=args.dir, prefix="bench-data-") as tmp:
        export = _generate(Path(tmp) / "export", args.rows, args.shuffled)
        live = Path(tmp) / "mirror.sqlite"
        first = _import(Path(tmp) / "export", live)
        _lookups(live, export, args.lookups)
        # The usual case: a new export over a live mirror, compared with it (the diff).
        _import(Path(tmp) / "export", live, label="re-import")
    return [
        Row(
            f"import of {args.rows / 1e6:.1f} M rows",
            first,
            "s",
            target="at most 45 s",
            met=first <= 45,
        ),
        Row(
            "peak memory (generation and import)",
            peak := _peak_mib(),
            "MiB",
            target="under 1024 MiB",
            met=peak < 1024,
        ),
    ]


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_data", description=__doc__)
    parser.add_argument("--rows", type=int, default=5_500_000, help="jemaah rows")
    parser.add_argument("--lookups", type=int, default=100_000, help="lookups to time")
    parser.add_argument("--shuffled", action="store_true", help="rows not in porsi order")
    parser.add_argument("--dir", type=Path, help="where the temporary export goes")
    return parser


def _generate(folder: Path, rows: int, shuffled: bool) -> BigExport:
    started = time.perf_counter()
    export = write_big(folder, rows, shuffled=shuffled)
    seconds = time.perf_counter() - started
    size = (folder / "jemaah.csv").stat().st_size / 1e6
    order = "shuffled" if shuffled else "porsi order"
    print(f"generate     {rows:,} rows ({order}), {size:,.0f} MB of CSV in {seconds:.1f} s")
    return export


def _import(source: Path, live: Path, label: str = "import") -> float:
    report = import_export(source, live, imported_by="bench")
    rate = report.jemaah_rows / report.seconds
    print(f"{label:<12} {report.seconds:.1f} s, {rate:,.0f} rows/s (accepted={report.accepted})")
    if report.diff is not None:
        print(f"changes      {report.diff.summary()}")
    print(f"mirror       {live.stat().st_size / 1e6:,.0f} MB, as of {report.as_of}")
    print(f"peak memory  {_peak_mib():,.0f} MiB (generation and import)")
    return report.seconds


def _lookups(live: Path, export: BigExport, count: int) -> None:
    rng = random.Random(1)
    hits = [export.porsi(rng.randrange(export.rows)) for _ in range(count)]
    misses = [p[:-1] + str((int(p[-1]) + 1) % 10) for p in hits]  # even numbers: absent
    with Mirror(live) as mirror:
        mirror.lookup(hits[0])  # open outside the timing
        # The first pass faults the pages in; the second is the steady state of a warm
        # controller (the whole b-tree in the page cache).
        runs = (("hit cold", hits), ("hit warm", hits), ("miss", misses))
        for label, porsi in runs:
            started = time.perf_counter()
            found = sum(mirror.lookup(p) is not None for p in porsi)
            micros = (time.perf_counter() - started) / count * 1e6
            print(f"lookup {label:<9} {micros:.1f} us each over {count:,} ({found:,} found)")


if __name__ == "__main__":
    main(sys.argv[1:])
