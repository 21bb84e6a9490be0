"""Prompts in the caller's codec: Asterisk's CPU for the same A-law SIP calls, the prompts
played from .alaw files (as built) against played from the WAV alone (translated slin ->
alaw frame by frame, as before issue 14).

A private hotline (the test rig) takes N SIPp callers at once, each offering PCMA only
(Indonesian carriers) with RFC 4733 keys: main menu 1, a porsi, "#", then the flow talks
until the caller hangs up after HOLD seconds. Rounds alternate the two ways on the same
Asterisk: the .alaw/.ulaw files are moved aside for a "WAV only" round and back for a
"per codec" round (Asterisk looks for a sound's files on every play). Asterisk's CPU
seconds come from /proc/PID/stat over each round; the best (lowest) round of each way is
kept, as the machine is shared. BENCH_CODEC_CALLS, BENCH_CODEC_HOLD and
BENCH_CODEC_ROUNDS make it bigger (the defaults keep `make bench` short).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from bench.bench_calls import cpu_seconds
from bench.table import Row
from ivr.data.sample import FIXED_PILGRIMS
from ivr.prompts import formats
from tests.rig import sipp
from tests.rig.hotline import Hotline
from tests.rig.sounds import SOUNDS

CALLS = int(os.environ.get("BENCH_CODEC_CALLS", "100"))
HOLD = float(os.environ.get("BENCH_CODEC_HOLD", "20"))
ROUNDS = int(os.environ.get("BENCH_CODEC_ROUNDS", "2"))  # of each way, alternated
RATE = 50  # calls set up per second: all up within a few seconds, no burst of INVITEs
WAYS = ("wav only", "per codec")


def main() -> list[Row]:
    # The state dir is the temporary folder itself: Asterisk, run as its own user, may
    # pass through it (files.secure_state) but not through a private folder above it.
    with (
        tempfile.TemporaryDirectory(prefix="bench-codecs-") as state,
        tempfile.TemporaryDirectory(prefix="bench-codecs-sipp-") as work,
    ):
        _seed_sounds(Path(state) / "sounds")
        hotline = Hotline.start(Path(state), rtp_ports=2 * CALLS + 100)  # RTP + RTCP a call
        try:
            return run(hotline, Path(work))
        finally:
            hotline.stop()


def _seed_sounds(sounds: Path) -> None:
    """The tests' built prompts (same voice and speed as the rig's), when there: the rig's
    incremental build then makes only what differs instead of all ~330 prompts."""
    if (SOUNDS / "id").is_dir():
        shutil.copytree(SOUNDS, sounds, ignore=shutil.ignore_patterns(".lock"))


def run(hotline: Hotline, workdir: Path) -> list[Row]:
    pid = hotline.asterisk.pid()
    assert pid is not None
    aside = workdir / "codec-files-aside"
    aside.mkdir()
    best: dict[str, float] = {}
    failed = {way: 0 for way in WAYS}
    for n in range(ROUNDS):
        for way in WAYS if n % 2 == 0 else WAYS[::-1]:
            _codec_files(hotline.config.sounds_dir, aside, present=way == "per codec")
            seconds, wall, bad = _round(hotline, pid, workdir, f"{n}{WAYS.index(way)}")
            print(
                f"  round {n + 1} {way:9}: Asterisk {seconds:6.2f} s CPU over {wall:4.0f} s "
                f"({seconds / wall * 100:5.1f}% of a core), {bad} of {CALLS} calls failed",
                flush=True,
            )
            best[way] = min(best.get(way, seconds), seconds)
            failed[way] += bad
    _codec_files(hotline.config.sounds_dir, aside, present=True)
    ratio = best["per codec"] / best["wav only"]
    print(f"{CALLS} A-law SIP calls held {HOLD:.0f} s, best of {ROUNDS} alternated rounds:")
    print(f"  Asterisk CPU per codec / WAV only = {ratio:.2f}")
    return [
        Row(
            f"Asterisk CPU, {CALLS} A-law SIP calls, prompts per codec",
            best["per codec"],
            "s",
            "same calls, WAV prompts (translated)",
            best["wav only"],
            "below 1x",
            ratio < 1,
        ),
        Row(
            f"failed of {CALLS * ROUNDS * 2} A-law SIP calls",
            sum(failed.values()),
            "calls",
            target="0",
            met=not any(failed.values()),
        ),
    ]


def _codec_files(sounds: Path, aside: Path, present: bool) -> None:
    """Every .alaw/.ulaw under ``sounds`` where Asterisk finds it, or moved into ``aside``."""
    source, target = (aside, sounds) if present else (sounds, aside)
    for ext in formats.CODECS:
        for path in list(source.rglob(f"*.{ext}")):
            moved = target / path.relative_to(source)
            moved.parent.mkdir(parents=True, exist_ok=True)
            path.replace(moved)


def _round(hotline: Hotline, pid: int, workdir: Path, tag: str) -> tuple[float, float, int]:
    """One round of CALLS callers: Asterisk's CPU seconds, the wall time, failed calls."""
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
    done = subprocess.run(argv, capture_output=True, text=True, cwd=workdir, timeout=HOLD + 180)
    seconds, wall = cpu_seconds(pid) - before, time.monotonic() - started
    return seconds, wall, _failed(workdir / f"stats-{tag}.csv", done)


def _failed(stats: Path, done: subprocess.CompletedProcess[str]) -> int:
    """Failed calls from SIPp's statistics file (its last line); all of them when absent."""
    try:
        head, *_, last = stats.read_text().splitlines()
    except (FileNotFoundError, ValueError):
        print(done.stdout[-2000:] + done.stderr[-2000:])
        return CALLS
    row = dict(zip(head.split(";"), last.split(";"), strict=False))
    return int(row.get("FailedCall(C)", CALLS))


if __name__ == "__main__":
    main()
