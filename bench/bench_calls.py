"""Simultaneous calls: failed calls, and the CPU of Asterisk and of the controller.

A private hotline (the test rig: its own Asterisk and `hajj-ivr serve` on free ports) takes
N Local-channel calls together (BENCH_CALLS, 600 by default; the rig sends their Originates
50 a second) through the pilgrim flow: main menu 1, a porsi, confirm, the status and the
information menu, spoken from real prompts; each caller, from a number of its own, hangs
up after HOLD seconds (BENCH_HOLD, 30). A call failed when AMI could not place it, it left
no transcript, its transcript lacks the lookup, or the controller logged an error for it.
We read both processes' CPU seconds from /proc before and after. Halfway through, the
mirror is swapped under the calls (the sample imported again, as an admin's reload does):
no lookup may fail. From the controller's /metrics (ivr/metrics.py), read before and after:
prompt stretch (each prompt's STREAM FILE time over the audio played) and the lookups'
latency on its event loop, p50/p95/p99. Targets: 0 failed calls; the controller at most
8 % of Asterisk's CPU for the same calls; p95 stretch at most 5 %.
"""

from __future__ import annotations

import collections
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bench import scrape
from bench.table import Row, controller_share
from ivr.data.importer import import_export
from ivr.data.sample import FIXED_PILGRIMS
from ivr.errors import HajjIvrError
from ivr.testcall import CallResult
from tests.rig.hotline import ORIGINATES_PER_SECOND, Hotline, Scenario

CALLS = int(os.environ.get("BENCH_CALLS", "600"))
# BENCH_PROFILE=DIR: py-spy samples the controller and perf samples Asterisk during the
# calls; their top frames are printed, the raw profiles left in DIR.
PROFILE = os.environ.get("BENCH_PROFILE", "")
HOLD = float(os.environ.get("BENCH_HOLD", "30"))
LOOKUP = "porsi found: AKTIF"  # the transcript note every call must reach
# Menu 1, the porsi and #; the caller confirms (1) 9 s later, as "Jika benar, tekan satu"
# plays: a key sent between two AGI commands is lost, and the read-back before it lasts
# 3-8 s (longer on a loaded machine), so a key timed to its start missed it.
KEYS = "1{porsi}#WWWWWWWWW1"
CALL_ID = re.compile(r"hajj-test-[0-9a-f]+")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class LogTail:
    """The lines a log gains from now on."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.start = path.stat().st_size if path.exists() else 0

    def lines(self) -> list[str]:
        if not self.path.exists():
            return []
        with self.path.open("rb") as f:
            f.seek(self.start)
            return f.read().decode(errors="replace").splitlines()


@dataclass
class Tally:
    """Failed calls by cause (a call may fail for several) and the logs' complaints."""

    not_placed: list[str] = field(default_factory=list)
    no_transcript: list[str] = field(default_factory=list)
    wrong_transcript: list[str] = field(default_factory=list)
    agi_errors: list[str] = field(default_factory=list)  # the controller's ERROR lines
    ami_warnings: list[str] = field(default_factory=list)  # the controller's AMI link
    failed: set[str] = field(default_factory=set)

    def show(self, calls: int) -> None:
        print(f"  failed calls   {len(self.failed)} of {calls}")
        print(f"    not placed (Originate failed)  {len(self.not_placed)}")
        why = collections.Counter(line.split(": ", 1)[1] for line in self.not_placed)
        for text, n in why.most_common(3):
            print(f"      {n}x {text}")
        print(f"    no transcript                  {len(self.no_transcript)}")
        print(f"    transcript without the lookup  {len(self.wrong_transcript)}")
        print(f"    controller ERROR lines         {len(self.agi_errors)}")
        for line in self.agi_errors[:5]:
            print(f"      {line}")
        print(f"  controller AMI warnings          {len(self.ami_warnings)}")
        for line in self.ami_warnings[:3]:
            print(f"      {line}")


