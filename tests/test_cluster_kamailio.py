"""kamailio.cfg and dispatcher.list rendered for the cluster's front door; Kamailio itself
checks the config (`kamailio -c`), so a module, parameter or route it rejects fails here."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from ivr.cluster.kamailio import FrontDoor, Node, config_text, dispatcher_list
from ivr.errors import ConfigError

NODES = (Node("127.0.0.2", 5080), Node("127.0.0.3"))


def door(tmp_path: Path, **fields: object) -> FrontDoor:
    return FrontDoor(nodes=NODES, ctl_socket=tmp_path / "ctl", **fields)  # type: ignore[arg-type]


def test_kamailio_dispatcher_list_one_line_per_node_in_set_1(tmp_path: Path) -> None:
    lines = dispatcher_list(door(tmp_path)).splitlines()

    assert lines[0].startswith("#")
    assert lines[1:] == ["1 sip:127.0.0.2:5080 0 0", "1 sip:127.0.0.3:5060 0 0"]


def test_kamailio_config_probes_every_node_and_fails_over(tmp_path: Path) -> None:
    text = config_text(door(tmp_path, ping_interval=2, node_timeout=1.5), tmp_path / "d.list")

    assert 'modparam("dispatcher", "ds_ping_interval", 2)' in text
    assert 'modparam("dispatcher", "ds_probing_mode", 1)' in text
    assert 'modparam("dispatcher", "flags", 2)' in text
    assert 'modparam("tm", "fr_timer", 1500)' in text
    assert f'modparam("dispatcher", "list_file", "{tmp_path / "d.list"}")' in text
    assert 'ds_select_dst("1", "4")' in text and "ds_next_dst()" in text
    assert "record_route();" in text
    assert "listen=udp:127.0.0.1:5060" in text


def test_kamailio_config_hash_algorithm_selects_by_call_id(tmp_path: Path) -> None:
    text = config_text(door(tmp_path, algorithm="hash_callid"), tmp_path / "d.list")

    assert 'ds_select_dst("1", "0")' in text


@pytest.mark.skipif(shutil.which("kamailio") is None, reason="make setup installs kamailio")
def test_kamailio_config_passes_kamailio_own_check(tmp_path: Path) -> None:
    front = door(tmp_path, listen_port=5999)
    (tmp_path / "d.list").write_text(dispatcher_list(front))
    (tmp_path / "k.cfg").write_text(config_text(front, tmp_path / "d.list"))

    done = subprocess.run(
        ["kamailio", "-c", "-f", str(tmp_path / "k.cfg")],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )

    assert done.returncode == 0, done.stderr[-2000:]
    assert "config file ok" in done.stdout + done.stderr


@pytest.mark.parametrize(
    ("fields", "word"),
    [
        ({"nodes": ()}, "at least one"),
        ({"listen_address": "ivr.example"}, "IPv4"),
        ({"listen_port": 0}, "listen port"),
        ({"algorithm": "by_load"}, "algorithm"),
        ({"ping_interval": 0}, "ping_interval"),
        ({"probe_failures": 0}, "probe_failures"),
        ({"node_timeout": 0.1}, "node_timeout"),
        ({"children": 0}, "children"),
    ],
)
def test_kamailio_front_door_bad_value_is_refused(
    tmp_path: Path, fields: dict[str, object], word: str
) -> None:
    with pytest.raises(ConfigError, match=word):
        FrontDoor(**{"nodes": NODES, "ctl_socket": tmp_path / "ctl", **fields})  # type: ignore[arg-type]


@pytest.mark.parametrize(("address", "port"), [("127.0.0.1;lr", 5060), ("127.0.0.1", 70000)])
def test_kamailio_node_bad_address_or_port_is_refused(address: str, port: int) -> None:
    with pytest.raises(ConfigError, match="node"):
        Node(address, port)
