"""The agents' phones as PJSIP config: state_dir/asterisk/etc/pjsip_agents.conf.

Generated from the agent store and included by dialplan/pjsip.conf; `hajj-ivr agents add`
rewrites it and reloads res_pjsip. Only the MD5 digest credential is written, never a
password.
"""

from __future__ import annotations

from ivr import chanvars
from ivr.agents import passwords
from ivr.agents.store import PHONE_ROLES, Agent

FILENAME = "pjsip_agents.conf"


def text(agents: list[Agent]) -> str:
    parts = ["; Generated from state_dir/agents.sqlite by hajj-ivr: do not edit."]
    # Only agents and supervisors have phones: an account without a SIP digest (an admin)
    # gets no endpoint. A supervisor's phone has its own template (and context): no feature
    # codes, no queue; it only answers the listen/whisper/barge legs the web originates.
    for a in (a for a in agents if a.role in PHONE_ROLES and a.sip_md5):
        # A supervisor's channel carries no agent name or tier: nothing takes it for an
        # agent's (the queue feature codes read them).
        variables = (
            f"set_var = {chanvars.AGENT_NAME}={a.name}\nset_var = {chanvars.AGENT_TIER}={a.tier}"
            if a.role == "agent"
            else "; a supervisor: no agent name, no tier"
        )
        parts.append(
            f"""
[{a.endpoint}]({a.role}-template)
auth = {a.endpoint}
aors = {a.endpoint}
callerid = "{a.name}" <{a.name}>
{variables}

[{a.endpoint}](agent-auth-template)
username = {a.endpoint}
realm = {passwords.SIP_REALM}
md5_cred = {a.sip_md5}

[{a.endpoint}](agent-aor-template)
"""
        )
    return "\n".join(parts)
