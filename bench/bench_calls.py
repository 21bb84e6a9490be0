"""Simultaneous calls: CPU of Asterisk and of the controller for the same calls.

A private hotline (the test rig: its own Asterisk and `hajj-ivr serve` on free ports) takes
N simultaneous Local-channel calls through the pilgrim flow (main menu 1, a porsi, confirm,
the status and the information menu, spoken from real prompts), each hung up after 30 s.
We read both processes' CPU seconds from /proc before and after. Design target: the
controller near a tenth of Asterisk's CPU for the same calls.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from bench.table import Row
from ivr.data.sample import FIXED_PILGRIMS
from tests.rig.hotline import Hotline, Scenario

CALLS = int(os.environ.get("BENCH_CALLS", "200"))
HOLD = 30.0


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> list[Row]:
    with tempfile.TemporaryDirectory(prefix="bench-calls-") as tmp:
        hotline = Hotline.start(Path(tmp))
        try:
            return run(hotline)
        finally:
            hotline.stop()


def run(hotline: Hotline) -> list[Row]:
    ast_pid, ctl = hotline.asterisk.pid(), hotline.controller
    assert ast_pid is not None and ctl is not None
    porsi = FIXED_PILGRIMS[0].nomor_porsi
    started = time.monotonic()
    deadline = started + HOLD
    scenarios = {
        f"c{i}": Scenario(f"1{porsi}#WWWWW1", until=lambda _l: time.monotonic() > deadline)
        for i in range(CALLS)
    }
    before = cpu_seconds(ast_pid), cpu_seconds(ctl.pid)
    results = hotline.calls(scenarios)
    after = cpu_seconds(ast_pid), cpu_seconds(ctl.pid)
    wall = time.monotonic() - started
    found = sum("porsi found: AKTIF" in hotline.notes(r.call_id) for r in results.values())
    ast, con = after[0] - before[0], after[1] - before[1]
    print(f"{CALLS} simultaneous calls for {wall:.0f} s, {found} reached the lookup")
    print(f"  Asterisk CPU   {ast:6.2f} s  ({ast / wall * 100:5.1f}% of one core)")
    print(f"  controller CPU {con:6.2f} s  ({con / wall * 100:5.1f}% of one core)")
    print(f"  controller / Asterisk = {con / max(ast, 1e-9):.2f}")
    return [
        Row(
            f"controller CPU, {CALLS} Local calls",
            con,
            "s",
            "Asterisk CPU, same calls",
            ast,
            "at most 0.08x",
            con <= 0.08 * ast,
        ),
        Row(
            f"failed of {CALLS} Local calls", CALLS - found, "calls", target="0", met=found == CALLS
        ),
    ]


if __name__ == "__main__":
    main()
