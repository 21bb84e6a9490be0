"""`make bench` (`python -m bench`): run every benchmark, then print the summary table.
`python -m bench NAME [NAME ...]` runs only those (names: see BENCHMARKS)."""

from __future__ import annotations

import importlib
import sys
import time

from bench.table import Row, machine, render

# name -> module; each module's main() prints its own detail and returns its table rows.
BENCHMARKS = {
    "agi": "bench.bench_agi",
    "calllog": "bench.bench_calllog",
    "calls": "bench.bench_calls",
    "cluster": "bench.cluster",
    "codecs": "bench.bench_codecs",
    "data": "bench.bench_data",
    "setup": "bench.bench_setup",
    "sip": "bench.bench_sip",
}


def main(argv: list[str] | None = None) -> None:
    names = (sys.argv[1:] if argv is None else argv) or list(BENCHMARKS)
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        sys.exit(f"unknown benchmark {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
    rows: list[Row] = []
    started = time.monotonic()
    for name in names:
        print(f"== {name} ({BENCHMARKS[name]})", flush=True)
        rows += importlib.import_module(BENCHMARKS[name]).main()
    print(f"\n== summary ({time.monotonic() - started:.0f} s) on {machine()}")
    print(render(rows))


if __name__ == "__main__":
    main()
