"""A local cluster for tests and the cluster benchmark: the code `hajj-ivr cluster up`
runs (ivr/cluster/local.py) on free ports, in a short folder of /tmp (Kamailio's ctl
socket path must stay under 108 bytes), without PostgreSQL or the agent node (each IVR
node keeps its SQLite files), its prompts the rig's shared build and the sample data."""

from __future__ import annotations

import contextlib
import re
import shutil
import socket
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ivr import config as config_mod
from ivr.calllog import CallLogReader
from ivr.cluster import local
from ivr.cluster.plan import IVR_ADDRESSES, NodePlan, NodePorts, Plan, plan
from ivr.config import Config
from ivr.data import sample
from ivr.data.importer import import_export
from tests.rig import sounds
from tests.rig.ports import free_port, free_rtp_range

CARRIER = "127.0.0.9"  # the nodes' trunk.addresses: Kamailio passes on only its PAI
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


def udp_port(address: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((address, 0))
        return int(s.getsockname()[1])


def _ports(rtp_ports: int) -> Callable[[int], NodePorts]:
    """Free ports: SIP on the node's own loopback address, the rest on 127.0.0.1."""

    def of(index: int) -> NodePorts:
        ami, agi, metrics, http, https, web = (free_port() for _ in range(6))
        rtp_start, rtp_end = free_rtp_range(rtp_ports)
        sip = udp_port(IVR_ADDRESSES[index])
        return NodePorts(sip, ami, agi, metrics, http, https, web, rtp_start, rtp_end)

    return of


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


@contextlib.contextmanager
def running(rtp_ports: int = 400) -> Iterator[Cluster]:
    """The cluster up, both IVR nodes active in Kamailio; down and removed after."""
    # The ctl socket is a unix socket: a short folder keeps its path under 108 bytes.
    folder = Path(tempfile.mkdtemp(prefix="hajj-cl-"))
    folder.chmod(0o755)  # Asterisk's user passes through to its node's state dir
    base_dir = folder / "base"
    sounds.seed(sounds.SETTINGS, base_dir / "sounds", sounds.ROOT / "prompts")
    sample.write_sample(base_dir / "sample")
    import_export(base_dir / "sample", base_dir / "mirror.sqlite", imported_by="tests")
    base = config_mod.load(env={}, overrides={"state_dir": str(base_dir)})
    the_plan = plan(
        folder, ports=_ports(rtp_ports), front_port=udp_port("127.0.0.1"), postgres_port=0,
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
