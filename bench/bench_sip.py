"""SIP with RTP: how many SIPp callers the hotline carries at once, cleanly.

A private hotline (the test rig: its own Asterisk and controller on free ports) takes SIP
callers on its SIP port: G.711 offered, keys in RFC 4733 (main menu 1, a porsi, '#', then
'1' to confirm the read-back), the status heard, the caller hangs up ~26 s after answer.
Steps of rising concurrency (each step's calls start within RAMP seconds, so all of them
overlap) until a step is not clean; clean is 0 failed calls and a p95 stretch of at most
5 %. Printed: the highest clean step, and per step the failures, the stretch and where the
CPU went.

Failed: SIPp's failed calls (no answer, a BYE not acknowledged), plus every call whose
transcript (the call log, found by the caller's number: unique per call) does not reach
the lookup ("porsi found: AKTIF"): a key lost on the way fails the call.

The callers' media (bench.rtp_probe). SIPp speaks SIP only; each caller's SDP points its
audio at a socket of this process, which sends the keys from it and times the audio of a
sample (BENCH_SIP_PROBES calls a step, spread over the ramp) with the kernel's receive
timestamps. Why not SIPp for the keys: play_pcap_audio (a thread and a raw socket per
call) lost keys under load. Why a sample: SIPp does not count the RTP it receives, and
reading every call's audio here (or a raw-socket capture as root) would be N x 50 packets
a second of Python on the same two cores as Asterisk; twenty timed calls cost this process
a few percent of a core (printed per step). The other calls' sockets are never read: the
kernel drops their audio, as it did at SIPp's unread media port.

Stretch: the time over which a call's audio arrives against its length (packets x 20 ms),
talk spurt by talk spurt (bench.rtp_probe says how); p50/p95/p99 over the sampled calls.

CPU: /proc/PID/stat utime+stime of Asterisk and the controller before and after each
step; SIPp's (our child) and this process's from getrusage.

BENCH_SIP_STEPS (default "100,200,400,800") and BENCH_SIP_PROBES (20) change the run,
BENCH_SIP_EVERY_STEP=1 runs the steps after a failed one too (to see how it degrades); the
default takes 2-4 minutes (it stops at the first step that is not clean).
"""

from __future__ import annotations

import os
import resource
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.bench_calls import LOOKUP, cpu_seconds
from bench.rtp_probe import Heard, Media, pcap_payloads
from bench.table import Row, controller_share
from ivr.calllog import CallLogReader
from ivr.data.sample import FIXED_PILGRIMS
from tests.rig import dtmf_pcap, sipp
from tests.rig.hotline import Hotline
from tests.rig.ports import free_port

STEPS = [int(n) for n in os.environ.get("BENCH_SIP_STEPS", "100,200,400,800").split(",")]
PROBES = int(os.environ.get("BENCH_SIP_PROBES", "20"))
EVERY_STEP = os.environ.get("BENCH_SIP_EVERY_STEP", "") == "1"  # go on past a failed step
DELAY_MS = 1500  # answer to the first key, as the SIP tests' phone
HOLD_MS = 12_000  # after the keys: the status is heard, then the caller hangs up
RAMP = 10.0  # seconds over which a step's calls start
STRETCH_MAX = 0.05
KEYS = f"1{FIXED_PILGRIMS[0].nomor_porsi}#WWWWW1"  # main menu 1, a porsi, '#', confirm


@dataclass(frozen=True)
class Step:
    calls: int
    wall: float
    sipp_failed: int
    not_found: dict[str, int]  # calls short of the lookup, by what their transcript shows
    heard: list[Heard]
    cpu: dict[str, float]  # seconds, by process
    # Seconds the controller's event loop was ready to run but waited for a CPU: on a
    # shared machine a one-thread process gets 1/(runnable threads) of a core at most.
    controller_waited: float

    @property
    def failed(self) -> int:
        return self.sipp_failed + sum(self.not_found.values())

    def stretch(self, q: int) -> float:
        """Percentile ``q`` of the sampled calls' stretch (1.0 when none was heard)."""
        return _percentile([h.stretch for h in self.heard], q, 1.0)

    @property
    def clean(self) -> bool:
        return self.failed == 0 and self.stretch(95) <= STRETCH_MAX


def main() -> list[Row]:
    _enough_files(max(STEPS) + 256)
    with tempfile.TemporaryDirectory(prefix="bench-sip-") as tmp:
        hotline = Hotline.start(Path(tmp))
        try:
            steps = climb(hotline, Path(tmp))
        finally:
            hotline.stop()
    return rows(steps)


