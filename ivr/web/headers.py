"""Security headers on every answer of the web app: pages, static files, APIs, errors.

- Content-Security-Policy: scripts, styles, media and fetches from this origin only; no
  inline script, no inline style attribute, no plugins, no <base>, forms post here only.
  A markup injection that slipped past the templates' escaping still could not run.
- frame-ancestors 'none' and X-Frame-Options DENY (for older browsers): no page inside
  another site's frame (clickjacking the admin actions).
- X-Content-Type-Options nosniff: an upload or a CSV is never run as script or HTML.
- Referrer-Policy no-referrer: no URL of ours goes to another site.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

POLICY = "; ".join(
    (
        "default-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
HEADERS = {
    "Content-Security-Policy": POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


class SecurityHeaders:
    """Plain ASGI middleware (it never buffers a body: the event stream keeps flowing)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS.items():
                    headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)