def tally(hotline: Hotline, outcomes: Mapping[str, CallResult | HajjIvrError]) -> Tally:
    t = Tally()
    for name, outcome in outcomes.items():
        if isinstance(outcome, HajjIvrError):
            t.not_placed.append(f"{name}: {outcome}")
            t.failed.add(name)
            continue
        row, lines = hotline.record(outcome.call_id)
        if row is None or not lines:
            t.no_transcript.append(name)
            t.failed.add(name)
        elif LOOKUP not in [x.text for x in lines if x.kind == "event"]:  # read once above
            if not t.wrong_transcript:  # one example says where such calls stopped
                took = (row.ended_at or row.started_at) - row.started_at
                print(f"  {name} ({row.outcome} {row.reason} after {took:.0f} s,", end=" ")
                print(f"ended by the IVR: {outcome.ended}) said: {[x.text for x in lines][-6:]}")
            t.wrong_transcript.append(name)
            t.failed.add(name)
    return t


def count_errors(t: Tally, log: LogTail, outcomes: Mapping[str, object]) -> None:
    """The controller's ERROR lines; a call named in one failed."""
    names = {o.call_id: n for n, o in outcomes.items() if isinstance(o, CallResult)}
    for line in log.lines():
        if " ivr.ami." in line and " WARNING " in line:  # a dropped AMI link, a failed login
            t.ami_warnings.append(line)
        if " ERROR " in line or line.startswith("Traceback"):
            t.agi_errors.append(line)
            t.failed.update(names[i] for i in CALL_ID.findall(line) if i in names)
    if t.agi_errors and not t.failed:  # an error that names no call still fails the run
        t.failed.add("(unattributed controller error)")


def asterisk_complaints(log: LogTail) -> None:
    """What Asterisk warned about during the run (taskprocessor overload, file limits)."""
    found = collections.Counter(
        re.sub(r"\[[^\]]*\]\s*", "", line).strip()[:120]  # without time, thread, call
        for line in log.lines()
        if "WARNING" in line or "ERROR" in line
    )
    for text, n in found.most_common(5):
        print(f"  Asterisk warned {n}x: {text}")


STRETCH, LOOKUPS = "hajj_prompt_stretch_ratio", "hajj_lookup_seconds"


