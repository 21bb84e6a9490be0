"""`make bench`: run every benchmark and print its numbers."""

from __future__ import annotations

import importlib
import sys

BENCHMARKS = ["bench.bench_agi", "bench.bench_calls", "bench.bench_data"]


def main() -> None:
    for name in BENCHMARKS if len(sys.argv) < 2 else sys.argv[1:]:
        print(f"== {name}")
        importlib.import_module(name).main()


if __name__ == "__main__":
    main()
