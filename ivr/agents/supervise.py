"""Supervision legs: a supervisor listens to, whispers to or barges in on an agent's call.

AMI Originate rings the supervisor's own phone; once answered it runs the mode's extension
in [hajj-supervise] (dialplan/extensions.conf), ChanSpy on the agent's exact channel. The
web console asks for it (ivr/web/supervision.py) with the 'supervise' AMI user, whose only
rights are that Originate and CoreShowChannels (dialplan/manager.conf).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ivr import chanvars
from ivr.agents.store import Agent
from ivr.ami.client import AmiClient
from ivr.ami.wire import AmiMessage
from ivr.errors import HajjIvrError

# The extensions of [hajj-supervise]; each is one ChanSpy option set (listen: hear both
# sides; whisper: the agent alone hears the supervisor; barge: both do).
MODES = ("listen", "whisper", "barge")
SPY_CONTEXT = "hajj-supervise"
RING_MS = 30_000  # how long the supervisor's phone rings before the leg is given up


class SupervisionError(HajjIvrError):
    """A supervision leg that cannot be placed (no phone, the agent not on a call, ...)."""


def agent_channel(channels: Sequence[AmiMessage], agent: Agent) -> str | None:
    """The agent's phone channel in a call (bridged), desk or browser phone, by its exact
    name: the endpoint followed by Asterisk's 8-hex-digit counter (agent-ali must not find
    agent-ali-b's)."""
    endpoints = "|".join(re.escape(e) for e in (agent.endpoint, agent.web_endpoint))
    exact = re.compile(rf"^PJSIP/(?:{endpoints})-[0-9a-f]{{8}}$")
    for channel in channels:
        name = channel.get("Channel", "")
        if exact.match(name) and channel.get("BridgeId"):
            return name
    return None


def originate_fields(supervisor: Agent, agent: Agent, target: str, mode: str) -> dict[str, str]:
    """The Originate that rings ``supervisor``'s phone into ``mode`` on ``target``."""
    if mode not in MODES:
        raise SupervisionError(f"mode {mode!r}: use {', '.join(MODES)}")
    return {
        "Channel": supervisor.interface,
        "Context": SPY_CONTEXT,
        "Exten": mode,
        "Priority": "1",
        "Timeout": str(RING_MS),
        # What the supervisor's phone shows while it rings: whose call, which mode.
        "CallerID": f'"{mode} {agent.name}" <{mode}>',
        "Variable": f"{chanvars.SPY_TARGET}={target}",
    }


async def place(
    reader: AmiClient, caller: AmiClient, supervisor: Agent, agent: Agent, mode: str
) -> str:
    """Ring ``supervisor``'s phone into ``mode`` on ``agent``'s call; the agent's channel.
    ``reader`` lists the channels ('reporting'), ``caller`` originates ('originate')."""
    if supervisor.role != "supervisor" or not supervisor.sip_md5:
        raise SupervisionError(f"{supervisor.name} has no phone: a supervisor account has one")
    if agent.role != "agent":
        raise SupervisionError(f"{agent.name} is not an agent")
    target = agent_channel(await reader.action_list("CoreShowChannels"), agent)
    if target is None:
        raise SupervisionError(f"{agent.name} is not on a call")
    await caller.originate(**originate_fields(supervisor, agent, target, mode))
    return target
