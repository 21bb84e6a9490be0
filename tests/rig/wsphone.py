"""A browser phone's SIP as the console's proxy sees it, without a browser: a websockets
client on /agent/phone/ws sending REGISTER/INVITE (RFC 7118 framing, digest auth), and
what AMI says about the contacts. The attack tests speak as another agent through it."""

from __future__ import annotations

import asyncio
import hashlib
import re
import secrets
from dataclasses import dataclass

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from ivr.agents import passwords
from tests.rig.hotline import Hotline
from tests.rig.web import login

DOMAIN = passwords.SIP_REALM
NONCE = re.compile(r'nonce="([^"]+)"')


def session_cookie(hotline: Hotline, name: str, web_password: str) -> str:
    """Log in as the login form does; the session cookie."""
    with httpx.Client(base_url=hotline.web_url) as client:
        login(client, name, web_password)
        return client.cookies["hajj_session"]


async def open_socket(hotline: Hotline, cookie: str = "") -> ClientConnection:
    """The proxy's WebSocket, as a browser tab of this site opens it."""
    url = hotline.web_url.replace("http://", "ws://") + "/agent/phone/ws"
    headers = {"Cookie": f"hajj_session={cookie}"} if cookie else {}
    return await connect(
        url,
        subprotocols=["sip"],  # type: ignore[list-item]
        additional_headers=headers,
        proxy=None,
        compression=None,
        open_timeout=10,
    )


@dataclass
class WsSip:
    """One SIP identity speaking over an open proxy socket."""

    ws: ClientConnection
    user: str  # From (and REGISTER To) user: the endpoint it claims
    auth_user: str = ""  # the digest username (default: user)
    password: str = ""

    def __post_init__(self) -> None:
        self.call_id = secrets.token_hex(8)
        self.tag = secrets.token_hex(4)
        self.cseq = 0
        self.host = f"{secrets.token_hex(4)}.invalid"

    async def register(self, expires: int = 300) -> int:
        """REGISTER (answering the digest challenge once); the final status code."""
        return await self._request(
            "REGISTER", f"sip:{DOMAIN}", f"sip:{self.user}@{DOMAIN}", expires
        )

    async def invite(self, target: str = "500425") -> int:
        return await self._request("INVITE", f"sip:{target}@{DOMAIN}", f"sip:{target}@{DOMAIN}", 0)

    async def _request(self, method: str, ruri: str, to: str, expires: int) -> int:
        answer = await self._send(method, ruri, to, expires, "")
        status = _status(answer)
        if status in (401, 407) and self.password:
            nonce = NONCE.search(answer)
            assert nonce, answer
            answer = await self._send(
                method, ruri, to, expires, self._digest(method, ruri, nonce[1])
            )
            status = _status(answer)
        return status

    def _digest(self, method: str, ruri: str, nonce: str) -> str:
        user = self.auth_user or self.user
        ha1 = hashlib.md5(f"{user}:{DOMAIN}:{self.password}".encode()).hexdigest()
        ha2 = hashlib.md5(f"{method}:{ruri}".encode()).hexdigest()
        response = hashlib.md5(f"{ha1}:{nonce}:{ha2}".encode()).hexdigest()
        return (
            f'Authorization: Digest username="{user}", realm="{DOMAIN}", nonce="{nonce}", '
            f'uri="{ruri}", response="{response}", algorithm=MD5\r\n'
        )

    async def _send(self, method: str, ruri: str, to: str, expires: int, auth: str) -> str:
        self.cseq += 1
        branch = "z9hG4bK" + secrets.token_hex(6)
        body = ""
        extra = f"Expires: {expires}\r\n" if method == "REGISTER" else ""
        message = (
            f"{method} {ruri} SIP/2.0\r\n"
            f"Via: SIP/2.0/WSS {self.host};branch={branch}\r\n"
            f"Max-Forwards: 70\r\n"
            f"From: <sip:{self.user}@{DOMAIN}>;tag={self.tag}\r\n"
            f"To: <{to}>\r\n"
            f"Call-ID: {self.call_id}\r\n"
            f"CSeq: {self.cseq} {method}\r\n"
            f"Contact: <sip:{self.user}@{self.host};transport=ws>\r\n"
            f"{extra}{auth}"
            f"Content-Length: {len(body)}\r\n\r\n{body}"
        )
        await self.ws.send(message)
        while True:  # provisional answers (100 Trying) until a final one
            answer = str(await asyncio.wait_for(self.ws.recv(), 10))
            if _status(answer) >= 200:
                return answer


def _status(answer: str) -> int:
    first = answer.split("\r\n", 1)[0]
    found = re.match(r"SIP/2\.0 (\d{3})", first)
    return int(found[1]) if found else 0


async def closed(ws: ClientConnection, seconds: float) -> bool:
    """True once the proxy closed ``ws`` (within ``seconds``)."""
    try:
        async with asyncio.timeout(seconds):
            while True:
                await ws.recv()
    except ConnectionClosed:
        return True
    except TimeoutError:
        return False


def contacts(hotline: Hotline, aor: str) -> list[str]:
    """The AOR's registered contacts, as `pjsip show contacts` lists them."""
    listing = hotline.asterisk.cli("pjsip show contacts")
    return re.findall(rf"Contact:\s+({re.escape(aor)}/\S+)", listing)
