"""The handover between nodes as Asterisk config: pjsip_cluster.conf and the dialplan's
cluster contexts, by ``[cluster] role``.

Role "ivr": the queues are not here. Where a call would enter app_queue ([hajj-agent],
after the controller, or straight from the controller-down path) it is dialled to the
agent node over PJSIP instead, the queue's name in the request URI and every handover
field as an ``X-Hajj-<Field>`` header ([hajj-handover-headers], a pre-dial handler on the
outgoing channel). The agent nodes are tried in order: the next one only when the one
before is unreachable (CHANUNAVAIL: its qualify failed; CONGESTION: it refused or timed
out), so a standby takes over without a config change. The agent node answers and the
caller hears its music and announcements.

Role "agent": each IVR node is an endpoint known by its address (PJSIP identify) in
[hajj-from-ivr-node], the only context that reads X-Hajj-* headers: it turns them back
into the HAJJ_* variables and enters the same [hajj-agent] as one node does. A request
from any other address reaches its usual endpoint (the anonymous one, an agent's phone,
the trunk), whose contexts never read those headers: a caller who sends them changes
nothing.

Role "": the file holds a comment, and the dialplan is exactly one node's.

Values are plain words already (ivr.handover's encoder; the dialplan's own words); both
sides still keep only ``ALLOWED`` characters and ``CAP`` of them, so a header can carry
neither a line break nor anything the dialplan would parse, whatever set the variable.
"""

from __future__ import annotations

import re

from ivr import chanvars, handover
from ivr.config import Config

FILENAME = "pjsip_cluster.conf"
# The queues an agent node takes calls for (queues.conf): the request URI's user.
QUEUES = ("hajj-tier1", "hajj-tier2", "hajj-tier3")
QUEUE_PATTERN = "^hajj-tier[1-3]$"  # REGEX() of QUEUES: what goes into a Dial string
# What crosses with the call: every handover field but the queue (the request URI says
# it), and how far the caller ID is trusted (a callback on the agent node offers it back).
CARRIED: tuple[str, ...] = (
    *(n for n in handover.NAMES if n != chanvars.QUEUE),
    chanvars.CALLER_TRUST,
)
# FILTER()'s allowed characters (no "-": FILTER reads it as a range) and the same set as
# a regex, for tests and for anything in Python that checks a value before it is sent.
ALLOWED = "A-Za-z 0-9_"
PLAIN = re.compile(r"[A-Za-z 0-9_]*")
CAP = 100  # characters a header value keeps: the longest real one (topics) is far below
# The IVR node's id of the call (an Asterisk UNIQUEID: "1733130000.12", or an Originate's
# ChannelId such as "hajj-test-1f2e"): letters, digits, "_", "." and "-". FILTER reads "-"
# as a range, so "--." is the range from "-" to "." (those two characters).
CALL_ID_ALLOWED, CALL_ID_CAP = "--.0-9A-Za-z_", 64
# Endpoints (and their aor/identify): one per node, numbered in the configured order.
AGENT_NODE = "hajj-agent-node"
IVR_NODE = "hajj-ivr-node"


def header(variable: str) -> str:
    """HAJJ_CALLBACK_ID -> X-Hajj-Callback-Id."""
    words = variable.removeprefix("HAJJ_").split("_")
    return "X-Hajj-" + "-".join(w.capitalize() for w in words)


def plain(text: str) -> str:
    """What a header keeps of ``text``: FILTER(ALLOWED) then the first CAP characters."""
    return "".join(PLAIN.findall(text))[:CAP]


def sip_host(address: str) -> str:
    """ "127.0.0.4:5060" -> "127.0.0.4" (an identify match)."""
    return address.partition(":")[0]


def endpoint(prefix: str, index: int) -> str:
    return f"{prefix}-{index + 1}"


# --- pjsip_cluster.conf ------------------------------------------------------------------


def pjsip_text(config: Config) -> str:
    cluster = config.cluster
    head = "; Generated from [cluster] by hajj-ivr: do not edit."
    if cluster.hands_over:
        sections = [_agent_node(config, i, a) for i, a in enumerate(cluster.agent_nodes)]
    elif cluster.role == "agent":
        # Known by address: two IVR nodes on one host (other ports) are one endpoint.
        hosts = dict.fromkeys(sip_host(a) for a in cluster.ivr_nodes)
        sections = [_ivr_node(i, host) for i, host in enumerate(hosts)]
    else:
        return f'{head}\n; cluster.role = "": one node, no other node to reach.\n'
    return "\n\n".join([head, *sections]) + "\n"


def _agent_node(config: Config, index: int, address: str) -> str:
    """An IVR node's way to one agent node: dialled only, never identified (nothing comes
    from an agent node but answers within our own dialogs)."""
    name = endpoint(AGENT_NODE, index)
    contact = address if ":" in address else f"{address}:5060"
    return "\n".join(
        [
            f"[{name}](caller-template)",
            "context = hajj-from-agent-node",
            f"aors = {name}",
            "",
            f"[{name}]",
            "type = aor",
            f"contact = sip:{contact}",
            # Probed with OPTIONS: a dead agent node is CHANUNAVAIL at once, and the next
            # in cluster.agent_nodes takes the call.
            f"qualify_frequency = {config.cluster.ping_interval}",
            f"qualify_timeout = {max(0.5, config.cluster.ping_interval * 0.8):.1f}",
        ]
    )


def _ivr_node(index: int, address: str) -> str:
    """An agent node's endpoint for one IVR node: known by its address only."""
    name = endpoint(IVR_NODE, index)
    return "\n".join(
        [
            f"[{name}](caller-template)",
            "context = hajj-from-ivr-node",
            "",
            f"[{name}]",
            "type = identify",
            f"endpoint = {name}",
            f"match = {sip_host(address)}",
        ]
    )


