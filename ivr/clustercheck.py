"""The checks of the [cluster] section (ivr/settings.py ClusterSettings) and the SIP
"host:port" addresses it holds: an error names the key and the bad value."""

from __future__ import annotations

import ipaddress
import re
from typing import Protocol

from ivr.errors import ConfigError


class Cluster(Protocol):
    """What is checked: ivr/settings.py ClusterSettings (which imports this module)."""

    @property
    def role(self) -> str: ...
    @property
    def node(self) -> str: ...
    @property
    def front_door(self) -> str: ...
    @property
    def ivr_nodes(self) -> tuple[str, ...]: ...
    @property
    def agent_nodes(self) -> tuple[str, ...]: ...
    @property
    def ping_interval(self) -> int: ...
    @property
    def silent_after(self) -> int: ...


# What a node is in a cluster ([cluster] role): "" is one node on its own (make run).
ROLES = ("", "ivr", "agent")


def sip_address(text: str, key: str) -> tuple[str, int]:
    """ "host:port" (an IPv4 address: it goes into config lines and SIP URIs unquoted) as
    (host, port); the error names the key."""
    host, sep, port = text.rpartition(":")
    try:
        ipaddress.IPv4Address(host)
        number = int(port)
    except ValueError:
        number = 0
    if not sep or not 1 <= number <= 65535:
        raise ConfigError(f'{key} = {text!r} is not an IPv4 host:port ("10.0.0.5:5060")')
    return host, number


_NODE_NAME = re.compile(r"[A-Za-z0-9._:-]{1,64}")


def validate(c: Cluster) -> None:
    if c.role not in ROLES:
        raise ConfigError(f'cluster.role = {c.role!r}: use "", "ivr" or "agent"')
    if c.node and not _NODE_NAME.fullmatch(c.node):
        raise ConfigError(f"cluster.node = {c.node!r}: letters, digits and ._:- (64 at most)")
    if c.front_door:
        sip_address(c.front_door, "cluster.front_door")
    for key in ("ivr_nodes", "agent_nodes"):
        addresses = getattr(c, key)
        for address in addresses:
            sip_address(address, f"cluster.{key}")
        if len(set(addresses)) < len(addresses):
            raise ConfigError(f"cluster.{key} names an address twice")
    if c.role == "ivr" and not (c.front_door or c.agent_nodes):
        raise ConfigError(
            'cluster.role = "ivr" needs cluster.front_door (Kamailio\'s host:port) or '
            "cluster.agent_nodes (where the agents are)"
        )
    if c.role == "agent" and not c.ivr_nodes:
        raise ConfigError('cluster.role = "agent" needs cluster.ivr_nodes (who hands calls over)')
    if not 1 <= c.ping_interval <= 60:
        raise ConfigError(f"cluster.ping_interval = {c.ping_interval} must be 1 to 60 seconds")
    if not 15 <= c.silent_after <= 3600:  # 15: three heartbeats, what the nodes page calls stale
        raise ConfigError(f"cluster.silent_after = {c.silent_after} must be 15 to 3600 seconds")
