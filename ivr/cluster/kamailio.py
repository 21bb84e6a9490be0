"""Kamailio as the cluster's SIP front door: kamailio.cfg and dispatcher.list.

Callers (the carrier) send every INVITE to Kamailio; its dispatcher module spreads new calls
over the IVR nodes' Asterisks (set 1) and stays in the signalling path (record_route) so a
call's BYE follows it. Kamailio sends SIP OPTIONS to every node every ``ping_interval``
seconds (probing mode 1: active nodes too, not only failed ones); a node that does not
answer ``probe_failures`` probes in a row is marked inactive and gets no new calls until a
probe succeeds again. A new call whose node answers 5xx, or nothing within ``node_timeout``
seconds, is tried on the next node and the first is marked inactive at once: the caller
waits a few seconds, not until the next probe.

Kamailio's dispatcher does not move audio: RTP runs between the caller and the node.
Docs: https://www.kamailio.org/docs/modules/5.6.x/modules/dispatcher.html
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from pathlib import Path

from ivr.clustercheck import sip_address
from ivr.errors import ConfigError
from ivr.settings import ClusterSettings, TrunkSettings

DISPATCHER_SET = 1  # the IVR nodes; an agent node's set comes later
# ds_select_dst's algorithm numbers (dispatcher module, 5.6): 4 takes the nodes in turn,
# 0 hashes the Call-ID (a retransmitted INVITE reaches the same node without state).
ALGORITHMS = {"round_robin": 4, "hash_callid": 0}


@dataclass(frozen=True)
class Node:
    """One IVR node's Asterisk: the SIP address Kamailio relays new calls to."""

    address: str
    port: int = 5060

    def __post_init__(self) -> None:
        _check_address(self.address, "node address")
        _check_port(self.port, "node port")

    @property
    def uri(self) -> str:
        return f"sip:{self.address}:{self.port}"


@dataclass(frozen=True)
class FrontDoor:
    """What kamailio.cfg is rendered from: ``from_settings`` builds it from ``[cluster]``."""

    nodes: tuple[Node, ...]
    listen_address: str = "127.0.0.1"
    listen_port: int = 5060
    ping_interval: int = 3  # seconds between OPTIONS probes to each node
    probe_failures: int = 1  # unanswered probes in a row before a node is marked inactive
    node_timeout: float = 2.0  # seconds a node may leave a new call unanswered
    algorithm: str = "round_robin"
    ctl_socket: Path = field(default=Path("/run/hajj-ivr/kamailio_ctl"))
    children: int = 2  # UDP worker processes
    # The carrier's addresses or networks (trunk.addresses): only a request from one of
    # them keeps its P-Asserted-Identity; the nodes trust the header because of this.
    carriers: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for carrier in self.carriers:
            try:
                ipaddress.IPv4Network(carrier, strict=False)
            except ValueError:
                raise ConfigError(f"cluster: carrier {carrier!r} is not an IPv4 network") from None
        if not self.nodes:
            raise ConfigError("cluster: at least one IVR node for Kamailio to dispatch to")
        _check_address(self.listen_address, "listen address")
        _check_port(self.listen_port, "listen port")
        if self.algorithm not in ALGORITHMS:
            raise ConfigError(f"cluster: algorithm must be one of {', '.join(ALGORITHMS)}")
        if not 1 <= self.ping_interval <= 60:
            raise ConfigError("cluster: ping_interval is 1 to 60 seconds")
        if not 1 <= self.probe_failures <= 10:
            raise ConfigError("cluster: probe_failures is 1 to 10")
        if not 0.5 <= self.node_timeout <= 30:
            raise ConfigError("cluster: node_timeout is 0.5 to 30 seconds")
        if not 1 <= self.children <= 64:
            raise ConfigError("cluster: children is 1 to 64")


# A node is inactive after two unanswered probes in a row, not one: a node busy for one
# probe's timeout at a peak is not dead, and a call sent to a dead one in between still
# fails over to the next node at once (the failure route marks it inactive itself).
PROBE_FAILURES = 2


