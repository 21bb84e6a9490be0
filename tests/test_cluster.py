"""The cluster for real: Kamailio in front of two IVR nodes (each an Asterisk and its
controller, started by the code `hajj-ivr cluster up` runs: ivr/cluster/local.py), SIPp
callers through Kamailio. A caller who is not the carrier cannot assert an identity
through the front door; one node killed mid-load loses only its own calls in progress,
every call after Kamailio marked it down succeeds on the other, and the node rejoins."""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from ivr import config as config_mod
from ivr.calllog import CallLogReader
from ivr.cluster import local
from ivr.cluster.plan import IVR_ADDRESSES, NodePlan, NodePorts, Plan, plan
from ivr.config import Config, PromptSettings
from ivr.data import sample
from ivr.data.importer import import_export
from tests.rig import sipp, sounds
from tests.rig.ports import free_port, free_rtp_range

pytestmark = pytest.mark.asterisk

CARRIER = "127.0.0.9"  # the nodes' trunk.addresses: Kamailio passes on only its PAI
HOTLINE = "500425"
EXTRA = f"""[ivr]
digit_timeout = 3.0
first_digit_timeout = 5.0
[prompts]
engine = "espeak"
espeak_speed = 200
[agents]
hours = "00:00-24:00"
[trunk]
addresses = "{CARRIER}"
host = "{CARRIER}:5060"
anonymous = false
"""
HOLD_MS = 6000  # a load call hangs up this long after the answer: in flight at the kill


