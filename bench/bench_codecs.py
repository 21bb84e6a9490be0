"""Prompts in the caller's codec: Asterisk's CPU for the same A-law SIP calls, the prompts
played from .alaw files (as built) against played from the WAV alone (translated slin ->
alaw frame by frame, as before issue 14).

Two private hotlines (the test rig) each take N SIPp callers at the same time, every
caller offering PCMA only (Indonesian carriers) with RFC 4733 keys: main menu 1, a porsi,
"#", then the flow talks until the caller hangs up after HOLD seconds. One hotline plays
per codec (as built), the other WAV only (its .alaw/.ulaw moved aside: Asterisk looks for
a sound's files on every play); they swap every round. Running both ways at once is what
makes the ratio hold on a shared machine: alternated rounds on one Asterisk drifted by
more than the effect (Asterisk's CPU for identical rounds varied 12.6-19.7 s at a load
average of 20-90). Asterisk's CPU seconds come from /proc/PID/stat. BENCH_CODEC_CALLS
(per hotline), BENCH_CODEC_HOLD and BENCH_CODEC_ROUNDS make it bigger (the defaults keep
`make bench` short: about 3 minutes).
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench.bench_calls import cpu_seconds
from bench.table import Row
from ivr.data.sample import FIXED_PILGRIMS
from ivr.prompts import formats
from tests.rig import sipp
from tests.rig.hotline import Hotline
from tests.rig.sounds import SOUNDS

CALLS = int(os.environ.get("BENCH_CODEC_CALLS", "60"))  # on each of the two hotlines
HOLD = float(os.environ.get("BENCH_CODEC_HOLD", "20"))
ROUNDS = int(os.environ.get("BENCH_CODEC_ROUNDS", "2"))  # the two swap ways every round
RATE = 50  # calls set up per second: all up within a few seconds, no burst of INVITEs
CODEC, WAV = "per codec", "wav only"


def main() -> list[Row]:
    # Each state dir is a temporary folder itself: Asterisk, run as its own user, may
    # pass through it (files.secure_state) but not through a private folder above it.
    with (
        tempfile.TemporaryDirectory(prefix="bench-codecs-a-") as state_a,
        tempfile.TemporaryDirectory(prefix="bench-codecs-b-") as state_b,
        tempfile.TemporaryDirectory(prefix="bench-codecs-sipp-") as work,
    ):
        hotlines: list[Hotline] = []
        try:
            for state in (state_a, state_b):
                _seed_sounds(Path(state) / "sounds")
                hotlines.append(Hotline.start(Path(state)))
            return run(hotlines, Path(work))
        finally:
            for hotline in hotlines:
                hotline.stop()


def _seed_sounds(sounds: Path) -> None:
    """The tests' built prompts (same voice and speed as the rig's), when there: the rig's
    incremental build then makes only what differs instead of all ~330 prompts."""
    if (SOUNDS / "id").is_dir():
        shutil.copytree(SOUNDS, sounds, ignore=shutil.ignore_patterns(".lock"))


def run(hotlines: list[Hotline], workdir: Path) -> list[Row]:
    """Both hotlines take the same calls at the same time, one playing per codec and the
    other WAV only, swapped every round: both ways see the same load from the rest of the
    machine, and neither Asterisk's own bias (ports, cache) favours one way."""
    cpu = {CODEC: 0.0, WAV: 0.0}
    ratios, failed = [], 0
    for n in range(ROUNDS):
        ways = (CODEC, WAV) if n % 2 == 0 else (WAV, CODEC)
        for i, (hotline, way) in enumerate(zip(hotlines, ways, strict=True)):
            _codec_files(hotline.config.sounds_dir, workdir / f"aside-{i}", way == CODEC)
        tags = [(hotline, workdir / f"h{i}", f"{n}{i}") for i, hotline in enumerate(hotlines)]
        with ThreadPoolExecutor(2) as pool:
            done = list(pool.map(lambda job: _round(*job), tags))
        got = {way: result for way, result in zip(ways, done, strict=True)}
        ratios.append(got[CODEC][0] / got[WAV][0])
        failed += sum(result[2] for result in done)
        for way in ways:
            cpu[way] += got[way][0]
        print(
            f"  round {n + 1}: Asterisk per codec {got[CODEC][0]:6.2f} s CPU (translating "
            f"{got[CODEC][3]} sampled), WAV only {got[WAV][0]:6.2f} s ({got[WAV][3]}), at once "
            f"over {done[0][1]:3.0f} s: {ratios[-1]:.2f}; {sum(r[2] for r in done)} failed",
            flush=True,
        )
    for i, hotline in enumerate(hotlines):
        _codec_files(hotline.config.sounds_dir, workdir / f"aside-{i}", True)
    print(f"{CALLS} + {CALLS} A-law SIP calls held {HOLD:.0f} s at once, {ROUNDS} rounds:")
    each = ", ".join(f"{r:.2f}" for r in ratios)
    print(f"  Asterisk CPU per codec / WAV only: {cpu[CODEC] / cpu[WAV]:.2f} in all,")
    print(f"  median of the rounds {statistics.median(ratios):.2f} ({each})")
    return [
        Row(
            f"Asterisk CPU, {CALLS} A-law SIP calls x {ROUNDS}, prompts per codec",
            cpu[CODEC],
            "s",
            "same calls at once, WAV prompts (translated)",
            cpu[WAV],
            "below 1x",
            cpu[CODEC] < cpu[WAV],
        ),
        Row(
            f"failed of {CALLS * ROUNDS * 2} A-law SIP calls",
            failed,
            "calls",
            target="0",
            met=failed == 0,
        ),
    ]