# --- the dialplan ------------------------------------------------------------------------


def dialplan_values(config: Config) -> dict[str, str]:
    """extensions.conf's placeholders: the line [hajj-agent] hands over on, and the
    cluster's contexts."""
    role = config.cluster.role
    if config.cluster.hands_over:
        handoff = " same => n,Goto(hajj-to-agent-node,s,1)"
        contexts = _to_agent_node(config) + "\n\n" + _headers_out()
    elif role == "agent":
        handoff = " ; cluster.role = agent: the queues are here"
        contexts = _from_ivr_node() + "\n\n" + _headers_in()
    else:
        handoff = " ; one node: the queues are here"
        contexts = '; cluster.role = "": one node, no handover between nodes.'
    return {"agent_node_handoff": handoff, "cluster_contexts": contexts}


def _to_agent_node(config: Config) -> str:
    lines = [
        "; Cluster role ivr: the agents are on the agent node (ivr/asterisk/agentnode.py).",
        "; The agent nodes in order; the next only when the one before is unreachable.",
        "[hajj-to-agent-node]",
        f'exten => s,1,ExecIf($[!${{REGEX("{QUEUE_PATTERN}" ${{HAJJ_QUEUE}})}}]'
        "?Set(__HAJJ_QUEUE=${HAJJ_FIRST_QUEUE}))",
        # Set without "__" where it is set (the trunk, the anonymous endpoint): the
        # outgoing channel, where the headers are added, inherits it only like this.
        f" same => n,Set(__{chanvars.CALLER_TRUST}=${{{chanvars.CALLER_TRUST}}})",
        # This channel is the one the controller logged: its id names the call's log.
        f" same => n,Set(__{chanvars.IVR_CALL}=${{UNIQUEID}})",
    ]
    for index in range(len(config.cluster.agent_nodes)):
        name = endpoint(AGENT_NODE, index)
        lines += [
            f" same => n,Dial(PJSIP/${{HAJJ_QUEUE}}@{name},,b(hajj-handover-headers^s^1))",
            ' same => n,GotoIf($["${DIALSTATUS}" != "CHANUNAVAIL"'
            ' & "${DIALSTATUS}" != "CONGESTION"]?end)',
        ]
    lines += [
        " same => n,UserEvent(HajjAgentNodeUnreachable,Queue: ${HAJJ_QUEUE})",
        " same => n,Playback(hajj/agents-unavailable)",
        " same => n(end),Hangup()",
        "",
        "; Nothing is taken from an agent node (its endpoint is dialled, never identified).",
        "[hajj-from-agent-node]",
        "exten => s,1,Hangup()",
    ]
    return "\n".join(lines)


def _headers_out() -> str:
    """The pre-dial handler: runs on the outgoing channel, which inherited the caller's
    HAJJ_* (``__``) variables; an empty value adds no header."""
    lines = ["[hajj-handover-headers]", "exten => s,1,NoOp(handover headers)"]
    for variable in CARRIED:
        lines += [
            f" same => n,Set(LOCAL(text)=${{FILTER({ALLOWED},${{{variable}}})}})",
            f' same => n,ExecIf($["${{text}}" != ""]'
            f"?Set(PJSIP_HEADER(add,{header(variable)})=${{text:0:{CAP}}}))",
        ]
    ivr_call, allowed, cap = chanvars.IVR_CALL, CALL_ID_ALLOWED, CALL_ID_CAP
    lines += [
        f" same => n,Set(LOCAL(text)=${{FILTER({allowed},${{{ivr_call}}})}})",
        f' same => n,ExecIf($["${{text}}" != ""]'
        f"?Set(PJSIP_HEADER(add,{header(ivr_call)})=${{text:0:{cap}}}))",
        " same => n,Return()",
    ]
    return "\n".join(lines)


def _from_ivr_node() -> str:
    lines = [
        "; Cluster role agent: calls an IVR node hands over (pjsip_cluster.conf: its endpoint",
        "; is known by address). The queue is the request URI's user; any other is 404.",
        "[hajj-from-ivr-node]",
    ]
    for queue in QUEUES:
        lines += [
            f"exten => {queue},1,Gosub(hajj-handover-read,s,1)",
            " same => n,Set(__HAJJ_ROUTE=hotline)",
            " same => n,Set(__HAJJ_QUEUE=${EXTEN})",
            " same => n,Answer()",
            " same => n,Goto(hajj-agent,s,1)",
        ]
    return "\n".join(lines)


def _headers_in() -> str:
    """The X-Hajj-* headers into HAJJ_* variables (``__``: inherited by the agent's leg):
    reached only from [hajj-from-ivr-node]."""
    lines = ["[hajj-handover-read]", "exten => s,1,NoOp(handover from the IVR node)"]
    for variable in CARRIED:
        lines += [
            f" same => n,Set(LOCAL(text)=${{PJSIP_HEADER(read,{header(variable)})}})",
            f" same => n,Set(__{variable}=${{FILTER({ALLOWED},${{text:0:{CAP}}})}})",
        ]
    ivr_call, allowed, cap = chanvars.IVR_CALL, CALL_ID_ALLOWED, CALL_ID_CAP
    lines += [
        f" same => n,Set(LOCAL(text)=${{PJSIP_HEADER(read,{header(ivr_call)})}})",
        f" same => n,Set(__{ivr_call}=${{FILTER({allowed},${{text:0:{cap}}})}})",
        " same => n,Return()",
    ]
    return "\n".join(lines)
