"""Whose name a SIP message from a browser phone speaks in: one pure function, no I/O.

The console's proxy (ivr/web/phone.py) passes a browser's WebSocket frame to Asterisk
only when it is one well-formed SIP message whose every identity is the logged-in agent's
own browser endpoint (webrtc-NAME): the From user, a REGISTER's To user (the address of
record it binds) and the digest username of an Authorization or Proxy-Authorization.
Anything else is refused, so one agent's session cannot register, call or authenticate
as another's phone.

The check must read a frame exactly as pjsip will, or a frame could say one thing here
and another there. So it refuses, rather than interprets, whatever pjsip might read
differently:
- a frame over MAX_FRAME bytes (SIP.js's largest, an INVITE with its SDP, is a few KB),
  checked before any parsing, so no pattern ever runs over megabytes;
- a line end other than CRLF (pjlib also ends a line at a lone CR or LF; SIP.js only
  sends CRLF);
- anything but exactly one message: Asterisk's WebSocket transport is a stream transport
  and parses every message in a frame, so one frame must carry exactly one
  Content-Length equal to its body's length, responses included;
- a second From, To, Call-ID, CSeq, Authorization or Proxy-Authorization, or a second
  username= in credentials (pjsip keeps the last one, a check of the first is fooled);
- a From or To value it cannot parse as one name-addr or addr-spec (a quoted display
  name is skipped, never read as the URI).

Responses pass once they are one well-formed message: they only answer Asterisk's own
requests on this socket. Inside a dialog (the To has a tag) the browser's From is
whatever Asterisk's To said: for a call Asterisk placed to the phone that is the
contact's own user part, which SIP.js makes up. Such a request passes when its Call-ID
is one of ``dialogs``: the Call-IDs of the INVITEs Asterisk sent on this socket, never
one the browser chose (its own requests carry its own From anyway).
"""

from __future__ import annotations

import re
from collections.abc import Container

MAX_FRAME = 16 * 1024  # bytes: far above SIP.js's largest message, far below uvicorn's 16 MiB

# Compact header names (RFC 3261 7.3.3) of the headers checked, by their full names.
_COMPACT = {"f": "from", "t": "to", "i": "call-id", "l": "content-length"}
# Headers the grammar allows once: pjsip would keep the last of two, we would check one.
_SINGLE = {"from": "From", "to": "To", "call-id": "Call-ID", "cseq": "CSeq"}
_AUTH = {"authorization": "Authorization", "proxy-authorization": "Proxy-Authorization"}
_REQUEST = re.compile(r"^([A-Z]+) \S+ SIP/2\.0$")
_RESPONSE = re.compile(r"^SIP/2\.0 \d{3}")
_LONE_CR = re.compile(r"\r(?!\n)")
_LONE_LF = re.compile(r"(?<!\r)\n")
_LENGTH = re.compile(r"[0-9]{1,9}")
# A quoted string with backslash escapes; its alternatives are disjoint, so it is linear.
_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"')
# An unquoted display name: tokens and spaces only (RFC 3261 25.1); SIP.js always quotes.
_TOKENS = re.compile(r"[A-Za-z0-9\-.!%*_+`'~ \t]*")
# The user of a SIP URI, anchored and without ':' so it cannot rescan (sip:sip:sip:...).
_URI_USER = re.compile(r"sips?:([^@;>:\s]+)@", re.I)
_TAG = re.compile(r"(?:^|;)\s*tag\s*=", re.I)
_DIGEST = re.compile(r"\s*Digest\s+", re.I)
_PARAM = re.compile(r'\s*([A-Za-z0-9_-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^\s,"]+)\s*(?:,|$)')


def refusal(message: str, endpoint: str, dialogs: Container[str] = ()) -> str | None:
    """Why ``message`` (one WebSocket frame) may not go to Asterisk from ``endpoint``'s
    browser, or None when it may. Keep-alive blank lines pass; anything else must be one
    well-formed message (see the module's docstring), and a request must carry a From
    whose user is ``endpoint``, unless it is inside one of ``dialogs``."""
    # Size first: everything after this is linear in a frame of bounded size.
    if len(message) > MAX_FRAME or len(message.encode(errors="replace")) > MAX_FRAME:
        return f"a frame over {MAX_FRAME // 1024} KiB"
    if _LONE_CR.search(message):
        return "a CR that is not a CRLF line end"
    if not message.strip():
        return None
    head, blank, body = message.partition("\r\n\r\n")
    if _LONE_LF.search(head):
        return "an LF that is not a CRLF line end in the header"
    lines = head.split("\r\n")
    request = _REQUEST.match(lines[0])
    if request is None and not _RESPONSE.match(lines[0]):
        return "not a SIP request or response"
    headers = _headers(lines[1:])
    if not blank or headers is None:
        return "not a well-formed SIP header"
    why = _one_message(headers, body)
    if why is not None or request is None:
        return why
    return _identity(request[1], headers, endpoint, dialogs)


