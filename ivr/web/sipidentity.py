"""Whose name a SIP message from a browser phone speaks in: one pure function, no I/O.

The console's proxy (ivr/web/phone.py) passes a browser's SIP to Asterisk only when every
identity in it is the logged-in agent's own browser endpoint (webrtc-NAME): the From
user, a REGISTER's To user (the address of record it binds) and the digest username of
an Authorization or Proxy-Authorization. Anything else is refused, so one agent's
session cannot register, call or authenticate as another's phone.
"""

from __future__ import annotations

import re

# Full and compact header names (RFC 3261 7.3.3) of the headers we check.
_FROM, _TO = ("from", "f"), ("to", "t")
_AUTH = ("authorization", "proxy-authorization")
_REQUEST = re.compile(r"^([A-Z]+) \S+ SIP/2\.0$")
_RESPONSE = re.compile(r"^SIP/2\.0 \d{3}")
# The user part of the first SIP URI in a From/To value ("Name" <sip:user@host>;tag=x).
_USER = re.compile(r"sips?:([^@;>\s]*)@", re.I)
_USERNAME = re.compile(r'(?:^|[\s,])username\s*=\s*"([^"]*)"', re.I)


def refusal(message: str, endpoint: str) -> str | None:
    """Why ``message`` (one WebSocket frame) may not go to Asterisk from ``endpoint``'s
    browser, or None when it may. Keep-alive blank lines and responses (they only answer
    Asterisk's own requests on this socket) pass; every request must carry exactly one
    From whose user is ``endpoint``."""
    if not message.strip():
        return None
    head = message.split("\r\n\r\n", 1)[0].split("\n\n", 1)[0]
    lines = [line.rstrip("\r") for line in head.split("\n")]
    if _RESPONSE.match(lines[0]):
        return None
    request = _REQUEST.match(lines[0])
    if request is None:
        return "not a SIP request or response"
    method = request[1]
    headers = _headers(lines[1:])
    froms = headers.get("from", [])
    if len(froms) != 1 or _user(froms[0]) != endpoint:
        return f"{method}: From is not the session's own endpoint"
    if method == "REGISTER":
        tos = headers.get("to", [])
        if len(tos) != 1 or _user(tos[0]) != endpoint:
            return "REGISTER: To is not the session's own endpoint"
    for value in headers.get("authorization", []):
        found = _USERNAME.search(value)
        if found is None or found[1] != endpoint:
            return f"{method}: credentials are not the session's own endpoint's"
    return None


def _headers(lines: list[str]) -> dict[str, list[str]]:
    """Header values by canonical name (from, to, authorization), folded lines joined."""
    found: dict[str, list[str]] = {}
    last = ""
    for line in lines:
        if line[:1] in (" ", "\t") and last:
            found[last][-1] += " " + line.strip()
            continue
        name, sep, value = line.partition(":")
        if not sep:
            continue
        key = _canonical(name.strip().lower())
        last = key
        found.setdefault(key, []).append(value.strip())
    return found


def _canonical(name: str) -> str:
    if name in _FROM:
        return "from"
    if name in _TO:
        return "to"
    return "authorization" if name in _AUTH else name


def _user(value: str) -> str | None:
    found = _USER.search(value)
    return found[1] if found else None
