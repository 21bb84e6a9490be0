"""An IVR node behind Kamailio ([cluster] role = "ivr"): pjsip_cluster.conf.

Every call reaches the node from Kamailio's address (cluster.front_door), so the node
knows Kamailio as one endpoint, by address and port (a PJSIP ``identify`` match): its
OPTIONS probes are answered 200 even with no anonymous endpoint (trunk.anonymous =
false), and only it is trusted to pass on P-Asserted-Identity (``trust_id_inbound``).
Kamailio removes that header from every request whose source is not the carrier's
(ivr/cluster/kamailio.py), so the identity a node believes is the carrier's, as on the
trunk. Calls land in [hajj-trunk-in] (the carrier's number forms) when a trunk is
configured, else in [hajj-front-door-in]; both mark whether the caller ID was asserted.

Without role "ivr" the file holds a comment and nothing about SIP changes.
"""

from __future__ import annotations

from ivr.clustercheck import sip_address
from ivr.config import Config

FILENAME = "pjsip_cluster.conf"
ENDPOINT = "hajj-front-door"  # endpoint, aor and identify alike
CONTEXT = "hajj-front-door-in"


def pjsip_text(config: Config) -> str:
    head = "; Generated from [cluster] by hajj-ivr: do not edit."
    cluster = config.cluster
    if not cluster.behind_front_door:
        return f'{head}\n; cluster.role is not "ivr": no front door.\n'
    host, port = sip_address(cluster.front_door, "cluster.front_door")
    trunk = config.trunk
    context = "hajj-trunk-in" if trunk.enabled else CONTEXT
    codecs = ",".join(trunk.codec_list()) if trunk.enabled else "alaw,ulaw"
    endpoint = [
        f"[{ENDPOINT}](caller-template)",
        f"context = {context}",
        "disallow = all",
        f"allow = {codecs}",
        f"aors = {ENDPOINT}",
        # Kamailio passes on the carrier's P-Asserted-Identity and removes anyone else's.
        "trust_id_inbound = yes",
        # Kamailio stays in the path (Record-Route): its Contact is the caller's, kept as
        # sent so the node's BYE follows the route set, not Kamailio's own address.
        "rewrite_contact = no",
    ]
    aor = [f"[{ENDPOINT}]", "type = aor", f"contact = sip:{host}:{port}"]
    # With its port: a phone on Kamailio's machine (another port) is not Kamailio.
    identify = [f"[{ENDPOINT}]", "type = identify", f"endpoint = {ENDPOINT}"]
    identify.append(f"match = {host}:{port}")
    return "\n\n".join([head, "\n".join(endpoint), "\n".join(aor), "\n".join(identify)]) + "\n"