def _one_message(headers: dict[str, list[str]], body: str) -> str | None:
    """Why the frame is not exactly one message with one of each single header."""
    lengths = headers.get("content-length", [])
    if len(lengths) != 1 or not _LENGTH.fullmatch(lengths[0]):
        return "not exactly one Content-Length header"
    # pjsip reads Content-Length bytes as the body and whatever follows as a next message.
    if int(lengths[0]) != len(body.encode(errors="replace")):
        return "Content-Length is not the body's length: a second message may follow"
    for key, name in _SINGLE.items():
        if len(headers.get(key, [])) != 1:
            return f"not exactly one {name} header"
    for key, name in _AUTH.items():
        if len(headers.get(key, [])) > 1:
            return f"credentials in more than one {name} header"
    return None


def _identity(
    method: str, headers: dict[str, list[str]], endpoint: str, dialogs: Container[str]
) -> str | None:
    """Why a request (one of each single header, checked) does not speak as ``endpoint``."""
    from_, to = headers["from"][0], headers["to"][0]
    to_address = _address(to)
    # REGISTER is never inside a dialog: its From and To are always checked.
    ours = (
        method != "REGISTER"
        and to_address is not None
        and _TAG.search(to_address[1]) is not None
        and headers["call-id"][0] in dialogs
    )
    if not ours and _user(from_) != endpoint:
        return f"{method}: From is not the session's own endpoint"
    if method == "REGISTER" and _user(to) != endpoint:
        return "REGISTER: To is not the session's own endpoint"
    for key in _AUTH:
        for value in headers.get(key, []):
            if _digest_username(value) != endpoint:
                return f"{method}: credentials are not the session's own endpoint's"
    return None


class Dialogs:
    """The Call-IDs one socket carries (the newest MAX): a per-socket value, no I/O."""

    MAX = 256

    def __init__(self) -> None:
        self._ids: dict[str, None] = {}  # insertion-ordered: the oldest go first

    def add(self, message: str) -> None:
        """Record the dialog of an INVITE Asterisk sent on the socket. Only Asterisk's:
        a Call-ID the browser chose would let it send in-dialog requests as anyone."""
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
    """The Call-ID of an INVITE (None for anything else): the proxy records those Asterisk
    sends, the calls it places to the phone."""
    lines = re.split(r"\r?\n", message.partition("\r\n\r\n")[0])
    request = _REQUEST.match(lines[0])
    headers = _headers(lines[1:]) if request is not None and request[1] == "INVITE" else None
    ids = (headers or {}).get("call-id", [])
    return ids[0] if len(ids) == 1 else None


def _headers(lines: list[str]) -> dict[str, list[str]] | None:
    """Header values by full lower-case name, folded lines joined; None when a line is
    neither a header nor a continuation (pjsip would refuse or misread it)."""
    found: dict[str, list[str]] = {}
    last = ""
    for line in lines:
        if line[:1] in (" ", "\t"):
            if not last:
                return None
            found[last][-1] += " " + line.strip()
            continue
        name, sep, value = line.partition(":")
        key = name.strip().lower()
        if not sep or not key:
            return None
        last = _COMPACT.get(key, key)
        found.setdefault(last, []).append(value.strip())
    return found


def _address(value: str) -> tuple[str, str] | None:
    """(URI, header parameters) of a From or To value, as pjsip reads it: a quoted
    display name is skipped, whatever it holds (even a URI); the URI is the one inside
    <...>, else the bare one up to its first ';'. None when it is neither form."""
    rest = value.strip()
    quoted = _QUOTED.match(rest)
    if quoted is not None:
        rest = rest[quoted.end() :]
    start = rest.find("<")
    if start < 0:
        if quoted is not None or '"' in rest:
            return None
        uri, _, params = rest.partition(";")
        return uri.strip(), params
    before, end = rest[:start], rest.find(">", start)
    if end < 0 or (quoted is not None and before.strip()) or not _TOKENS.fullmatch(before):
        return None
    return rest[start + 1 : end], rest[end + 1 :]


def _user(value: str) -> str | None:
    address = _address(value)
    found = _URI_USER.match(address[0]) if address is not None else None
    return found[1] if found else None


def _digest_username(value: str) -> str | None:
    """The one username of Digest credentials; None when there is none, more than one
    (pjsip keeps the last) or the parameters do not parse."""
    scheme = _DIGEST.match(value)
    if scheme is None:
        return None
    names: list[str] = []
    at = scheme.end()
    while at < len(value):
        param = _PARAM.match(value, at)
        if param is None or param.end() == at:
            return None
        if param[1].lower() == "username":
            names.append(param[2])
        at = param.end()
    if len(names) != 1:
        return None
    # An escaped quoted username stays escaped here, so it never equals an endpoint.
    return names[0][1:-1] if names[0].startswith('"') else names[0]
