"""The handover between cluster nodes as rendered config (ivr/asterisk/agentnode.py): with
role "" nothing changes; an IVR node dials the agent nodes in order with every handover
field as a checked, capped X-Hajj-* header; the agent node reads those headers only from
the IVR nodes' endpoints (known by address), and no other endpoint's context reaches that
reading. Real calls: tests/test_call_agentnode.py."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from pathlib import Path

import pytest

from ivr import chanvars, handover, wiring
from ivr import config as config_mod
from ivr.asterisk import agentnode, trunk
from ivr.asterisk.render import render_text, values_for
from ivr.asterisk.sandbox import AsteriskInstall
from ivr.config import PROJECT_DIR, Config
from ivr.errors import ConfigError
from ivr.secrets import Secrets

DIALPLAN = PROJECT_DIR / "dialplan"
SECRETS = Secrets(**{f.name: "s" for f in dataclasses.fields(Secrets)})
INSTALL = AsteriskInstall(("asterisk",), Path("/m"), Path("/d"), "system")
IVR = {"cluster.role": "ivr", "cluster.agent_nodes": ["10.0.0.4:5070", "10.0.0.5:5060"]}
AGENT = {"cluster.role": "agent", "cluster.ivr_nodes": ["10.0.0.2:5060", "10.0.0.3:5060"]}
# Contexts a request lands in from an endpoint that is not an IVR node's: the anonymous
# caller, the demo phone (hajj-inbound), the carrier, agents' and supervisors' phones.
OTHER_ENDPOINTS = ("hajj-inbound", "hajj-trunk-in", "hajj-agent-phone", "hajj-supervisor-phone")


def _load(overrides: Mapping[str, object] | None = None) -> Config:
    return config_mod.load(
        env={}, overrides={"trunk.addresses": "203.0.113.10", **(overrides or {})}
    )


def _rendered(config: Config, name: str) -> str:
    values = values_for(config, INSTALL, SECRETS)
    return render_text((DIALPLAN / name).read_text(), values, name)


def _contexts(extensions: str) -> dict[str, list[str]]:
    """Each [context]'s dialplan lines (comments dropped)."""
    found: dict[str, list[str]] = {}
    current = ""
    for line in extensions.splitlines():
        head = re.fullmatch(r"\[([\w-]+)\]", line.strip())
        if head:
            current = head[1]
            found[current] = []
        elif current and line.strip() and not line.strip().startswith(";"):
            found[current].append(line)
    return found


def _reachable(contexts: dict[str, list[str]], start: str) -> set[str]:
    """Contexts a call in ``start`` can get to: Goto, Gosub, a Dial's b()/U() handler."""
    seen, todo = set[str](), [start]
    while todo:
        name = todo.pop()
        if name in seen or name not in contexts:
            continue
        seen.add(name)
        for line in contexts[name]:
            todo += [n for n in re.findall(r"(hajj-[\w-]+)[,^]", line) if n in contexts]
    return seen


# --- one node ----------------------------------------------------------------------------


def test_agentnode_role_empty_renders_one_node_unchanged() -> None:
    config = _load()
    extensions = _rendered(config, "extensions.conf")
    contexts = _contexts(extensions)
    assert "X-Hajj" not in extensions and "PJSIP_HEADER(add" not in extensions
    assert not {"hajj-to-agent-node", "hajj-from-ivr-node", "hajj-handover-read"} & set(contexts)
    agent = contexts["hajj-agent"]
    assert not any("hajj-to-agent-node" in line for line in agent)
    assert sum("Queue(${HAJJ_QUEUE}" in line for line in agent) == 2  # waiting, fallback
    # The placeholders leave comments: the dialplan's lines are the template's.
    template = (DIALPLAN / "extensions.conf").read_text()
    assert len(agent) == len(_contexts(template)["hajj-agent"]) - 1
    assert "type =" not in agentnode.pjsip_text(config)


# --- an IVR node -------------------------------------------------------------------------


def test_agentnode_ivr_role_hands_over_where_the_queue_was_entered() -> None:
    contexts = _contexts(_rendered(_load(IVR), "extensions.conf"))
    agent = contexts["hajj-agent"]
    handoff = agent.index(" same => n,Goto(hajj-to-agent-node,s,1)")
    # After the variables and the HajjToAgent event, before any Queue or callback offer:
    # the controller-down path (controller_unreachable) comes through here too.
    assert any("UserEvent(HajjToAgent" in line for line in agent[:handoff])
    assert not any("Queue(" in line or "AGI(" in line for line in agent[:handoff])
    assert "hajj-agent" in _reachable(contexts, "hajj-ivr")


