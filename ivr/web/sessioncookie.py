"""The session cookie: a random id for a server-side session (ivr/agents/sessions.py).

An ASGI middleware looks the cookie up on every request and puts what the store says now
in ``request.session`` (user, role, tier, csrf, unit), or an empty dict. The endpoints log in
and out through ivr/web/auth.py, which leaves word in the scope; the middleware then sets
or expires the cookie on the response. Cookies are HttpOnly and SameSite=Strict, Secure
when served behind TLS. Before login the login form's CSRF token lives in a cookie of its
own (double submit): no server-side row for anonymous visitors.
"""

from __future__ import annotations

import re
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ivr.agents.sessions import Session, Sessions

COOKIE = "hajj_session"
LOGIN_CSRF_COOKIE = "hajj_login_csrf"
# Scope keys shared with ivr/web/auth.py.
SESSION_ID = "hajj.session_id"  # the request's live session id, if any
STARTED = "hajj.session_started"  # a session id to send as the new cookie
ENDED = "hajj.session_ended"  # expire the session cookie
LOGIN_CSRF = "hajj.login_csrf"  # the login form's token from its cookie
NEW_LOGIN_CSRF = "hajj.login_csrf_new"  # a fresh login-form token to send as a cookie
SESSIONS = "hajj.sessions"  # the store, for log in and out
# What secrets.token_urlsafe(24) makes: a login-form token sent back in any other shape
# (a cookie planted by someone else) is not taken, and so never echoed into the page.
TOKEN = re.compile(r"^[A-Za-z0-9_-]{32}$")


def as_dict(session: Session) -> dict[str, Any]:
    """What endpoints read from ``request.session``."""
    return {
        "user": session.name,
        "role": session.role,
        "tier": session.tier,
        "csrf": session.csrf,
        "unit": session.unit,
    }


class ServerSessions:
    def __init__(self, app: ASGIApp, sessions: Sessions, secure: bool = False) -> None:
        self.app, self.sessions, self.secure = app, sessions, secure

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        cookies = HTTPConnection(scope).cookies
        sent = cookies.get(COOKIE, "")
        live = self.sessions.get(sent) if sent else None
        scope["session"] = as_dict(live) if live else {}
        scope[SESSION_ID] = sent if live else ""
        login_csrf = cookies.get(LOGIN_CSRF_COOKIE, "")
        scope[LOGIN_CSRF] = login_csrf if TOKEN.match(login_csrf) else ""
        scope[SESSIONS] = self.sessions
        stale = bool(sent) and live is None

        async def send_with_cookies(message: Message) -> None:
            if message["type"] == "http.response.start":
                self._cookies(scope, MutableHeaders(scope=message), stale)
            await send(message)

        await self.app(scope, receive, send_with_cookies)

    def _cookies(self, scope: Scope, headers: MutableHeaders, stale: bool) -> None:
        lifetime = int(self.sessions.lifetime)
        if scope.get(STARTED):
            headers.append("set-cookie", self._cookie(COOKIE, scope[STARTED], lifetime))
            headers.append("set-cookie", self._cookie(LOGIN_CSRF_COOKIE, "", 0))
        elif scope.get(ENDED) or stale:
            headers.append("set-cookie", self._cookie(COOKIE, "", 0))
        if scope.get(NEW_LOGIN_CSRF):
            headers.append(
                "set-cookie", self._cookie(LOGIN_CSRF_COOKIE, scope[NEW_LOGIN_CSRF], 3600)
            )

    def _cookie(self, name: str, value: str, max_age: int) -> str:
        secure = "; Secure" if self.secure else ""
        return f"{name}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Strict{secure}"