def from_settings(
    cluster: ClusterSettings, trunk: TrunkSettings, ctl_socket: Path, children: int = 2
) -> FrontDoor:
    """The front door a ``[cluster]`` section describes: Kamailio listening on
    ``front_door``, dispatching over ``ivr_nodes``, trusting the identity only the
    carrier (``trunk.addresses``) asserts."""
    if not cluster.front_door:
        raise ConfigError("cluster.front_door is needed for Kamailio (its host:port)")
    host, port = sip_address(cluster.front_door, "cluster.front_door")
    nodes = tuple(Node(*sip_address(address, "cluster.ivr_nodes")) for address in cluster.ivr_nodes)
    return FrontDoor(
        nodes=nodes,
        listen_address=host,
        listen_port=port,
        ping_interval=cluster.ping_interval,
        probe_failures=PROBE_FAILURES,
        ctl_socket=ctl_socket,
        children=children,
        carriers=tuple(trunk.address_list()),
    )


def _check_address(address: str, what: str) -> None:
    # An IP, not a name: the address goes into config lines and SIP URIs unquoted.
    try:
        ipaddress.IPv4Address(address)
    except ValueError:
        raise ConfigError(f"cluster: {what} must be an IPv4 address, not {address!r}") from None


def _check_port(port: int, what: str) -> None:
    if not 1 <= port <= 65535:
        raise ConfigError(f"cluster: {what} must be 1 to 65535, not {port}")


def dispatcher_list(door: FrontDoor) -> str:
    """dispatcher.list: ``setid destination flags priority`` per node."""
    lines = ["# Rendered by hajj-ivr (ivr/cluster/kamailio.py): do not edit."]
    lines += [f"{DISPATCHER_SET} {node.uri} 0 0" for node in door.nodes]
    return "\n".join(lines) + "\n"


def config_text(door: FrontDoor, list_file: Path) -> str:
    """kamailio.cfg for the front door whose dispatcher.list is at ``list_file``."""
    return "\n".join(
        [_globals(door), _modules(), _params(door, list_file), ROUTES.format(**_route_values(door))]
    )


def _globals(door: FrontDoor) -> str:
    return f"""#!KAMAILIO
# Rendered by hajj-ivr (ivr/cluster/kamailio.py): the cluster's SIP front door. Do not edit.
debug=2
children={door.children}
listen=udp:{door.listen_address}:{door.listen_port}
# Only the listen address is "myself": no DNS lookups of the host's names.
auto_aliases=no
dns=no
rev_dns=no
"""


def _modules() -> str:
    names = ["ctl", "tm", "sl", "rr", "pv", "maxfwd", "textops", "siputils", "xlog", "ipops"]
    names.append("dispatcher")
    return "\n".join(f'loadmodule "{name}.so"' for name in names) + "\n"


def _params(door: FrontDoor, list_file: Path) -> str:
    timeout_ms = int(door.node_timeout * 1000)
    return f"""# kamcmd -s unix:{door.ctl_socket} dispatcher.list: the nodes and their state
modparam("ctl", "binrpc", "unix:{door.ctl_socket}")
# A node that leaves a new call (or a probe) unanswered this long is treated as dead.
modparam("tm", "fr_timer", {timeout_ms})
modparam("dispatcher", "list_file", "{list_file}")
# flags 2: keep the other nodes of the set, so the failure route can try the next one.
modparam("dispatcher", "flags", 2)
modparam("dispatcher", "ds_ping_method", "OPTIONS")
modparam("dispatcher", "ds_ping_from", "sip:kamailio@{door.listen_address}")
modparam("dispatcher", "ds_ping_interval", {door.ping_interval})
# Mode 1 probes every node, the active ones too: a node that dies between calls is found
# by its missing answers, not by the first caller sent to it.
modparam("dispatcher", "ds_probing_mode", 1)
# Failed probes before an active node is inactive (below it the node is "trying", still
# chosen); one answered probe makes an inactive node active again.
modparam("dispatcher", "ds_probing_threshold", {door.probe_failures})
modparam("dispatcher", "ds_inactive_threshold", 1)
# Only a 2xx answer to OPTIONS is a healthy node (Asterisk answers 200 when Kamailio's
# address matches an endpoint). Never accept 408: tm makes one up for an unanswered probe.
modparam("dispatcher", "ds_ping_reply_codes", "class=2")
"""


