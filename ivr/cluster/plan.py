"""The local cluster's plan (`hajj-ivr cluster up`): which pieces, in which folders, on
which addresses and ports, and each node's config file. Pure values: ivr/cluster/local.py
starts and stops what this describes.

One machine stands in for several: every node gets a loopback address of its own
(the whole of 127/8 is local on Linux, nothing to set up), so each Asterisk listens on
port 5060 as it would on its own server; the ports that stay on 127.0.0.1 (AMI, FastAGI,
HTTP) differ per node.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

FRONT_ADDRESS = "127.0.0.1"  # Kamailio
IVR_ADDRESSES = ("127.0.0.2", "127.0.0.3")
AGENT_ADDRESS = "127.0.0.4"
SIP_PORT = 5060
POSTGRES_PORT = 15432
DATABASE = "hajj"  # the cluster's database, and its PostgreSQL superuser
FIRST_PORT = 15000  # node i's TCP ports: FIRST_PORT + 100 * i + ...
FIRST_RTP = 20000  # node i's RTP range: FIRST_RTP + RTP_PORTS * i, RTP_PORTS ports
RTP_PORTS = 2000  # a node's RTP range: room for 1000 calls (two ports each)


@dataclass(frozen=True)
class NodePorts:
    sip: int
    ami: int
    agi: int
    metrics: int
    http: int
    https: int
    web: int
    rtp_start: int
    rtp_end: int


def fixed_ports(index: int) -> NodePorts:
    """Node ``index``'s ports in a cluster started by the CLI: the same every time."""
    base = FIRST_PORT + 100 * index
    rtp = FIRST_RTP + RTP_PORTS * index
    return NodePorts(SIP_PORT, base + 38, base + 73, base + 25, base + 88, base + 89,
                     base + 80, rtp, rtp + RTP_PORTS - 1)  # fmt: skip


@dataclass(frozen=True)
class NodePlan:
    name: str  # "ivr1", "ivr2", "agent"
    role: str  # [cluster] role: "ivr" or "agent"
    address: str
    ports: NodePorts
    folder: Path  # its state_dir

    @property
    def sip(self) -> str:
        return f"{self.address}:{self.ports.sip}"

    @property
    def uri(self) -> str:
        """How Kamailio's dispatcher names it."""
        return f"sip:{self.sip}"

    @property
    def config_path(self) -> Path:
        return self.folder / "hajj-ivr.toml"


@dataclass(frozen=True)
class Plan:
    folder: Path
    front_door: str  # Kamailio's host:port
    nodes: tuple[NodePlan, ...]
    postgres_port: int = 0  # 0: no PostgreSQL (each node keeps its SQLite files)
    extra: str = ""  # TOML appended to every node's config (a test's short timeouts)

    @property
    def ivr(self) -> tuple[NodePlan, ...]:
        return tuple(n for n in self.nodes if n.role == "ivr")

    @property
    def agents(self) -> tuple[NodePlan, ...]:
        return tuple(n for n in self.nodes if n.role == "agent")

    @property
    def kamailio_dir(self) -> Path:
        return self.folder / "kamailio"

    @property
    def postgres_dir(self) -> Path:
        return self.folder / "postgres"

    @property
    def database_url(self) -> str:
        if not self.postgres_port:
            return ""
        return f"postgresql://{DATABASE}@127.0.0.1:{self.postgres_port}/{DATABASE}"

    def node(self, name: str) -> NodePlan:
        return next(n for n in self.nodes if n.name == name)


def plan(
    folder: Path,
    ports: Callable[[int], NodePorts] = fixed_ports,
    front_port: int = SIP_PORT,
    postgres_port: int = POSTGRES_PORT,
    agent: bool = True,
    extra: str = "",
) -> Plan:
    """Kamailio on 127.0.0.1, IVR nodes ivr1 and ivr2 on 127.0.0.2 and .3, the agent node
    on 127.0.0.4 (``agent``), PostgreSQL on ``postgres_port`` (0: none), under ``folder``."""
    nodes = [
        NodePlan(f"ivr{i + 1}", "ivr", address, ports(i), folder / f"ivr{i + 1}")
        for i, address in enumerate(IVR_ADDRESSES)
    ]
    if agent:
        index = len(nodes)
        nodes.append(NodePlan("agent", "agent", AGENT_ADDRESS, ports(index), folder / "agent"))
    return Plan(folder, f"{FRONT_ADDRESS}:{front_port}", tuple(nodes), postgres_port, extra)


def node_config(p: Plan, node: NodePlan) -> str:
    """The node's hajj-ivr.toml: its own state dir, addresses and ports, its role, the
    cluster's database; then the plan's ``extra``."""
    ports = node.ports
    max_calls = min(2000, (ports.rtp_end - ports.rtp_start + 1) // 2)
    lines = [
        "# Written by `hajj-ivr cluster up` (ivr/cluster/plan.py): one node of a local cluster.",
        f'state_dir = "{node.folder}"',
        "[asterisk]",
        f'sip_bind = "{node.address}"',
        f"sip_port = {ports.sip}",
        f"ami_port = {ports.ami}",
        f"http_port = {ports.http}",
        f"https_port = {ports.https}",
        f"rtp_start = {ports.rtp_start}",
        f"rtp_end = {ports.rtp_end}",
        f"max_calls = {max_calls}",
        "[agi]",
        f"port = {ports.agi}",
        f"metrics_port = {ports.metrics}",
        "[web]",
        f"port = {ports.web}",
        "[database]",
        f'url = "{p.database_url}"',
        "[cluster]",
        f'role = "{node.role}"',
        f'node = "{node.name}"',
        f'front_door = "{p.front_door}"',
        f"ivr_nodes = [{', '.join(repr(n.sip) for n in p.ivr)}]".replace("'", '"'),
        f"agent_nodes = [{', '.join(repr(n.sip) for n in p.agents)}]".replace("'", '"'),
    ]
    return "\n".join(lines) + "\n" + p.extra
