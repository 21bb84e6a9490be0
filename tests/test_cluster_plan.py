"""The local cluster's plan (ivr/cluster/plan.py) and what `hajj-ivr cluster` reads back
(ivr/cluster/local.py): folders, addresses, ports and each node's config. The processes
for real: tests/test_cluster.py."""

from __future__ import annotations

import itertools
from pathlib import Path

import psycopg
import pytest

from ivr import config as config_mod
from ivr import pgstore, storefiles
from ivr.cli.main import main
from ivr.cluster import local
from ivr.cluster.plan import fixed_ports, plan
from ivr.errors import SetupError
from tests.rig.ports import free_port


def test_cluster_plan_kamailio_two_ivr_nodes_the_agent_node_each_its_folder(
    tmp_path: Path,
) -> None:
    p = plan(tmp_path)

    assert p.front_door == "127.0.0.1:5060"
    assert [(n.name, n.role, n.sip) for n in p.nodes] == [
        ("ivr1", "ivr", "127.0.0.2:5060"),
        ("ivr2", "ivr", "127.0.0.3:5060"),
        ("agent", "agent", "127.0.0.4:5060"),
    ]
    assert [n.folder for n in p.nodes] == [tmp_path / "ivr1", tmp_path / "ivr2", tmp_path / "agent"]
    assert p.database_url == "postgresql://hajj@127.0.0.1:15432/hajj"
    assert not plan(tmp_path, postgres_port=0).database_url
    assert [n.name for n in plan(tmp_path, agent=False).nodes] == ["ivr1", "ivr2"]


def test_cluster_plan_nodes_ports_never_collide() -> None:
    ports = [fixed_ports(i) for i in range(3)]
    tcp = [p for n in ports for p in (n.ami, n.agi, n.metrics, n.http, n.https, n.web)]
    assert len(set(tcp)) == len(tcp)
    ranges = sorted((n.rtp_start, n.rtp_end) for n in ports)
    assert all(a[1] < b[0] for a, b in itertools.pairwise(ranges))


def test_cluster_node_config_is_the_node_in_the_cluster(tmp_path: Path) -> None:
    p = plan(tmp_path, extra="[ivr]\ndigit_timeout = 3.0\n")

    configs = [local.node_settings(p, node) for node in p.nodes]

    ivr1, _, agent = configs
    assert (ivr1.state_dir, ivr1.asterisk.sip_bind, ivr1.asterisk.sip_port) == (
        tmp_path / "ivr1", "127.0.0.2", 5060,
    )  # fmt: skip
    assert (ivr1.cluster.role, ivr1.cluster.node, agent.cluster.role) == ("ivr", "ivr1", "agent")
    assert ivr1.cluster.ivr_nodes == ("127.0.0.2:5060", "127.0.0.3:5060")
    assert ivr1.cluster.agent_nodes == ("127.0.0.4:5060",)
    assert ivr1.database.url == p.database_url and ivr1.ivr.digit_timeout == 3.0
    assert (p.nodes[0].config_path.stat().st_mode & 0o777) == 0o600
    assert ivr1.asterisk.max_calls * 2 <= ivr1.asterisk.rtp_end - ivr1.asterisk.rtp_start + 1


def test_cluster_kamailio_and_the_plan_read_back_from_the_folder(tmp_path: Path) -> None:
    p = plan(tmp_path)
    for node in p.nodes:
        local.node_settings(p, node)

    door = local.front_door(p)
    again = local.from_folder(tmp_path)

    assert [n.uri for n in door.nodes] == ["sip:127.0.0.2:5060", "sip:127.0.0.3:5060"]
    assert (door.listen_address, door.listen_port) == ("127.0.0.1", 5060)
    assert door.ctl_socket == tmp_path / "kamailio" / "ctl"
    assert again.nodes == p.nodes and again.front_door == p.front_door
    assert again.postgres_port == 15432


def test_cluster_status_of_a_folder_without_a_cluster_says_how_to_start_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SetupError, match="hajj-ivr cluster up"):
        local.from_folder(tmp_path)
    assert main(["cluster", "status", "--folder", str(tmp_path)]) == 1
    assert "no cluster in" in capsys.readouterr().err


def test_cluster_status_of_a_stopped_cluster_shows_every_piece_stopped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    p = plan(tmp_path)
    for node in p.nodes:
        local.node_settings(p, node)
    assert main(["cluster", "status", "--folder", str(tmp_path)]) == 3
    shown = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in shown] == [
        "postgres", "ivr1/asterisk", "ivr1/controller", "ivr2/asterisk", "ivr2/controller",
        "agent/asterisk", "agent/controller", "kamailio",
    ]  # fmt: skip
    assert all("stopped" in line for line in shown)
    assert config_mod.load(file=p.nodes[0].config_path, env={}).cluster.front_door


def test_cluster_up_starts_postgresql_with_every_shared_stores_tables(tmp: Path) -> None:
    """What `cluster up` does before any node: a node's Asterisk reads accounts there."""
    p = plan(tmp / "cluster", postgres_port=free_port())
    p.folder.mkdir(mode=0o711)  # as `up` leaves it: PostgreSQL's user passes through
    p.folder.chmod(0o711)
    try:
        local.start_shared(p, config_mod.Config(state_dir=tmp))
        with psycopg.connect(p.database_url) as conn:
            have = pgstore.versions(conn)
        assert have == {s.part: s.version for s in storefiles.PG_SCHEMAS}
        assert local.node_settings(p, p.nodes[2]).database.url == p.database_url
    finally:
        assert local.down(p) and local.status(p)[0].pid is None
