"""Who is doing what: each agent's state from app_queue's members (QueueStatus).

The dashboard's wallboard, `hajj-ivr agents list` and the agent console read it. A
member's Status is the device state of the agent's phone (the state interface given at
login). An agent is a member under one of their interfaces (Agent.interfaces: the desk
phone or the console's browser phone), always with their name as MemberName; the actions
here (the console's state buttons) find which.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from ivr.agents import pauses
from ivr.agents.store import Agent
from ivr.ami.wire import AmiMessage
from ivr.errors import AmiActionError


class QueueAmi(Protocol):
    """What these functions need of an AMI client (ivr.ami.client.AmiClient; a fake in
    the fast tests)."""

    async def action(self, name: str, /, **fields: str) -> AmiMessage: ...

    async def action_list(self, name: str, /, **fields: str) -> list[AmiMessage]: ...


# app_queue's member Status (device state of the phone).
NOT_INUSE, INUSE, BUSY, INVALID, UNAVAILABLE, RINGING, RINGINUSE, ONHOLD = 1, 2, 3, 4, 5, 6, 7, 8


@dataclass(frozen=True)
class AgentState:
    name: str
    tier: int
    phone: str  # the SIP username / endpoint
    state: str  # logged out | available | paused | ringing | on call | phone offline
    paused: bool
    pause_reason: str
    calls_taken: int


async def queue_members(ami: QueueAmi) -> dict[str, Mapping[str, str]]:
    """Every queue member by interface (QueueStatus)."""
    answer = await ami.action_list("QueueStatus")
    return {
        e.get("Location", ""): e
        for e in answer
        if e.get("Event") == "QueueMember" and e.get("Queue", "").startswith("hajj-tier")
    }


def member_of(agent: Agent, members: Mapping[str, Mapping[str, str]]) -> Mapping[str, str] | None:
    """The agent's queue member, under whichever of their interfaces logged in (None: not
    logged in)."""
    for interface in agent.interfaces:
        member = members.get(interface)
        if member is not None:
            return member
    return None


def state_of(agent: Agent, member: Mapping[str, str] | None) -> AgentState:
    """The agent's state from their queue member (None: not logged in). ``phone`` is the
    endpoint the member rings (the desk phone's when logged out)."""
    if member is None:
        return AgentState(agent.name, agent.tier, agent.endpoint, "logged out", False, "", 0)
    paused = member.get("Paused") == "1"
    return AgentState(
        agent.name,
        agent.tier,
        member.get("Location", agent.interface).removeprefix("PJSIP/"),
        _state(member, paused),
        paused,
        member.get("PausedReason", ""),
        int(member.get("CallsTaken", "0") or 0),
    )


def _state(member: Mapping[str, str], paused: bool) -> str:
    status = int(member.get("Status", "0") or 0)
    if member.get("InCall") == "1" or status in (INUSE, BUSY, RINGINUSE, ONHOLD):
        return "on call"
    if status == RINGING:
        return "ringing"
    if status in (UNAVAILABLE, INVALID):
        return "phone offline"
    return "paused" if paused else "available"


async def agent_member(ami: QueueAmi, agent: Agent) -> Mapping[str, str] | None:
    return member_of(agent, await queue_members(ami))


async def login(ami: QueueAmi, agent: Agent, interface: str) -> None:
    """Into the tier's queue on ``interface`` (one of the agent's), available. A member
    under the other interface is taken out first: one phone rings per agent."""
    if interface not in agent.interfaces:
        raise ValueError(f"{interface} is not a phone of {agent.name}")
    member = await agent_member(ami, agent)
    if member is not None and member.get("Location") != interface:
        await ami.action("QueueRemove", Queue=agent.queue, Interface=member["Location"])
    elif member is not None:
        return  # already in on this phone
    await ami.action(
        "QueueAdd",
        Queue=agent.queue,
        Interface=interface,
        MemberName=agent.name,
        StateInterface=interface,
        Paused="false",
    )


async def logout(ami: QueueAmi, agent: Agent) -> None:
    """Out of the queue, whichever phone is the member; AmiActionError when not in."""
    member = await agent_member(ami, agent)
    if member is None:
        raise AmiActionError(f"{agent.name} is not in {agent.queue}")
    await ami.action("QueueRemove", Queue=agent.queue, Interface=member["Location"])


async def pause(ami: QueueAmi, agent: Agent, paused: bool, reason: str = "") -> None:
    """Pause (with ``reason``, a word of pauses.WORDS, when given) or make available, on
    whichever phone is the member; AmiActionError when not in the queue."""
    member = await agent_member(ami, agent)
    if member is None:
        raise AmiActionError(f"{agent.name} is not in {agent.queue}")
    fields = pauses.queue_pause(member["Location"], paused, reason)
    await ami.action("QueuePause", Queue=agent.queue, **fields)