def _udp_port(address: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((address, 0))
        return int(s.getsockname()[1])


def _ports(index: int) -> NodePorts:
    """Free ports: SIP on the node's own loopback address, the rest on 127.0.0.1."""
    ami, agi, metrics, http, https, web = (free_port() for _ in range(6))
    rtp_start, rtp_end = free_rtp_range(400)
    sip = _udp_port(IVR_ADDRESSES[index])
    return NodePorts(sip, ami, agi, metrics, http, https, web, rtp_start, rtp_end)


@dataclass(frozen=True)
class Cluster:
    plan: Plan
    base: Config

    @property
    def port(self) -> int:
        return int(self.plan.front_door.rsplit(":", 1)[1])

    @property
    def log(self) -> str:
        return (self.plan.kamailio_dir / "kamailio.log").read_text(errors="replace")

    def callers(self, node: NodePlan) -> set[str]:
        reader = CallLogReader(node.folder / "calls.sqlite")
        return {c.caller for c in reader.recent(200)}

    def wait_flags(self, node: NodePlan, first: str, timeout: float = 60.0) -> float:
        """Wait until Kamailio's flags of ``node`` start with ``first``; when (monotonic)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if local.kamailio_view(self.plan).get(node.uri, "").startswith(first):
                return time.monotonic()
            time.sleep(0.2)
        raise AssertionError(f"{node.uri} never {first}: {self.log[-2000:]}")

    def nodes_of_calls(self) -> dict[str, str]:
        """Each caller's node (its URI) from Kamailio's log: where its INVITE went last."""
        first = re.findall(r"new call (\S+) from (\S+) to node (\S+)", self.log)
        moved = dict(re.findall(r"call (\S+) to next node (\S+)", self.log))
        return {caller: moved.get(call_id, uri) for call_id, caller, uri in first}


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    # The ctl socket is a unix socket: a short folder keeps its path under 108 bytes.
    folder = Path(tempfile.mkdtemp(prefix="hajj-cl-"))
    folder.chmod(0o755)  # Asterisk's user passes through to its node's state dir
    base_dir = folder / "base"
    prompts = PromptSettings(engine="espeak", espeak_speed=200)
    sounds.seed(prompts, base_dir / "sounds", sounds.ROOT / "prompts")
    sample.write_sample(base_dir / "sample")
    import_export(base_dir / "sample", base_dir / "mirror.sqlite", imported_by="tests")
    base = config_mod.load(env={}, overrides={"state_dir": str(base_dir)})
    the_plan = plan(
        folder, ports=_ports, front_port=_udp_port("127.0.0.1"), postgres_port=0,
        agent=False, extra=EXTRA,
    )  # fmt: skip
    try:
        local.up(the_plan, base)
        running = Cluster(the_plan, base)
        for node in the_plan.ivr:
            running.wait_flags(node, "A")
        yield running
    finally:
        local.down(the_plan)
        shutil.rmtree(folder, ignore_errors=True)


def _call(tmp: Path, cluster: Cluster, caller: str, hold_ms: int, **kw: str) -> sipp.SippResult:
    return sipp.call_through_proxy(
        tmp, cluster.port, HOTLINE, "", caller, hangup_after_ms=hold_ms, timeout=60, **kw
    )


def _logged(cluster: Cluster, callers: set[str], timeout: float = 30.0) -> set[str]:
    deadline = time.monotonic() + timeout
    while True:
        found = set().union(*(cluster.callers(n) for n in cluster.plan.ivr)) & callers
        if found == callers or time.monotonic() > deadline:
            return found
        time.sleep(0.3)


def test_cluster_caller_not_from_the_carrier_cannot_assert_an_identity_through_kamailio(
    cluster: Cluster, tmp_path: Path
) -> None:
    """Each node trusts P-Asserted-Identity from Kamailio's address: Kamailio must pass
    on only the carrier's. Anyone else's claim is removed; the From is what is logged.
    The nodes have no anonymous endpoint (trunk.anonymous = false): Kamailio's probes and
    calls are answered as its own endpoint's."""
    forged, honest = "081277770001", "081277770002"
    attacker = _call(tmp_path, cluster, "089900000001", 1500, pai=forged)
    carrier = _call(tmp_path, cluster, "089900000002", 1500, pai=honest, local_ip=CARRIER)

    assert attacker.ok and carrier.ok, [attacker.output, carrier.output]
    logged = _logged(cluster, {"089900000001", honest})
    assert logged == {"089900000001", honest}
    assert forged not in set().union(*(cluster.callers(n) for n in cluster.plan.ivr))


def test_cluster_node_killed_mid_load_loses_only_its_calls_survivor_takes_new_ones_rejoins(
    cluster: Cluster, tmp_path: Path
) -> None:
    killed, survivor = cluster.plan.ivr
    started: dict[str, float] = {}
    results: dict[str, Future[sipp.SippResult]] = {}
    marked_down: list[float] = []
    kill_at = 0.0
    with ThreadPoolExecutor(24) as pool:
        for i in range(40):
            caller = f"0813{i:08d}"
            started[caller] = time.monotonic()
            results[caller] = pool.submit(_call, tmp_path, cluster, caller, HOLD_MS)
            if i == 8:  # calls in progress on both nodes
                kill_at = time.monotonic()
                local.kill_node(killed)
                down = threading.Thread(
                    target=lambda: marked_down.append(cluster.wait_flags(killed, "I"))
                )
                down.start()
            after = [c for c, t in started.items() if marked_down and t > marked_down[0]]
            if len(after) >= 6:
                break
            time.sleep(0.5)
        down.join()
        done = {caller: f.result().ok for caller, f in results.items()}

    nodes = cluster.nodes_of_calls()
    lost = {c for c, ok in done.items() if not ok}
    later = {c for c, t in started.items() if t > marked_down[0]}
    assert lost, "the kill hit no call in progress"
    assert all(nodes[c] == killed.uri and started[c] < kill_at for c in lost), (lost, nodes)
    assert all(done[c] for c in done if nodes[c] == survivor.uri)
    assert len(later) >= 6 and all(done[c] and nodes[c] == survivor.uri for c in later)
    assert _logged(cluster, later) == later
    assert f"IVR node down: {killed.uri}" in cluster.log

    local.start_node(cluster.plan, killed, cluster.base)
    cluster.wait_flags(killed, "A")
    back = ["081399990001", "081399990002"]  # round robin: one of two reaches each node
    assert all(_call(tmp_path, cluster, caller, 1000).ok for caller in back)
    assert _logged(cluster, set(back)) == set(back)
    assert set(back) & cluster.callers(killed)


def test_cluster_status_shows_every_piece_down_stops_them_all(cluster: Cluster) -> None:
    """`hajj-ivr cluster status` and `down` on the running cluster (its folder)."""
    folder = ["--folder", str(cluster.plan.folder)]
    shown = _cli("status", *folder)
    pids = [int(pid) for pid in re.findall(r"running \(pid (\d+)\)", shown.stdout)]

    assert shown.returncode == 0, shown.stdout + shown.stderr
    assert len(pids) == 5  # two nodes' Asterisk and controller, Kamailio
    for node in cluster.plan.ivr:
        assert f"{node.name}/asterisk " in shown.stdout
        assert re.search(rf"{node.name}/controller .* kamailio:AP", shown.stdout)
    assert _cli("down", *folder).returncode == 0
    after = _cli("status", *folder)
    assert after.returncode == 3 and "running" not in after.stdout
    assert not [pid for pid in pids if _running(pid)]


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(Path(sys.executable).parent / "hajj-ivr"), "cluster", *args],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def _running(pid: int) -> bool:
    """Alive and not a zombie (the pieces are this process's children, reaped by nobody)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] != "Z"
    except FileNotFoundError:
        return False
