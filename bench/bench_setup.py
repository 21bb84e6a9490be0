"""Call setup rate: calls started and finished per second, and per CPU-second, at saturation.

Each call, placed through the rig's real Asterisk (a Local channel by AMI Originate),
runs one AGI: ANSWER, GET VARIABLE, STREAM FILE of a 0.4 s prompt, VERBOSE, SET VARIABLE;
then the dialplan checks the handler's answer in a UserEvent and hangs up. Three ways to
serve that AGI, alternated for several rounds, K calls always in flight:

- ours: FastAgiServer + AgiChannel, in a process of its own;
- script: the process-per-call AGI a pyst2 user writes (Asterisk forks a Python per call);
- panoramisk: panoramisk.fast_agi.Application, in a process of its own.

CPU seconds come from /proc/PID/stat: Asterisk's own (utime + stime), the handler
process's, and for the script Asterisk's reaped children (cutime + cstime), which are the
forked interpreters. The figure compared is calls per CPU-second of Asterisk + handler
(at equal CPU, how many calls each way carries); calls per handler CPU-second shows the
part the choice of handler changes, since Asterisk's own share is the same for all three.
The controller and web app of the rig are stopped first: they would read every call's
AMI events. Sizes: BENCH_SETUP_ROUNDS (3), BENCH_SETUP_SECONDS per way and round (6),
BENCH_SETUP_INFLIGHT (100); about 2 minutes in all by default.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bench import setup_dialplan
from bench.setup_load import Cpu, Load
from bench.table import Row
from ivr.ami.client import AmiClient
from ivr.ami.users import AmiUser
from ivr.config import Config
from ivr.secrets import load_or_create
from tests.rig.hotline import Hotline
from tests.rig.ports import free_port
from tests.rig.procs import stop_process

ROUNDS = int(os.environ.get("BENCH_SETUP_ROUNDS", "3"))
SECONDS = float(os.environ.get("BENCH_SETUP_SECONDS", "6"))
INFLIGHT = int(os.environ.get("BENCH_SETUP_INFLIGHT", "100"))
WAYS = ("ours", "script", "panoramisk")
NAMES = {
    "ours": "ours (FastAgiServer + AgiChannel)",
    "script": "process-per-call AGI (pyst2)",
    "panoramisk": "panoramisk FastAGI",
}
TARGET = 30.0  # ours against the process-per-call script, calls per CPU-second
ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Round:
    way: str
    served: int
    failed: int
    wall: float
    asterisk: float  # CPU seconds, Asterisk itself
    handler: float  # CPU seconds, the handler process (or the forked scripts)

    @property
    def rate(self) -> float:
        return self.served / self.wall

    @property
    def per_cpu(self) -> float:
        return self.served / max(self.asterisk + self.handler, 1e-9)

    @property
    def per_handler_cpu(self) -> float:
        return self.served / max(self.handler, 1e-9)


def main() -> list[Row]:
    with tempfile.TemporaryDirectory(prefix="bench-setup-") as tmp, rig(Path(tmp)) as measure:
        rounds = asyncio.run(measure())
    return report(rounds)


@contextlib.contextmanager
def rig(state_dir: Path) -> Iterator[Measure]:
    """The rig's Asterisk with the bench dialplan, and both FastAGI servers running."""
    hotline = start_hotline(state_dir)
    try:
        with servers() as ports:
            setup_dialplan.install(hotline, ports["ours"].port, ports["panoramisk"].port)
            pid = hotline.asterisk.pid()
            assert pid is not None
            yield Measure(hotline, pid, {way: s.pid for way, s in ports.items()})
    finally:
        hotline.stop()


@dataclass(frozen=True)
class Server:
    port: int
    pid: int


@contextlib.contextmanager
def servers() -> Iterator[dict[str, Server]]:
    """Our and panoramisk's FastAGI servers, each in a process of its own, by way."""
    running: list[subprocess.Popen[bytes]] = []
    try:
        found = {}
        for way in ("ours", "panoramisk"):
            port = free_port()
            running.append(start_server(way, port))
            found[way] = Server(port, running[-1].pid)
        yield found
    finally:
        for proc in running:
            stop_process(proc)
            if proc.stdout is not None:
                proc.stdout.close()


def start_hotline(state_dir: Path) -> Hotline:
    """Hotline.start, then only its Asterisk is left running."""
    hotline = Hotline.start(state_dir)
    hotline.stop_controller()
    stop_process(hotline.web, signal.SIGTERM)
    hotline.web = None
    return hotline


def start_server(way: str, port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.setup_handlers", way, str(port)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
    )
    assert proc.stdout is not None
    if proc.stdout.readline().strip() != b"ready":
        stop_process(proc)
        proc.stdout.close()
        raise RuntimeError(f"bench.setup_handlers {way} did not start")
    return proc