def test_agentnode_ivr_role_dials_agent_nodes_in_order_next_only_when_unreachable() -> None:
    config = _load(IVR)
    to = _contexts(_rendered(config, "extensions.conf"))["hajj-to-agent-node"]
    dials = [i for i, line in enumerate(to) if "Dial(" in line]
    assert [re.findall(r"@(hajj-agent-node-\d)", to[i]) for i in dials] == [
        ["hajj-agent-node-1"],
        ["hajj-agent-node-2"],
    ]
    for i in dials:
        assert "PJSIP/${HAJJ_QUEUE}@" in to[i] and "b(hajj-handover-headers^s^1)" in to[i]
        nxt = to[i + 1]
        assert (
            '"${DIALSTATUS}" != "CHANUNAVAIL"' in nxt and '"${DIALSTATUS}" != "CONGESTION"' in nxt
        )
        assert nxt.endswith("?end)")
    assert to[0].startswith("exten => s,1,ExecIf($[!${REGEX(") and "HAJJ_FIRST_QUEUE" in to[0]
    assert all(re.fullmatch(agentnode.QUEUE_PATTERN, q) for q in agentnode.QUEUES)
    assert any("Playback(hajj/agents-unavailable)" in line for line in to[dials[-1] :])
    pjsip = agentnode.pjsip_text(config)
    assert pjsip.index("contact = sip:10.0.0.4:5070") < pjsip.index("contact = sip:10.0.0.5:5060")
    assert pjsip.count(f"qualify_frequency = {config.cluster.ping_interval}") == 2
    assert "type = identify" not in pjsip  # dialled only: nothing comes in from them


def test_agentnode_ivr_role_adds_every_handover_field_as_a_filtered_capped_header() -> None:
    extensions = _rendered(_load(IVR), "extensions.conf")
    handler = "\n".join(_contexts(extensions)["hajj-handover-headers"])
    fields = [n for n in handover.NAMES if n != chanvars.QUEUE]  # the queue: request URI
    for variable in [*fields, chanvars.CALLER_TRUST]:
        name = agentnode.header(variable)
        assert f"FILTER({agentnode.ALLOWED},${{{variable}}})" in handler
        assert f"PJSIP_HEADER(add,{name})=${{text:0:{agentnode.CAP}}}" in handler
    assert agentnode.header(chanvars.QUEUE) not in handler
    assert "PJSIP_HEADER(read,X-Hajj" not in extensions  # an IVR node never reads them
    # The call's id on this node (its call log's) crosses too, filtered (no line break, no comma).
    to_node = "\n".join(_contexts(extensions)["hajj-to-agent-node"])
    assert f"Set(__{chanvars.IVR_CALL}=${{UNIQUEID}})" in to_node
    assert f"FILTER({agentnode.CALL_ID_ALLOWED},${{{chanvars.IVR_CALL}}})" in handler
    assert "PJSIP_HEADER(add,X-Hajj-Ivr-Call)=${text:0:64}" in handler


def test_agentnode_agent_role_reads_the_ivr_nodes_call_id_filtered() -> None:
    extensions = _rendered(_load(AGENT), "extensions.conf")
    reader = "\n".join(_contexts(extensions)["hajj-handover-read"])
    assert "PJSIP_HEADER(read,X-Hajj-Ivr-Call)" in reader
    allowed = agentnode.CALL_ID_ALLOWED
    assert f"Set(__{chanvars.IVR_CALL}=${{FILTER({allowed},${{text:0:64}})}})" in reader
    manager = _rendered(_load(AGENT), "manager.conf")
    assert chanvars.IVR_CALL in manager  # every queue event carries it to the screen pop


def test_agentnode_handover_values_are_plain_words_kept_whole() -> None:
    h = handover.Handover(
        reason="status_needs_agent",
        porsi="1100012345",
        verified=True,
        topics=("kloter", "documents", "payment"),
        ticket="1234567890",
        correction="2345678901",
        wait_from=1_780_000_000,
        callback_id=42,
        ppiu="8120001357924 revoked",
        campaign_call=7,
    )
    for name, text in handover.encode(h).items():  # the queue goes in the request URI
        assert name == chanvars.QUEUE or agentnode.plain(text) == text, name
    # Whatever else: no line break, no dialplan syntax, at most CAP characters.
    assert agentnode.plain("1100012345\r\nX-Evil: 1") == "1100012345XEvil 1"
    assert agentnode.plain("a,b)${x}|;") == "abx"
    assert len(agentnode.plain("9" * 500)) == agentnode.CAP
    assert agentnode.header("HAJJ_CALLBACK_ID") == "X-Hajj-Callback-Id"


