"""The console's browser phone: its settings (GET /agent/phone/config) and its SIP, which
goes through this proxy (/agent/phone/ws) to Asterisk's wss transport on 127.0.0.1.

A browser never reaches Asterisk itself. The upgrade needs a live agent session (refused
before it is accepted: 403); every frame the browser sends must be one text SIP message
of at most 16 KiB, and every request in it must speak only as the session agent's own
webrtc-NAME (ivr/web/sipidentity.py), or both sockets close. The session is checked again
on every frame and every few seconds: a logout, a new password or `agents remove` closes
both sockets at once, and Asterisk drops the contact with its WebSocket. Asterisk's
certificate is the one `make setup` made (ivr/asterisk/tls.py), trusted alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from collections.abc import Awaitable
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.websockets import WebSocket
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import WebSocketException

from ivr.agents import passwords
from ivr.agents.store import web_endpoint_of
from ivr.asterisk import tls
from ivr.config import Config
from ivr.secrets import load_or_create
from ivr.web import auth, sipidentity
from ivr.web.sipidentity import Dialogs

log = logging.getLogger(__name__)
RECHECK = 2.0  # seconds between two checks of an idle socket's session
SUBPROTOCOL = "sip"  # RFC 7118
POLICY = 1008  # WebSocket close code: policy violation
DOMAIN = passwords.SIP_REALM  # the SIP domain of the browser phones' URIs


class BrowserPhone:
    def __init__(self, config: Config) -> None:
        self.config = config

    async def settings(self, request: Request) -> Response:
        """What DeskPhone needs: {ws_url, uri, username, password, display}."""
        name = request.session["user"]
        endpoint = web_endpoint_of(name)
        secret = load_or_create(self.config.secrets_path).webrtc_secret
        scheme = "wss" if request.url.scheme == "https" else "ws"
        body = {
            "ws_url": f"{scheme}://{request.url.netloc}/agent/phone/ws",
            "uri": f"sip:{endpoint}@{DOMAIN}",
            "username": endpoint,
            "password": passwords.webrtc_password(secret, endpoint),
            "display": name,
        }
        return JSONResponse(body, headers={"Cache-Control": "no-store"})

    async def socket(self, websocket: WebSocket) -> None:
        session = websocket.scope.get("session", {})
        if session.get("role") != "agent" or not _same_origin(websocket):
            log.warning("phone socket refused: no agent session")
            await websocket.close(code=POLICY)  # before accept: the upgrade gets 403
            return
        name = str(session["user"])
        try:
            upstream = await connect(
                f"wss://127.0.0.1:{self.config.asterisk.https_port}/ws",
                subprotocols=[SUBPROTOCOL],  # type: ignore[list-item]
                ssl=self._trust(),
                proxy=None,
                compression=None,
                open_timeout=10,
            )
        except (OSError, WebSocketException, TimeoutError) as e:
            log.warning("phone socket of %s: Asterisk's wss transport unreachable: %s", name, e)
            await websocket.close(code=1011)
            return
        try:  # accept inside: a handshake that fails still closes Asterisk's socket
            await websocket.accept(subprotocol=SUBPROTOCOL)
            dialogs = sipidentity.Dialogs()  # the calls on this socket, either way
            await _first_done(
                self._from_browser(websocket, upstream, name, dialogs),
                self._to_browser(websocket, upstream, dialogs),
                self._watch(websocket, name),
            )
        finally:
            await upstream.close()
            with contextlib.suppress(RuntimeError):
                await websocket.close(code=POLICY)

    def _trust(self) -> ssl.SSLContext:
        """Asterisk's own certificate and nothing else (it names 127.0.0.1)."""
        return ssl.create_default_context(cafile=str(tls.files_for(self.config).cert))

    async def _from_browser(
        self, websocket: WebSocket, upstream: ClientConnection, name: str, dialogs: Dialogs
    ) -> None:
        endpoint = web_endpoint_of(name)
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            frame = message.get("text")
            if not isinstance(frame, str):  # SIP.js sends text; a binary frame is no SIP
                log.warning("phone socket of %s refused: a binary frame", name)
                return
            if not auth.still_valid(websocket):
                log.info("phone socket of %s closed with its session", name)
                return
            why = sipidentity.refusal(frame, endpoint, dialogs)
            if why is not None:
                log.warning("phone socket of %s refused: %s", name, why)
                return
            # No dialogs.add here: a Call-ID the browser chose must not open a dialog
            # whose in-dialog requests may then carry any From.
            await upstream.send(frame)

    async def _to_browser(
        self, websocket: WebSocket, upstream: ClientConnection, dialogs: Dialogs
    ) -> None:
        with contextlib.suppress(WebSocketException):
            async for frame in upstream:
                text = frame if isinstance(frame, str) else frame.decode(errors="replace")
                dialogs.add(text)  # an INVITE Asterisk sends to the phone: its dialog
                await websocket.send_text(text)

    async def _watch(self, websocket: WebSocket, name: str) -> None:
        """Logout, new password, `agents remove`, expiry: the socket goes with the session."""
        while True:
            await asyncio.sleep(RECHECK)
            if not auth.still_valid(websocket):
                break
        log.info("phone socket of %s closed with its session", name)

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/agent/phone/config", auth.required(api=True, role="agent")(self.settings)),
            WebSocketRoute("/agent/phone/ws", self.socket),
        ]


def _same_origin(websocket: WebSocket) -> bool:
    """A page of another site may not open an agent's phone socket (the cookie is
    SameSite=Strict already; this refuses it even where a browser sends it anyway)."""
    origin = websocket.headers.get("origin")
    return origin is None or urlsplit(origin).netloc == websocket.headers.get("host")


async def _first_done(*jobs: Awaitable[None]) -> None:
    """Run the pumps and the watch until the first ends; cancel the others."""
    tasks = [asyncio.ensure_future(job) for job in jobs]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
