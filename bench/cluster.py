"""SIP with RTP through the cluster: how many simultaneous callers Kamailio spreads over
two IVR nodes with zero failures, per node and in total.

The local cluster of the tests (tests/rig/cluster.py: the code `hajj-ivr cluster up`
runs, on free ports): Kamailio in front of two IVR nodes, each an Asterisk and its
controller. The callers are bench_sip's (its scenario, keys and media: main menu 1, a
porsi, '#', the confirmation; the status heard; hang up ~26 s after the answer), sent to
Kamailio: their ACK and BYE follow its Record-Route, their RTP goes straight to the node
that answered (Kamailio carries no media). Steps of rising concurrency (each step's calls
start within bench_sip.RAMP seconds, so all of them overlap) until a step is not clean:
clean is 0 failed calls (SIPp's failures plus every call whose transcript, on whichever
node took it, does not reach the lookup). Per node: the node Kamailio's log names for each
caller's INVITE.

BENCH_CLUSTER_STEPS (default "100,200,400,800", calls over both nodes) and
BENCH_SIP_PROBES (20 calls' audio timed a step) change the run; both nodes and all the
callers share this machine's cores, so the figure is the cluster's mechanics on one box,
not two servers' capacity.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

from bench.bench_calls import LOOKUP
from bench.bench_sip import (
    DELAY_MS,
    KEYS,
    PROBES,
    STRETCH_MAX,
    _enough_files,
    _percentile,
    _wait_sipp,
    scenario,
    sipp_callers,
)
from bench.rtp_probe import Heard, Media, pcap_payloads
from bench.table import Row
from ivr.calllog import CallLogReader
from ivr.cluster import local
from tests.rig import dtmf_pcap, sipp
from tests.rig.cluster import Cluster, running

STEPS = [int(n) for n in os.environ.get("BENCH_CLUSTER_STEPS", "100,200,400,800").split(",")]
HOTLINE = "500425"


@dataclass(frozen=True)
class Step:
    calls: int
    wall: float
    sipp_failed: int
    not_at_lookup: int
    per_node: dict[str, int]  # node URI -> calls Kamailio sent it
    heard: list[Heard]

    @property
    def failed(self) -> int:
        return self.sipp_failed + self.not_at_lookup

    @property
    def clean(self) -> bool:
        return self.failed == 0

    def stretch(self, q: int) -> float:
        return _percentile([h.stretch for h in self.heard], q, 1.0)


def main() -> list[Row]:
    _enough_files(max(STEPS) + 256)
    steps: list[Step] = []
    with running(rtp_ports=4000) as cluster:
        workdir = cluster.plan.folder / "bench"
        for index, calls in enumerate(STEPS, start=1):
            step = run_step(cluster, workdir / f"step{index}", index, calls)
            steps.append(step)
            print_step(step)
            if not step.clean:
                break
            _wait_idle(cluster)
    return rows(steps)


def proxied(xml: str) -> str:
    """bench_sip's caller through a record-routing proxy: the 200 OK's Record-Route set
    kept, the ACK and the BYE sent to its Contact along that route (as a phone does)."""
    xml = xml.replace('<recv response="200" rtd="true"/>', sipp.RECV_200_ROUTES)
    for method in ("ACK", "BYE"):
        xml = xml.replace(
            f"{method} sip:[service]@[remote_ip]:[remote_port] SIP/2.0",
            f"{method} [next_url] SIP/2.0",
        )
    return xml.replace("Max-Forwards: 70", "[routes]\nMax-Forwards: 70")


def run_step(cluster: Cluster, workdir: Path, index: int, calls: int) -> Step:
    workdir.mkdir(parents=True)
    pcap = workdir / "keys.pcap"
    keys_s = dtmf_pcap.write(pcap, KEYS)
    media = Media(calls, PROBES, pcap_payloads(pcap), DELAY_MS / 1000)
    callers = [f"082{index}{i:07d}" for i in range(calls)]
    started = time.monotonic()
    media.start()
    xml_text = proxied(scenario(keys_s))
    run = sipp_callers(cluster.port, HOTLINE, workdir, callers, media.ports, xml_text)
    sipp_failed = _wait_sipp(run, workdir)
    heard = media.stop()
    wall = time.monotonic() - started
    nodes = cluster.nodes_of_calls()
    per_node: dict[str, int] = {}
    for caller in callers:
        uri = nodes.get(caller, "none")
        per_node[uri] = per_node.get(uri, 0) + 1
    return Step(calls, wall, sipp_failed, _not_at_lookup(cluster, callers), per_node, heard)


def _not_at_lookup(cluster: Cluster, callers: list[str]) -> int:
    """Callers whose call, on whichever node took it, never reached the lookup."""
    wanted, reached = set(callers), set()
    for node in cluster.plan.ivr:
        reader = CallLogReader(node.folder / "calls.sqlite")
        for row in reader.recent(len(callers) * 2 + 100):
            if row.caller in wanted:
                notes = [line.text for line in reader.transcript(row.id) if line.kind == "event"]
                if LOOKUP in notes:
                    reached.add(row.caller)
    return len(wanted - reached)


def _wait_idle(cluster: Cluster, timeout: float = 30.0) -> None:
    """Until the nodes have no call left from the step before."""
    deadline = time.monotonic() + timeout
    for node in cluster.plan.ivr:
        asterisk = local.asterisk_of(node)
        while time.monotonic() < deadline:
            if asterisk.cli("core show channels count").startswith("0 active channels"):
                break
            time.sleep(0.5)


def print_step(step: Step) -> None:
    nodes = ", ".join(f"{uri} {n}" for uri, n in sorted(step.per_node.items()))
    print(
        f"{step.calls:5d} SIP calls through Kamailio, {step.wall:4.0f} s: {step.sipp_failed}"
        f" failed in SIPp, {step.not_at_lookup} not at the lookup; per node: {nodes};"
        f" stretch p95 {step.stretch(95) * 100:.1f} % over {len(step.heard)} sampled calls",
        flush=True,
    )


def rows(steps: list[Step]) -> list[Row]:
    clean = [s for s in steps if s.clean]
    best = max(clean, key=lambda s: s.calls, default=None)
    total = best.calls if best else 0
    print(f"highest clean cluster concurrency: {total} calls (0 failed)")
    if best:
        for uri, n in sorted(best.per_node.items()):
            print(f"  {uri}: {n} calls")
    top = steps[-1]
    return [
        Row("SIP calls at once through Kamailio, 2 IVR nodes, 0 failed", total, "calls"),
        *(
            Row(f"  of them on {uri}", n, "calls")
            for uri, n in sorted(best.per_node.items() if best else [])
        ),
        Row(
            f"p95 RTP stretch, {top.calls} calls through the cluster",
            top.stretch(95) * 100,
            "%",
            target="at most 5 %",
            met=top.stretch(95) <= STRETCH_MAX,
        ),
    ]