def _codec_files(sounds: Path, aside: Path, present: bool) -> None:
    """Every .alaw/.ulaw under ``sounds`` where Asterisk finds it, or moved into ``aside``."""
    aside.mkdir(exist_ok=True)
    source, target = (aside, sounds) if present else (sounds, aside)
    for ext in formats.CODECS:
        for path in list(source.rglob(f"*.{ext}")):
            moved = target / path.relative_to(source)
            moved.parent.mkdir(parents=True, exist_ok=True)
            path.replace(moved)


def _round(hotline: Hotline, workdir: Path, tag: str) -> tuple[float, float, int, str]:
    """One round of CALLS callers: Asterisk's CPU seconds, the wall time, failed calls, and
    how many of its channels were translating on their write path halfway through."""
    pid = hotline.asterisk.pid()
    assert pid is not None
    workdir.mkdir(exist_ok=True)
    porsi = FIXED_PILGRIMS[0].nomor_porsi
    # A caller number per call and round: the guard's per-number lookup allowance holds.
    caller = f"0812{tag}[call_number]"
    xml = workdir / f"codecs-{tag}.xml"
    scenario = sipp.scenario(workdir, f"1{porsi}#", caller, 1500, int(HOLD * 1000), "PCMA")
    xml.write_text(scenario)
    argv = sipp.sipp_argv(xml, hotline.config.asterisk.sip_port, "-s", hotline.config.ivr.hotline)
    argv[argv.index("-m") + 1] = str(CALLS)
    argv += ["-r", str(RATE), "-l", str(CALLS), "-timeout", f"{int(HOLD + 120)}s"]
    argv += ["-stf", str(workdir / f"stats-{tag}.csv"), "-trace_stat", "-fd", "3600"]
    before, started = cpu_seconds(pid), time.monotonic()
    with subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=workdir
    ) as caller_proc:
        time.sleep(HOLD / 2)
        translating = _translating(hotline)
        output, _ = caller_proc.communicate(timeout=HOLD + 180)
    seconds, wall = cpu_seconds(pid) - before, time.monotonic() - started
    return seconds, wall, _failed(workdir / f"stats-{tag}.csv", output), translating


def _translating(hotline: Hotline, sample: int = 20) -> str:
    """ "k/n": of n callers' channels, k had a translator on their write path just now."""
    concise = hotline.asterisk.cli("core show channels concise").splitlines()
    names = [line.split("!")[0] for line in concise if line.startswith("PJSIP/")][:sample]
    shown = [hotline.asterisk.cli(f"core show channel {name}") for name in names]
    return f"{sum('WriteTranscode: Yes' in text for text in shown)}/{len(names)}"


def _failed(stats: Path, output: str) -> int:
    """Failed calls from SIPp's statistics file (its last line); all of them when absent."""
    try:
        head, *_, last = stats.read_text().splitlines()
    except (FileNotFoundError, ValueError):
        print(output[-3000:])
        return CALLS
    row = dict(zip(head.split(";"), last.split(";"), strict=False))
    return int(row.get("FailedCall(C)", CALLS))


if __name__ == "__main__":
    main()
