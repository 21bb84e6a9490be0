"""Whose name a SIP message from a browser phone speaks in: one pure function, no I/O.

The console's proxy (ivr/web/phone.py) passes a browser's SIP to Asterisk only when every
identity in it is the logged-in agent's own browser endpoint (webrtc-NAME): the From
user, a REGISTER's To user (the address of record it binds) and the digest username of
an Authorization or Proxy-Authorization. Anything else is refused, so one agent's
session cannot register, call or authenticate as another's phone.

Inside a dialog (the To has a tag) the browser's From is whatever Asterisk's To said: for
a call Asterisk placed to the phone that is the contact's own user part, which SIP.js
makes up. Such a request passes when its Call-ID is one of the dialogs this socket
carries (``dialogs``: the Call-IDs of the requests Asterisk sent on it and of the
browser's own requests that passed), never another socket's.
"""

from __future__ import annotations

import re
from collections.abc import Container

# Full and compact header names (RFC 3261 7.3.3) of the headers we check.
_FROM, _TO, _CALL_ID = ("from", "f"), ("to", "t"), ("call-id", "i")
_AUTH = ("authorization", "proxy-authorization")
_REQUEST = re.compile(r"^([A-Z]+) \S+ SIP/2\.0$")
_RESPONSE = re.compile(r"^SIP/2\.0 \d{3}")
# The user part of the first SIP URI in a From/To value ("Name" <sip:user@host>;tag=x).
_USER = re.compile(r"sips?:([^@;>\s]*)@", re.I)
_TAG = re.compile(r";\s*tag=", re.I)
_USERNAME = re.compile(r'(?:^|[\s,])username\s*=\s*"([^"]*)"', re.I)


def refusal(message: str, endpoint: str, dialogs: Container[str] = ()) -> str | None:
    """Why ``message`` (one WebSocket frame) may not go to Asterisk from ``endpoint``'s
    browser, or None when it may. Keep-alive blank lines and responses (they only answer
    Asterisk's own requests on this socket) pass; every request must carry exactly one
    From whose user is ``endpoint``, unless it is inside one of ``dialogs``."""
    if not message.strip():
        return None
    lines = _head(message)
    if _RESPONSE.match(lines[0]):
        return None
    request = _REQUEST.match(lines[0])
    if request is None:
        return "not a SIP request or response"
    method = request[1]
    headers = _headers(lines[1:])
    froms, tos = headers.get("from", []), headers.get("to", [])
    # REGISTER is never inside a dialog: its From and To are always checked.
    ours = (
        method != "REGISTER"
        and len(tos) == 1
        and _TAG.search(tos[0]) is not None
        and _one(headers.get("call-id")) in dialogs
    )
    if not ours and (len(froms) != 1 or _user(froms[0]) != endpoint):
        return f"{method}: From is not the session's own endpoint"
    if method == "REGISTER" and (len(tos) != 1 or _user(tos[0]) != endpoint):
        return "REGISTER: To is not the session's own endpoint"
    for value in headers.get("authorization", []):
        found = _USERNAME.search(value)
        if found is None or found[1] != endpoint:
            return f"{method}: credentials are not the session's own endpoint's"
    return None


class Dialogs:
    """The Call-IDs one socket carries (the newest MAX): a per-socket value, no I/O."""

    MAX = 256

    def __init__(self) -> None:
        self._ids: dict[str, None] = {}  # insertion-ordered: the oldest go first

    def add(self, message: str) -> None:
        """Record the dialog of a request seen on the socket (a response adds nothing)."""
        found = call_id(message)
        if found is None:
            return
        self._ids.pop(found, None)
        self._ids[found] = None
        while len(self._ids) > self.MAX:
            del self._ids[next(iter(self._ids))]

    def __contains__(self, item: object) -> bool:
        return item in self._ids


def call_id(message: str) -> str | None:
    """The Call-ID of a SIP request (None for a response or anything else): the proxy
    records those of the dialogs a socket carries."""
    lines = _head(message)
    if not _REQUEST.match(lines[0]):
        return None
    return _one(_headers(lines[1:]).get("call-id"))


def _head(message: str) -> list[str]:
    head = message.split("\r\n\r\n", 1)[0].split("\n\n", 1)[0]
    return [line.rstrip("\r") for line in head.split("\n")]


def _one(values: list[str] | None) -> str | None:
    return values[0] if values and len(values) == 1 else None


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
    if name in _CALL_ID:
        return "call-id"
    return "authorization" if name in _AUTH else name


def _user(value: str) -> str | None:
    found = _USER.search(value)
    return found[1] if found else None