def _enough_files(wanted: int) -> None:
    """A socket per caller here: a shell's soft limit of 1024 would stop near 1000 calls."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        limit = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (limit, hard))


def climb(hotline: Hotline, workdir: Path) -> list[Step]:
    steps: list[Step] = []
    for index, calls in enumerate(STEPS, start=1):
        step = run_step(hotline, workdir / f"step{index}", index, calls)
        steps.append(step)
        print_step(step)
        if not step.clean and not EVERY_STEP:
            break
        _wait_idle(hotline)
    return steps


def run_step(hotline: Hotline, workdir: Path, index: int, calls: int) -> Step:
    workdir.mkdir()
    pcap = workdir / "keys.pcap"
    keys_s = dtmf_pcap.write(pcap, KEYS)
    media = Media(calls, PROBES, pcap_payloads(pcap), DELAY_MS / 1000)
    callers = [f"081{index}{i:07d}" for i in range(calls)]
    ast_pid, ctl = hotline.asterisk.pid(), hotline.controller
    assert ast_pid is not None and ctl is not None
    before, waited = _cpu(ast_pid, ctl.pid), _run_queue_wait(ctl.pid)
    started = time.monotonic()
    media.start()
    config = hotline.config
    run = sipp_callers(
        config.asterisk.sip_port,
        config.ivr.hotline,
        workdir,
        callers,
        media.ports,
        scenario(keys_s),
    )
    sipp_failed = _wait_sipp(run, workdir)
    heard = media.stop()
    wall = time.monotonic() - started
    after = _cpu(ast_pid, ctl.pid)
    cpu = {name: after[name] - before[name] for name in after}
    waited = _run_queue_wait(ctl.pid) - waited
    return Step(calls, wall, sipp_failed, _not_found(hotline, callers), heard, cpu, waited)


def _cpu(ast_pid: int, ctl_pid: int) -> dict[str, float]:
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    me = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "Asterisk": cpu_seconds(ast_pid),
        "controller": cpu_seconds(ctl_pid),
        "SIPp": kids.ru_utime + kids.ru_stime,
        "bench (probe)": me.ru_utime + me.ru_stime,
    }


def _run_queue_wait(pid: int) -> float:
    """Seconds the process's main thread has spent runnable but not running."""
    return int(Path(f"/proc/{pid}/schedstat").read_text().split()[1]) / 1e9


def _not_found(hotline: Hotline, callers: list[str]) -> dict[str, int]:
    """Callers whose call never reached the lookup, by what their transcript shows: a
    porsi entry cut short (a key lost), no call row at all, anything else."""
    rows = CallLogReader(hotline.config.calllog_path).recent(len(callers) * 2 + 100)
    wanted = set(callers)
    ids = {row.caller: row.id for row in rows if row.caller in wanted}
    why: dict[str, int] = {}
    for caller in callers:
        notes = hotline.notes(ids[caller]) if caller in ids else []
        if LOOKUP in notes:
            continue
        if caller not in ids:
            reason = "no call row"
        elif any(n.startswith("porsi incomplete") for n in notes):
            reason = "porsi cut short"
        else:
            reason = "other"
        why[reason] = why.get(reason, 0) + 1
    return why


