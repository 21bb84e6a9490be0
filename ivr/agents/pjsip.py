"""The agents' phones as PJSIP config: state_dir/asterisk/etc/pjsip_agents.conf.

Generated from the agent store and included by dialplan/pjsip.conf; `hajj-ivr agents add`
rewrites it and reloads res_pjsip. Only the MD5 digest credential is written, never a
password.

An agent also gets a browser phone, webrtc-NAME (the console's softphone, DTLS-SRTP over
the wss transport): its password is derived from the secrets' webrtc_secret
(passwords.webrtc_password) and handed only to the agent's own console session; the web
app's proxy is the only way a browser reaches that transport (ivr/web/phone.py).
"""

from __future__ import annotations

from ivr import chanvars
from ivr.agents import passwords
from ivr.agents.store import PHONE_ROLES, Agent

FILENAME = "pjsip_agents.conf"


def text(agents: list[Agent], webrtc_secret: str) -> str:
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
        if a.role == "agent":
            parts.append(_browser_phone(a, variables, webrtc_secret))
    return "\n".join(parts)


def _browser_phone(a: Agent, variables: str, webrtc_secret: str) -> str:
    password = passwords.webrtc_password(webrtc_secret, a.web_endpoint)
    md5 = passwords.sip_md5(a.web_endpoint, password)
    return f"""
[{a.web_endpoint}](webrtc-template)
auth = {a.web_endpoint}
aors = {a.web_endpoint}
callerid = "{a.name}" <{a.name}>
{variables}

[{a.web_endpoint}](agent-auth-template)
username = {a.web_endpoint}
realm = {passwords.SIP_REALM}
md5_cred = {md5}

[{a.web_endpoint}](webrtc-aor-template)
"""