def _profilers(controller: int, asterisk: int) -> list[subprocess.Popen[bytes]]:
    """With BENCH_PROFILE: py-spy on the controller, perf on Asterisk, until stopped."""
    if not PROFILE:
        return []
    out = Path(PROFILE)
    out.mkdir(parents=True, exist_ok=True)
    spy = Path(sys.executable).with_name("py-spy")
    return [
        subprocess.Popen(
            [
                *(str(spy), "record", "--pid", str(controller), "--format", "raw"),
                *("--rate", "200", "--output", str(out / "controller.txt"), "--nonblocking"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        ),
        subprocess.Popen(
            [
                "perf",
                "record",
                "-F",
                "199",
                "-g",
                "-p",
                str(asterisk),
                "-o",
                str(out / "asterisk.perf"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        ),
    ]


def _profiles(profilers: list[subprocess.Popen[bytes]]) -> None:
    """Stop the profilers; print where each process spent its samples."""
    for proc in profilers:
        proc.send_signal(2)  # SIGINT: both write their file and exit
        proc.wait(60)
    if not profilers:
        return
    out = Path(PROFILE)
    print("  controller, py-spy: functions by own samples")
    for line in _top_own(out / "controller.txt"):
        print(f"    {line}")
    report = subprocess.run(
        [
            *("perf", "report", "-i", str(out / "asterisk.perf"), "--no-children", "--stdio"),
            *("--sort", "dso,symbol", "-g", "none", "--percent-limit", "1.5"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    print("  Asterisk, perf: where its CPU went (shared object, symbol)")
    for line in [x for x in report.stdout.splitlines() if x and not x.startswith("#")][:25]:
        print(f"    {line.strip()}")


def _top_own(collapsed: Path, n: int = 20) -> list[str]:
    """The frames that were on top of the stack most often (py-spy's raw format:
    "frame;frame;... count" per line)."""
    own: collections.Counter[str] = collections.Counter()
    total = 0
    for line in collapsed.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            own[stack.rsplit(";", 1)[-1]] += int(count)
            total += int(count)
    return [f"{c / max(total, 1) * 100:5.1f}%  {frame}" for frame, c in own.most_common(n)]


def _swap_halfway(hotline: Hotline, started: float, swapped: dict[str, float]) -> None:
    """Import the sample again (a new file swapped in) while the calls look porsi up."""
    time.sleep(CALLS / ORIGINATES_PER_SECOND / 2 + HOLD / 3)
    import_export(
        hotline.config.state_dir / "sample",
        hotline.config.mirror_path,
        imported_by="bench",
        force=True,
    )
    swapped["at"] = time.monotonic() - started


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
    # The caller hangs up HOLD seconds after its own call began (TestCall.timeout). Each
    # call from its own number: one number may look up 30 porsi an hour (ivr.guard).
    scenarios = {
        f"c{i}": Scenario(KEYS.format(porsi=porsi), timeout=HOLD, caller_id=f'"B" <0812{i:08d}>')
        for i in range(CALLS)
    }
    controller_log = LogTail(hotline.config.state_dir / "serve.log")
    asterisk_log = LogTail(hotline.asterisk.layout.log / "messages.log")
    metrics = f"http://{hotline.config.agi.host}:{hotline.config.agi.metrics_port}/metrics"
    seen = scrape.histograms(metrics)
    started = time.monotonic()
    swapped: dict[str, float] = {}
    swap = threading.Thread(target=_swap_halfway, args=(hotline, started, swapped))
    swap.start()
    before = cpu_seconds(ast_pid), cpu_seconds(ctl.pid), cpu_seconds(os.getpid())
    profilers = _profilers(ctl.pid, ast_pid)
    outcomes = hotline.outcomes(scenarios, ORIGINATES_PER_SECOND)
    after = cpu_seconds(ast_pid), cpu_seconds(ctl.pid), cpu_seconds(os.getpid())
    _profiles(profilers)
    wall = time.monotonic() - started
    swap.join()
    now = scrape.histograms(metrics)
    stretch = scrape.minus(now[STRETCH], seen[STRETCH])
    lookups = scrape.minus(now[LOOKUPS], seen[LOOKUPS])
    t = tally(hotline, outcomes)
    count_errors(t, controller_log, outcomes)
    ast, con = after[0] - before[0], after[1] - before[1]
    print(f"{CALLS} calls, Originates {ORIGINATES_PER_SECOND:g}/s, each held {HOLD:g} s;")
    print(f"  {wall:.0f} s in all")
    t.show(CALLS)
    asterisk_complaints(asterisk_log)
    print(f"  Asterisk CPU   {ast:6.2f} s  ({ast / wall * 100:5.1f}% of one core)")
    print(f"  controller CPU {con:6.2f} s  ({con / wall * 100:5.1f}% of one core)")
    print(f"  controller / Asterisk = {con / max(ast, 1e-9):.3f}")
    print(f"  (the callers: this process's AMI client {after[2] - before[2]:.2f} s CPU)")
    print(f"  mirror swapped under the calls after {swapped.get('at', float('nan')):.0f} s")
    p50, p95, p99 = (scrape.quantile(q, stretch) for q in (0.5, 0.95, 0.99))
    print(f"  prompt stretch over {scrape.count(stretch):.0f} prompts: p50 {p50:.3f}", end="")
    print(f" p95 {p95:.3f} p99 {p99:.3f}")
    l50, l95, l99 = (scrape.quantile(q, lookups) * 1e6 for q in (0.5, 0.95, 0.99))
    print(f"  lookups on the event loop ({scrape.count(lookups):.0f}): p50 {l50:.0f} us", end="")
    print(f" p95 {l95:.0f} us p99 {l99:.0f} us")
    return [
        Row(
            f"prompt stretch p95, {CALLS} Local calls",
            (p95 - 1) * 100,
            "%",
            target="at most 5 %",
            met=p95 <= 1.05,
        ),
        Row(f"lookup p50 on the event loop, {CALLS} calls", l50, "us"),
        Row(f"lookup p99 on the event loop, {CALLS} calls (a swap among them)", l99, "us"),
        Row(f"failed of {CALLS} Local calls", len(t.failed), "calls", target="0", met=not t.failed),
        controller_share(f"controller CPU, {CALLS} Local calls", con, ast),
    ]


if __name__ == "__main__":
    main()
