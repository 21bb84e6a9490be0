"""The cluster for real: Kamailio in front of two IVR nodes (each an Asterisk and its
controller, started by the code `hajj-ivr cluster up` runs: ivr/cluster/local.py), SIPp
callers through Kamailio. A caller who is not the carrier cannot assert an identity
through the front door; one node killed mid-load loses only its own calls in progress,
every call after Kamailio marked it down succeeds on the other, and the node rejoins."""

from __future__ import annotations

import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest

from ivr.cluster import local
from tests.rig import sipp
from tests.rig.cluster import CARRIER, Cluster, running

pytestmark = pytest.mark.asterisk

HOTLINE = "500425"
HOLD_MS = 6000  # a load call hangs up this long after the answer: in flight at the kill


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    with running() as started:
        yield started


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