# --- the agent node ----------------------------------------------------------------------


def test_agentnode_agent_role_knows_ivr_nodes_by_address_in_their_own_context() -> None:
    config = _load(AGENT)
    pjsip = agentnode.pjsip_text(config)
    for i, host in enumerate(["10.0.0.2", "10.0.0.3"], 1):
        assert f"[hajj-ivr-node-{i}](caller-template)\ncontext = hajj-from-ivr-node" in pjsip
        assert f"type = identify\nendpoint = hajj-ivr-node-{i}\nmatch = {host}\n" in pjsip + "\n"
    # No other endpoint lands in that context: the anonymous one, the carrier, phones.
    others = _rendered(config, "pjsip.conf") + trunk.pjsip_text(config, SECRETS)
    assert "hajj-from-ivr-node" not in others
    contexts = _contexts(_rendered(config, "extensions.conf"))
    entry = contexts["hajj-from-ivr-node"]
    queues = (DIALPLAN / "queues.conf").read_text()
    for queue in agentnode.QUEUES:
        assert f"[{queue}](hajj-queue)" in queues
        assert f"exten => {queue},1,Gosub(hajj-handover-read,s,1)" in entry
    assert entry.count(" same => n,Goto(hajj-agent,s,1)") == len(agentnode.QUEUES)
    assert not any(line.startswith("exten => _") for line in entry)  # anything else: 404


def test_agentnode_agent_role_headers_read_only_behind_the_ivr_nodes_context() -> None:
    """The attack on the rendering: a caller sending X-Hajj-Porsi or X-Hajj-Verified to
    the agent node (or an IVR node) reaches no context that reads them."""
    for overrides in (AGENT, IVR, {}):
        contexts = _contexts(_rendered(_load(overrides), "extensions.conf"))
        readers = {n for n, lines in contexts.items() if any("X-Hajj" in x for x in lines)}
        readers -= {"hajj-handover-headers"}  # adds them, on the way out of an IVR node
        assert readers <= {"hajj-handover-read"}
        for start in OTHER_ENDPOINTS:
            reached = _reachable(contexts, start)
            assert start in reached and not readers & reached, (overrides, start)
    read = "\n".join(_contexts(_rendered(_load(AGENT), "extensions.conf"))["hajj-handover-read"])
    for variable in [n for n in handover.NAMES if n != chanvars.QUEUE]:
        assert f"PJSIP_HEADER(read,{agentnode.header(variable)})" in read
        assert (
            f"Set(__{variable}=${{FILTER({agentnode.ALLOWED},${{text:0:{agentnode.CAP}}})}})"
            in read
        )


# --- settings and what runs where --------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"cluster.role": "queue"}, "cluster.role = 'queue'"),
        ({"cluster.role": "ivr"}, "or cluster.agent_nodes (where the agents are)"),
        ({"cluster.role": "agent"}, "needs cluster.ivr_nodes"),
        ({**AGENT, "cluster.ivr_nodes": ["ivr-a:5060"]}, "'ivr-a:5060' is not an IPv4"),
        ({**AGENT, "cluster.ivr_nodes": ["10.0.0.2:70000"]}, "is not an IPv4"),
        (
            {**AGENT, "cluster.ivr_nodes": ["10.0.0.2", "10.0.0.2:5070"]},
            "'10.0.0.2' is not an IPv4",
        ),
        (
            {**IVR, "cluster.agent_nodes": ["10.0.0.4:5070", "10.0.0.4:5070"]},
            "names an address twice",
        ),
        ({"cluster.ping_interval": 0}, "cluster.ping_interval = 0"),
        ({"cluster.silent_after": 5}, "cluster.silent_after = 5 must be 15 to 3600"),
    ],
)
def test_agentnode_cluster_settings_bad_values_refused(
    overrides: Mapping[str, object], message: str
) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        _load(overrides)


def test_agentnode_callbacks_and_campaigns_dial_out_only_where_the_queues_are() -> None:
    assert wiring.dials_out(_load()) and wiring.dials_out(_load(AGENT))
    assert not wiring.dials_out(_load(IVR))
    assert wiring.node_name(_load({"cluster.node": "ivr-a"})) == "ivr-a"


def test_agentnode_node_lists_from_the_environment_are_comma_separated() -> None:
    env = {
        "HAJJ_IVR_CLUSTER_ROLE": "ivr",
        "HAJJ_IVR_CLUSTER_AGENT_NODES": "10.0.0.4:5060, 10.0.0.5:5070",
    }
    config = config_mod.load(env=env)
    assert config.cluster.agent_nodes == ("10.0.0.4:5060", "10.0.0.5:5070")
