"""Logins for the web console: server-side sessions, guards, CSRF on every POST.

Agents and admins log in with the web password `hajj-ivr agents add` / `admins add`
printed (scrypt hash in the agent store; ivr/web/logins.py checks it). The session lives
in the store (ivr/agents/sessions.py); ivr/web/sessioncookie.py fills ``request.session``
from it on every request with the account's current role, so a guard here only reads it.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import HTTPConnection, Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from ivr.agents.sessions import Sessions
from ivr.agents.store import Agent
from ivr.web import sessioncookie as cookie

Endpoint = Callable[[Request], Awaitable[Response]]


def log_in(request: Request, agent: Agent) -> bool:
    """Start a session for ``agent`` (ending this browser's previous one: no fixation);
    False when the account changed since its password was checked."""
    log_out(request)
    address = request.client.host if request.client else ""
    started = sessions(request).start(agent.name, agent.web_hash, address)
    if started is None:
        return False
    request.scope[cookie.STARTED] = started
    return True


def log_out(request: Request) -> None:
    """End this browser's session on the server; the cookie is expired too."""
    if request.scope.get(cookie.SESSION_ID):
        sessions(request).end(request.scope[cookie.SESSION_ID])
        request.scope[cookie.ENDED] = True
    request.scope["session"] = {}


def still_valid(connection: HTTPConnection) -> bool:
    """Is the request's session still live (for a long response: the event stream)?"""
    session_id = connection.scope.get(cookie.SESSION_ID, "")
    return bool(session_id) and sessions(connection).get(session_id) is not None


def sessions(connection: HTTPConnection) -> Sessions:
    store: Sessions = connection.scope[cookie.SESSIONS]
    return store


def csrf_token(request: Request) -> str:
    """The token forms carry: the session's, or before login the login form's own."""
    token = request.session.get("csrf") or request.scope.get(cookie.LOGIN_CSRF)
    if not token:
        token = request.scope.get(cookie.NEW_LOGIN_CSRF) or secrets.token_urlsafe(24)
        request.scope[cookie.NEW_LOGIN_CSRF] = token
    return str(token)


def csrf_ok(request: Request, sent: str) -> bool:
    token = request.session.get("csrf") or request.scope.get(cookie.LOGIN_CSRF, "")
    return bool(token) and hmac.compare_digest(str(token), sent)


# Who a guard without a role lets in: agents and admins. A unit login (its correction
# cases only, ivr/web/corrections.py) is let in only where a guard names it.
STAFF = ("agent", "admin")


def required(api: bool = False, role: str | tuple[str, ...] = "") -> Callable[[Endpoint], Endpoint]:
    """Refuse a request without a live login (401 for APIs and actions, a redirect to the
    login page for pages) or from a login whose role is not ``role`` (or one of them;
    default: agents and admins) (403)."""
    allowed = (role,) if isinstance(role, str) and role else role or STAFF

    def wrap(endpoint: Endpoint) -> Endpoint:
        async def guarded(request: Request) -> Response:
            if not request.session.get("user"):
                if api:
                    return JSONResponse({"error": "login required"}, status_code=401)
                return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
            if request.session.get("role") not in allowed:
                return JSONResponse({"error": f"{' or '.join(allowed)} only"}, status_code=403)
            return await endpoint(request)

        return guarded

    return wrap


# The dashboard's guards: its pages, and its APIs and actions.
admin_page = required(role="admin")
admin_api = required(api=True, role="admin")


async def csrf_form(request: Request) -> Any | None:
    """The posted form, or None when its CSRF token is missing or wrong."""
    form = await request.form()
    return form if csrf_ok(request, form_value(form, "csrf")) else None


def csrf_refused() -> Response:
    return JSONResponse({"error": "CSRF token missing or wrong"}, status_code=403)


def form_value(form: Any, key: str) -> str:
    value = form.get(key, "")
    return value if isinstance(value, str) else ""