def _route_values(door: FrontDoor) -> dict[str, str]:
    return {
        "set": str(DISPATCHER_SET),
        "algorithm": str(ALGORITHMS[door.algorithm]),
        "untrusted": _untrusted(door),
        "strip": "\n".join(f'        remove_hf("{h}");' for h in IDENTITY_HEADERS),
    }


# The headers a UA asserts (or asks to assert) a caller's identity with; Asterisk's
# trust_id_inbound believes P-Asserted-Identity and Remote-Party-ID.
IDENTITY_HEADERS = ("P-Asserted-Identity", "P-Preferred-Identity", "Remote-Party-ID")


def _untrusted(door: FrontDoor) -> str:
    """The condition under which a request's identity headers are removed: its source is
    not one of the carrier's networks (no carrier: always)."""
    if not door.carriers:
        return "true"
    networks = ",".join(str(ipaddress.IPv4Network(c, strict=False)) for c in door.carriers)
    return f'!is_in_subnet("$si", "{networks}")'


# Braces doubled for str.format.
ROUTES = """request_route {{
    if (!mf_process_maxfwd_header("10")) {{
        sl_send_reply("483", "Too Many Hops");
        exit;
    }}
    # The IVR nodes trust the caller's identity Kamailio passes on (trust_id_inbound on
    # their front-door endpoint): only the carrier's may reach them.
    if ({untrusted}) {{
{strip}
    }}
    # Kamailio's own liveness: OPTIONS to the front door itself.
    if (is_method("OPTIONS") && uri == myself && $rU == $null) {{
        sl_send_reply("200", "OK");
        exit;
    }}
    # In-dialog requests (ACK, BYE, re-INVITE) follow the Route headers record_route left.
    if (has_totag()) {{
        if (loose_route() || is_method("ACK")) {{
            t_relay();
        }} else {{
            sl_send_reply("404", "Not Here");
        }}
        exit;
    }}
    if (is_method("CANCEL")) {{
        if (t_check_trans()) {{
            t_relay();
        }}
        exit;
    }}
    # A retransmitted INVITE belongs to its transaction: not a new call.
    t_check_trans();
    if (!is_method("INVITE")) {{
        sl_send_reply("405", "Method Not Allowed");
        exit;
    }}
    record_route();
    if (!ds_select_dst("{set}", "{algorithm}")) {{
        xlog("L_WARN", "no IVR node active: 503 to $ci\\n");
        sl_send_reply("503", "No IVR Node Available");
        exit;
    }}
    xlog("L_INFO", "new call $ci from $fU to node $du\\n");
    t_on_failure("NEXT_NODE");
    t_relay();
    exit;
}}

# A node that answers 5xx or nothing: mark it inactive (probing brings it back) and try
# the next node of the set, until none is left.
failure_route[NEXT_NODE] {{
    if (t_is_canceled()) {{
        exit;
    }}
    if (t_check_status("5[0-9][0-9]") || (t_branch_timeout() && !t_branch_replied())) {{
        xlog("L_WARN", "node $du failed $ci: marked inactive\\n");
        ds_mark_dst("ip");
        if (ds_next_dst()) {{
            xlog("L_INFO", "call $ci to next node $du\\n");
            t_on_failure("NEXT_NODE");
            t_relay();
            exit;
        }}
        t_reply("503", "No IVR Node Available");
    }}
}}

# The probes' verdicts, for the node's log (and its operator): $ru is the node.
event_route[dispatcher:dst-down] {{
    xlog("L_WARN", "IVR node down: $ru\n");
}}

event_route[dispatcher:dst-up] {{
    xlog("L_NOTICE", "IVR node up: $ru\n");
}}
"""