def _wait_idle(hotline: Hotline, timeout: float = 30.0) -> None:
    """Until Asterisk has no call left from the step before."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if hotline.asterisk.cli("core show channels count").startswith("0 active channels"):
            return
        time.sleep(0.5)


# --- SIPp ---------------------------------------------------------------------------


def scenario(keys_s: float) -> str:
    """A caller whose number and audio port are the injection file's two fields; its keys
    come from bench.rtp_probe, so SIPp holds the dialog for as long as they take."""
    invite = sipp.INVITE.format(caller="[field0]").replace("[media_port]", "[field1]")
    ack, bye = sipp.ACK.format(caller="[field0]"), sipp.BYE.format(caller="[field0]")
    steps = [
        *sipp.dialled(invite, ack),
        f'<pause milliseconds="{DELAY_MS + int(keys_s * 1000) + 200 + HOLD_MS}"/>',
        f'<send retrans="500"><![CDATA[\n{bye}\n]]></send>',
        '<recv response="200"/>',
    ]
    head = '<?xml version="1.0" encoding="ISO-8859-1"?>\n<scenario name="bench caller">'
    return head + "\n" + "\n".join(steps) + "\n</scenario>\n"


def sipp_callers(
    port: int, service: str, workdir: Path, callers: list[str], ports: list[int], xml_text: str
) -> subprocess.Popen[bytes]:
    """One SIPp process placing a call for each caller to 127.0.0.1:``port`` (a hotline's
    Asterisk, or the cluster's Kamailio), its audio to its port in ``ports``, RAMP seconds
    from the first to the last, all of them at once."""
    xml, inf = workdir / "callers.xml", workdir / "callers.csv"
    xml.write_text(xml_text)
    fields = [f"{c};{p}" for c, p in zip(callers, ports, strict=True)]
    inf.write_text("SEQUENTIAL\n" + "".join(f"{f}\n" for f in fields))
    budget = int(RAMP + (DELAY_MS + HOLD_MS) / 1000 + 60)
    argv = [
        shutil.which("sipp") or "sipp",
        f"127.0.0.1:{port}",
        *("-sf", str(xml), "-inf", str(inf), "-s", service),
        *("-i", "127.0.0.1", "-p", str(free_port(socket.SOCK_DGRAM))),
        *("-mi", "127.0.0.1", "-mp", str(free_port(socket.SOCK_DGRAM))),  # unused, but bound
        *("-r", f"{max(len(callers) / RAMP, 1):.0f}", "-l", str(len(callers))),
        *("-m", str(len(callers)), "-timeout", f"{budget}s"),
        *("-nostdin", "-trace_err", "-trace_stat", "-fd", "5"),
    ]
    with (workdir / "sipp.out").open("wb") as out:
        return subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, cwd=workdir)


def _wait_sipp(run: subprocess.Popen[bytes], workdir: Path) -> int:
    """Failed calls of the SIPp run (its final statistics), once it has exited."""
    run.wait(300)
    stats = sorted(workdir.glob("callers_*_.csv"))
    if not stats:
        return 0 if run.returncode == 0 else 1
    head, *lines = stats[-1].read_text().splitlines()
    last = dict(zip(head.split(";"), lines[-1].split(";"), strict=False))
    failed = int(last.get("FailedCall(C)", "0"))
    return failed or (0 if run.returncode == 0 else 1)


# --- the report ------------------------------------------------------------------------


def print_step(step: Step) -> None:
    cores = {name: seconds / step.wall for name, seconds in step.cpu.items()}
    gaps = sorted(h.max_gap for h in step.heard)
    stalls = _percentile([h.in_stalls for h in step.heard], 95)
    print(
        f"{step.calls:5d} SIP calls, {step.wall:4.0f} s: {step.sipp_failed} failed in SIPp,"
        f" {sum(step.not_found.values())} not at the lookup {step.not_found or ''};"
        f" stretch p50/p95/p99"
        f" {step.stretch(50) * 100:.1f}/{step.stretch(95) * 100:.1f}/"
        f"{step.stretch(99) * 100:.1f} % over {len(step.heard)} sampled calls,"
        f" (p95 {stalls * 100:.1f} % in gaps over 60 ms),"
        f" worst gap {gaps[-1] * 1000 if gaps else 0:.0f} ms,"
        f" lost {sum(h.lost for h in step.heard)} packets",
        flush=True,
    )
    print(
        "      CPU (cores): "
        + ", ".join(f"{n} {c:.2f}" for n, c in cores.items())
        + f"; the controller's loop waited {step.controller_waited:.1f} s for a CPU"
        + f" (load average {os.getloadavg()[0]:.0f})"
    )


def _percentile(values: list[float], q: int, empty: float = 0.0) -> float:
    """The nearest-rank percentile ``q`` of ``values`` (``empty`` when there are none)."""
    ordered = sorted(values)
    if not ordered:
        return empty
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def rows(steps: list[Step]) -> list[Row]:
    clean = [s for s in steps if s.clean]
    best = max((s.calls for s in clean), default=0)
    top = steps[-1]
    print(f"highest clean SIP concurrency: {best} calls (0 failed, p95 stretch <= 5 %)")
    ast, con = top.cpu["Asterisk"], top.cpu["controller"]
    return [
        Row(
            "SIP calls at once, 0 failed, p95 stretch <= 5 %",
            best,
            "calls",
            target="at least 800",
            met=best >= 800,
        ),
        Row(
            f"p95 RTP stretch, {top.calls} SIP calls",
            top.stretch(95) * 100,
            "%",
            target="at most 5 %",
            met=top.stretch(95) <= STRETCH_MAX,
        ),
        controller_share(f"controller CPU, {top.calls} SIP calls", con, ast),
        Row(
            f"SIP calls failed at {top.calls}", top.failed, "calls", target="0", met=not top.failed
        ),
    ]


if __name__ == "__main__":
    main()