@dataclass(frozen=True)
class Measure:
    hotline: Hotline
    asterisk_pid: int
    server_pids: dict[str, int]

    async def __call__(self) -> list[Round]:
        ami = patient_ami(self.hotline.config)
        await ami.connect()
        try:
            return await self.rounds(Load(ami))
        finally:
            await ami.close()

    async def rounds(self, load: Load) -> list[Round]:
        for way in WAYS:  # warm each way up, and stop early if one cannot serve at all
            warm = await load.saturate(way, min(INFLIGHT, 10), 1.0)
            if warm.served == 0:
                log = self.hotline.asterisk.layout.log / "console.log"
                raise RuntimeError(f"{way}: no call served ({warm}); see {log}")
        rounds = []
        for n in range(ROUNDS):
            for way in WAYS if n % 2 == 0 else reversed(WAYS):
                rounds.append(await self.one(load, way))
                print(f"  round {n + 1}: {describe(rounds[-1])}", flush=True)
        return rounds

    async def one(self, load: Load, way: str) -> Round:
        handler = self.server_pids.get(way)
        before = Cpu.of(self.asterisk_pid), Cpu.of(handler) if handler else None
        started = time.monotonic()
        tally = await load.saturate(way, INFLIGHT, SECONDS)
        wall = time.monotonic() - started
        ast = Cpu.of(self.asterisk_pid) - before[0]
        if handler is None:  # the forked scripts: Asterisk's reaped children
            handler_cpu = ast.children
        else:
            assert before[1] is not None
            handler_cpu = (Cpu.of(handler) - before[1]).own
        return Round(way, tally.served, tally.failed, wall, ast.own, handler_cpu)


def patient_ami(config: Config) -> AmiClient:
    """The rig's 'calls' AMI user, slow to give up: with a hundred interpreters starting
    at once on two shared cores, Asterisk answered a Ping after more than the usual 3 s,
    the client dropped the connection, and the calls whose events it lost counted as
    failed (they had run)."""
    secret = load_or_create(config.secrets_path).ami_calls_secret
    user = AmiUser.CALLS.username(config)
    port = config.asterisk.ami_port
    return AmiClient("127.0.0.1", port, user, secret, action_timeout=30, ping_timeout=30)


def describe(r: Round) -> str:
    per_call = (r.asterisk + r.handler) / max(r.served, 1) * 1000
    return (
        f"{r.way:<10} {r.served:5} served {r.failed:3} failed in {r.wall:4.1f} s"
        f" = {r.rate:6.1f} calls/s; CPU Asterisk {r.asterisk:5.2f} s + handler"
        f" {r.handler:5.2f} s = {per_call:5.2f} ms/call; {r.per_cpu:6.1f} calls/CPU-s"
    )


def best(rounds: list[Round], way: str, figure: str) -> float:
    """Best of the rounds: other processes on the machine only ever lower a figure."""
    return max(float(getattr(r, figure)) for r in rounds if r.way == way)


def report(rounds: list[Round]) -> list[Row]:
    figures = {
        way: {f: best(rounds, way, f) for f in ("rate", "per_cpu", "per_handler_cpu")}
        for way in WAYS
    }
    failed = sum(r.failed for r in rounds)
    print(
        f"call setup: {INFLIGHT} calls in flight, {ROUNDS} rounds of {SECONDS:g} s per way,"
        f" best round of each; {sum(r.served for r in rounds)} calls served, {failed} failed"
    )
    per_call = {}  # way -> (Asterisk, handler) ms per call over all rounds
    for way in WAYS:
        f = figures[way]
        mine = [r for r in rounds if r.way == way]
        calls = max(sum(r.served for r in mine), 1)
        ast, handler = (sum(r.asterisk for r in mine), sum(r.handler for r in mine))
        per_call[way] = (ast / calls * 1000, handler / calls * 1000)
        print(
            f"  {NAMES[way]:<36} {f['rate']:7.1f} calls/s  {f['per_cpu']:7.1f} calls/CPU-s"
            f"  {f['per_handler_cpu']:9.1f} calls/handler-CPU-s  (all rounds, per call:"
            f" Asterisk {per_call[way][0]:5.2f} ms, handler {per_call[way][1]:5.2f} ms)"
        )
    ratio = figures["ours"]["per_cpu"] / figures["script"]["per_cpu"]
    handler_ratio = figures["ours"]["per_handler_cpu"] / figures["script"]["per_handler_cpu"]
    print(f"  ours / process-per-call at equal CPU (Asterisk + handler): {ratio:.1f}x")
    print(f"  ours / process-per-call, handler CPU only:                 {handler_ratio:.1f}x")
    if ratio < TARGET <= handler_ratio:
        print(
            f"  the {TARGET:g}x target holds for the handler's CPU only. Asterisk's own CPU"
            " per call (Local channels, Originate, dialplan, AMI events; more when it forks)"
            " bounds the ratio at equal CPU: with a handler that cost nothing, ours would"
            " still spend Asterisk's share on every call: at most"
            f" {sum(per_call['script']) / per_call['ours'][0]:.1f}x here"
        )
    return table(figures, failed)


def table(figures: dict[str, dict[str, float]], failed: int) -> list[Row]:
    ours, script = figures["ours"], figures["script"]
    ratio = ours["per_cpu"] / script["per_cpu"]
    unit = "calls/CPU-s"
    total = "call setup, calls per CPU-s (Asterisk + handler)"
    handler = "call setup, calls per handler CPU-s"
    return [
        Row(
            total,
            ours["per_cpu"],
            unit,
            NAMES["script"],
            script["per_cpu"],
            f"at least {TARGET:g}x",
            ratio >= TARGET,
        ),
        Row(total, ours["per_cpu"], unit, NAMES["panoramisk"], figures["panoramisk"]["per_cpu"]),
        Row(handler, ours["per_handler_cpu"], unit, NAMES["script"], script["per_handler_cpu"]),
        Row(
            handler,
            ours["per_handler_cpu"],
            unit,
            NAMES["panoramisk"],
            figures["panoramisk"]["per_handler_cpu"],
        ),
        Row(
            f"call setup rate, {INFLIGHT} in flight",
            ours["rate"],
            "calls/s",
            NAMES["script"],
            script["rate"],
        ),
        Row("failed setup calls, all ways", failed, "calls", target="0", met=failed == 0),
    ]


if __name__ == "__main__":
    main()
