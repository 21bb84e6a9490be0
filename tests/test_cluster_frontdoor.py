"""An IVR node behind Kamailio (ivr/asterisk/frontdoor.py) and the front door's identity
rule (ivr/cluster/kamailio.py): without role "ivr" nothing changes; with it Kamailio is
one endpoint, known by address and port, the only one besides the carrier's that trusts
P-Asserted-Identity, and Kamailio strips that header from everyone but the carrier.
Real SIP: tests/test_cluster.py."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from ivr import config as config_mod
from ivr.asterisk import frontdoor
from ivr.cluster import kamailio
from ivr.errors import ConfigError
from ivr.settings import ClusterSettings, TrunkSettings

NODE = {"cluster.role": "ivr", "cluster.front_door": "10.0.0.5:5060"}


def _section(text: str, head: str) -> str:
    return text.split(head, 1)[1].split("\n\n", 1)[0]


def test_frontdoor_one_node_renders_nothing() -> None:
    text = frontdoor.pjsip_text(config_mod.load(env={}))
    assert "[hajj-front-door]" not in text and "no front door" in text


def test_frontdoor_ivr_node_knows_kamailio_by_address_and_port_trusts_its_pai() -> None:
    text = frontdoor.pjsip_text(config_mod.load(env={}, overrides=NODE))
    endpoint = _section(text, "[hajj-front-door](caller-template)")
    assert "trust_id_inbound = yes" in endpoint and "rewrite_contact = no" in endpoint
    assert "context = hajj-front-door-in" in endpoint  # no trunk: any number, kept
    identify = _section(text, "[hajj-front-door]\ntype = identify")
    assert "match = 10.0.0.5:5060" in identify.splitlines()


def test_frontdoor_with_a_trunk_calls_land_on_the_carriers_number_forms() -> None:
    overrides = {**NODE, "trunk.addresses": "203.0.113.10", "trunk.codecs": "alaw"}
    text = frontdoor.pjsip_text(config_mod.load(env={}, overrides=overrides))
    endpoint = _section(text, "[hajj-front-door](caller-template)")
    assert "context = hajj-trunk-in" in endpoint and "allow = alaw" in endpoint


def test_frontdoor_ivr_node_needs_no_anonymous_endpoint_nor_a_trunk() -> None:
    config = config_mod.load(env={}, overrides={**NODE, "trunk.anonymous": False})
    assert not config.trunk.anonymous and not config.trunk.enabled
    with pytest.raises(ConfigError, match=r"trunk\.anonymous = false needs trunk\.addresses"):
        config_mod.load(env={}, overrides={"trunk.anonymous": False})


def _door(tmp_path: Path, addresses: str = "") -> kamailio.FrontDoor:
    cluster = ClusterSettings(front_door="127.0.0.1:5060", ivr_nodes=("127.0.0.2:5060",))
    return kamailio.from_settings(cluster, TrunkSettings(addresses=addresses), tmp_path / "c")


def _strip_rule(text: str) -> str:
    return text.split("# The IVR nodes trust", 1)[1].split("# Kamailio's own liveness", 1)[0]


def test_frontdoor_kamailio_strips_identity_from_all_but_the_carrier(tmp_path: Path) -> None:
    door = _door(tmp_path, "203.0.113.10, 198.51.100.0/28")
    rule = _strip_rule(kamailio.config_text(door, tmp_path / "list"))
    assert 'if (!is_in_subnet("$si", "203.0.113.10/32,198.51.100.0/28")) {' in rule
    for header in ("P-Asserted-Identity", "P-Preferred-Identity", "Remote-Party-ID"):
        assert f'remove_hf("{header}");' in rule


def test_frontdoor_kamailio_without_a_carrier_strips_every_identity(tmp_path: Path) -> None:
    rule = _strip_rule(kamailio.config_text(_door(tmp_path), tmp_path / "list"))
    assert "if (true) {" in rule and 'remove_hf("P-Asserted-Identity");' in rule


@pytest.mark.skipif(shutil.which("kamailio") is None, reason="make setup installs kamailio")
def test_frontdoor_kamailio_accepts_the_rule(tmp_path: Path) -> None:
    for door in (_door(tmp_path, "203.0.113.10"), _door(tmp_path)):
        cfg = tmp_path / "kamailio.cfg"
        (tmp_path / "list").write_text(kamailio.dispatcher_list(door))
        cfg.write_text(kamailio.config_text(door, tmp_path / "list"))
        done = subprocess.run(["kamailio", "-c", "-f", str(cfg)], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr[-2000:]


def test_frontdoor_bad_carrier_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="carrier 'x' is not an IPv4 network"):
        kamailio.FrontDoor(nodes=(kamailio.Node("127.0.0.2"),), carriers=("x",))
