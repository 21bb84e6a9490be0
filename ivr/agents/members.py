"""Who is doing what: each agent's state from app_queue's members (QueueStatus).

The dashboard's wallboard and `hajj-ivr agents list` both read it. A member's Status is
the device state of the agent's phone (the state interface given at login).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ivr.agents.store import Agent
from ivr.ami.client import AmiClient

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


async def queue_members(ami: AmiClient) -> dict[str, Mapping[str, str]]:
    """Every queue member by interface (QueueStatus)."""
    answer = await ami.action_list("QueueStatus")
    return {
        e.get("Location", ""): e
        for e in answer
        if e.get("Event") == "QueueMember" and e.get("Queue", "").startswith("hajj-tier")
    }


def state_of(agent: Agent, member: Mapping[str, str] | None) -> AgentState:
    """The agent's state from their queue member (None: not logged in)."""
    if member is None:
        return AgentState(agent.name, agent.tier, agent.endpoint, "logged out", False, "", 0)
    paused = member.get("Paused") == "1"
    return AgentState(
        agent.name,
        agent.tier,
        agent.endpoint,
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
