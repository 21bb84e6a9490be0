"""Every request body capped: a form over its cap is refused with 413, unread.

Starlette parses a form (``request.form()``) before an endpoint can look at it, spooling
file parts of any size to the system temporary folder: without a cap, anyone could fill
that disk through the login form. The upload endpoints stream and cap their own bodies
(:mod:`ivr.web.uploads`); every other body is small.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from ivr.web.uploads import FORM_BYTES

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]


class _BodyTooLarge(Exception):
    """Raised into the app by the counting ``receive``; answered here with 413. Not a
    HajjIvrError on purpose: no endpoint may catch it on its way back out."""


class BodyCap:
    """ASGI middleware: any request body over ``limit`` bytes is refused with 413, before
    it is read when its Content-Length says so. Paths matching ``streamed`` (the upload
    endpoints, which cap and report their own) pass through."""

    def __init__(self, app: App, limit: int = FORM_BYTES, streamed: str = "^$") -> None:
        self.app, self.limit, self.streamed = app, limit, re.compile(streamed)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.streamed.fullmatch(scope["path"]):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.limit:
            await self._refuse(send)
            return
        received, started = 0, False

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.limit:
                raise _BodyTooLarge
            return message

        async def sending(message: Message) -> None:
            nonlocal started
            started = True
            await send(message)

        try:
            await self.app(scope, counted, sending)
        except _BodyTooLarge:
            if not started:
                await self._refuse(send)

    async def _refuse(self, send: Send) -> None:
        body = f"request body larger than {self.limit // 1024} KiB\n".encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"text/plain; charset=utf-8"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
