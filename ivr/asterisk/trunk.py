"""The carrier trunk as Asterisk config: pjsip_trunk.conf and the dialplan's trunk values.

The carrier is known by its addresses (a PJSIP ``identify`` match), optionally also by
an outbound registration, and is the only endpoint whose P-Asserted-Identity is trusted
(``trust_id_inbound``): [hajj-trunk-caller] marks a call whose caller ID the carrier
asserted, and only such a number (or one the hotline itself set, a Local channel's) is
offered back by a callback (ivr/flows/callback.py). Callbacks and schedule-change calls
leave through [hajj-trunk-out] with ``trunk.callerid``, after the same allow-list check.
Why by address and not by registration alone: docs/decisions.md, "Carrier trunk".

Without a ``[trunk]`` (no addresses) the file holds a comment and every value keeps the
dialplan and pjsip.conf as they were.
"""

from __future__ import annotations

import re

from ivr import chanvars
from ivr.config import Config
from ivr.errors import ConfigError
from ivr.secrets import Secrets

FILENAME = "pjsip_trunk.conf"
ENDPOINT = "hajj-trunk"  # endpoint, aor, identify and registration alike
# What [hajj-trunk-caller] sets HAJJ_CALLER_TRUST to, and what the anonymous endpoint's
# set_var says (ivr/chanvars.py): only "none" stops a callback from offering the caller ID.
CARRIER, NONE = chanvars.TRUST_CARRIER, chanvars.TRUST_NONE
# A password goes into a config line: no line breaks, no ";" (a comment in pjsip.conf).
_PASSWORD = re.compile(r"[^\x00-\x1f\x7f;]*")


def pjsip_text(config: Config, secrets: Secrets) -> str:
    """pjsip_trunk.conf: the carrier's endpoint, aor, identify, and auth and registration
    when configured."""
    trunk = config.trunk
    head = "; Generated from [trunk] by hajj-ivr: do not edit."
    if not trunk.enabled:
        return f"{head}\n; No trunk.addresses: no carrier trunk.\n"
    auth = _auth(config, secrets)
    sections = [head, _endpoint(config, bool(auth)), _aor(config), _identify(config)]
    if auth:
        sections.append(auth)
    if trunk.register:
        sections.append(_registration(config, bool(auth)))
    return "\n\n".join(sections) + "\n"


def dialplan_values(config: Config) -> dict[str, str]:
    """The placeholders extensions.conf and pjsip.conf use for the trunk."""
    trunk, hotline = config.trunk, config.ivr.hotline
    numbers = trunk.number_list(hotline) if trunk.enabled else []
    lines = [f"exten => {n},1,Goto(hajj-trunk-caller,s,1)" for n in numbers]
    anonymous = "[anonymous](caller-template)"
    if trunk.enabled:  # with a carrier in front, a SIP From from anywhere vouches for nothing
        anonymous += f"\nset_var = {chanvars.CALLER_TRUST}={NONE}"
    return {
        "trunk_numbers": "\n".join(lines) or "; No [trunk]: no carrier numbers.",
        "trunk_callerid": f'"{trunk.callerid}" <{trunk.callerid}>',
        "trunk_dialled": "${EXTEN}" if trunk.number_format == "national" else "+62${EXTEN:1}",
        "callback_via_trunk": "yes" if trunk.enabled else "no",
        "anonymous_endpoint": anonymous
        if trunk.anonymous
        else "; trunk.anonymous = false: no anonymous endpoint, unidentified requests get 401.",
    }


def _endpoint(config: Config, with_auth: bool) -> str:
    trunk = config.trunk
    return "\n".join(
        [
            f"[{ENDPOINT}](caller-template)",
            "context = hajj-trunk-in",
            "disallow = all",
            f"allow = {','.join(trunk.codec_list())}",
            f"aors = {ENDPOINT}",
            # The carrier's P-Asserted-Identity is the caller ID (this endpoint only).
            "trust_id_inbound = yes",
            # Ours out: From and P-Asserted-Identity name the hotline's number.
            "send_pai = yes",
            f"from_user = {trunk.callerid}",
            # A carrier sends from its own addresses: no NAT games on its contact.
            "rewrite_contact = no",
            *([f"outbound_auth = {ENDPOINT}-auth"] if with_auth else []),
        ]
    )


def _aor(config: Config) -> str:
    return f"[{ENDPOINT}]\ntype = aor\ncontact = sip:{config.trunk.target()}"


def _identify(config: Config) -> str:
    matches = [f"match = {a}" for a in config.trunk.address_list()]
    return "\n".join([f"[{ENDPOINT}]", "type = identify", f"endpoint = {ENDPOINT}", *matches])


def _auth(config: Config, secrets: Secrets) -> str:
    trunk = config.trunk
    if not trunk.username:
        return ""
    password = secrets.trunk_password
    if not password:
        raise ConfigError(
            f"trunk.username = {trunk.username!r} needs trunk_password in {config.secrets_path}"
        )
    if not _PASSWORD.fullmatch(password):
        raise ConfigError(
            f"trunk_password in {config.secrets_path} holds a control character or ';'"
        )
    return "\n".join(
        [
            f"[{ENDPOINT}-auth]",
            "type = auth",
            "auth_type = digest",
            f"username = {trunk.username}",
            f"password = {password}",
        ]
    )


def _registration(config: Config, with_auth: bool) -> str:
    trunk = config.trunk
    return "\n".join(
        [
            f"[{ENDPOINT}]",
            "type = registration",
            "transport = transport-udp",
            f"server_uri = sip:{trunk.target()}",
            f"client_uri = sip:{trunk.username}@{trunk.target()}",
            f"contact_user = {trunk.username}",
            *([f"outbound_auth = {ENDPOINT}-auth"] if with_auth else []),
            "retry_interval = 60",
            "forbidden_retry_interval = 600",
            "expiration = 3600",
            # Requests to the registered contact are the carrier's wherever they come from.
            "line = yes",
            f"endpoint = {ENDPOINT}",
        ]
    )
