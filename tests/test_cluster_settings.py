"""[cluster]: a node's place in a cluster, validated (errors name the key), and the
Kamailio front door built from it. The defaults are one node: nothing changes."""

from __future__ import annotations

from pathlib import Path

import pytest

from ivr import config
from ivr.cluster import kamailio
from ivr.errors import ConfigError
from ivr.settings import ClusterSettings, TrunkSettings

CLUSTER = """[cluster]
role = "ivr"
front_door = "127.0.0.1:5060"
ivr_nodes = ["127.0.0.2:5060", "127.0.0.3:5060"]
agent_nodes = ["127.0.0.4:5060", "127.0.0.5:5060"]
ping_interval = 2
"""


def test_cluster_defaults_are_one_node() -> None:
    c = config.load(env={}).cluster
    assert (c.role, c.node, c.front_door, c.ivr_nodes, c.agent_nodes) == ("", "", "", (), ())
    assert c.ping_interval == 1 and not c.behind_front_door


def test_cluster_file_lists_and_environment_list_are_read(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text(CLUSTER)

    from_file = config.load(file=path, env={}).cluster
    from_env = config.load(
        file=path, env={"HAJJ_IVR_CLUSTER_IVR_NODES": "127.0.0.7:5070, 127.0.0.8:5070"}
    ).cluster

    assert from_file.ivr_nodes == ("127.0.0.2:5060", "127.0.0.3:5060")
    assert from_file.agent_nodes == ("127.0.0.4:5060", "127.0.0.5:5060")
    assert from_file.behind_front_door and from_file.ping_interval == 2
    assert from_env.ivr_nodes == ("127.0.0.7:5070", "127.0.0.8:5070")


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("role", "proxy", r"cluster.role = 'proxy'"),
        ("front_door", "kamailio:5060", r"cluster.front_door = 'kamailio:5060' is not an IPv4"),
        ("front_door", "127.0.0.1", r"cluster.front_door = '127.0.0.1' is not an IPv4"),
        ("front_door", "127.0.0.1:70000", r"cluster.front_door = '127.0.0.1:70000'"),
        ("ivr_nodes", ("127.0.0.2:5060", "127.0.0.2"), r"cluster.ivr_nodes = '127.0.0.2'"),
        ("ivr_nodes", ("127.0.0.2:5060", "127.0.0.2:5060"), r"cluster.ivr_nodes names .* twice"),
        ("agent_nodes", ("host:5060",), r"cluster.agent_nodes = 'host:5060'"),
        ("node", "a b", r"cluster.node = 'a b'"),
        ("ping_interval", 0, r"cluster.ping_interval = 0"),
    ],
)
def test_cluster_bad_value_names_the_key(key: str, value: object, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        config.load(env={}, overrides={f"cluster.{key}": value})


def test_cluster_ivr_role_without_front_door_is_refused() -> None:
    with pytest.raises(ConfigError, match=r'cluster.role = "ivr" needs cluster.front_door'):
        ClusterSettings(role="ivr")


def test_cluster_front_door_built_from_settings(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text(CLUSTER)
    c = config.load(file=path, env={})
    trunk = TrunkSettings(addresses="203.0.113.10, 198.51.100.0/28")

    door = kamailio.from_settings(c.cluster, trunk, tmp_path / "ctl")

    assert [n.uri for n in door.nodes] == ["sip:127.0.0.2:5060", "sip:127.0.0.3:5060"]
    assert (door.listen_address, door.listen_port, door.ping_interval) == ("127.0.0.1", 5060, 2)
    assert door.carriers == ("203.0.113.10", "198.51.100.0/28")
    assert door.probe_failures == 2


def test_cluster_front_door_without_its_address_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"cluster\.front_door is needed"):
        kamailio.from_settings(ClusterSettings(), TrunkSettings(), tmp_path / "ctl")
