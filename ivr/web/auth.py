"""Logins for the web console: signed session cookies that expire, CSRF on every POST.

Agents log in with the name and password `hajj-ivr agents add` printed (scrypt hash in
the agent store). A session lasts web.session_minutes without activity.
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

Endpoint = Callable[[Request], Awaitable[Response]]


def user(request: Request, max_idle: float) -> str | None:
    """The logged-in name, or None (also when the session went idle too long)."""
    session = request.session
    name = session.get("user")
    seen = float(session.get("seen", 0))
    if not name or time.time() - seen > max_idle:
        session.clear()
        return None
    session["seen"] = time.time()
    return str(name)


def log_in(request: Request, name: str, role: str) -> None:
    request.session.clear()  # a fresh session on login (no fixation)
    request.session.update(
        {"user": name, "role": role, "seen": time.time(), "csrf": secrets.token_urlsafe(24)}
    )


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = request.session["csrf"] = secrets.token_urlsafe(24)
    return str(token)


def csrf_ok(request: Request, sent: str) -> bool:
    token = request.session.get("csrf", "")
    return bool(token) and hmac.compare_digest(str(token), sent)


def required(max_idle: float, api: bool = False, role: str = "") -> Callable[[Endpoint], Endpoint]:
    """Refuse a request without a live login (401 for APIs and actions, a redirect to the
    login page for pages) or, with ``role``, from a login without that role (403)."""

    def wrap(endpoint: Endpoint) -> Endpoint:
        async def guarded(request: Request) -> Response:
            if user(request, max_idle) is None:
                if api:
                    return JSONResponse({"error": "login required"}, status_code=401)
                return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
            if role and request.session.get("role") != role:
                return JSONResponse({"error": f"{role} only"}, status_code=403)
            return await endpoint(request)

        return guarded

    return wrap


async def csrf_form(request: Request) -> Any | None:
    """The posted form, or None when its CSRF token is missing or wrong."""
    form = await request.form()
    return form if csrf_ok(request, form_value(form, "csrf")) else None


def csrf_refused() -> Response:
    return JSONResponse({"error": "CSRF token missing or wrong"}, status_code=403)


def form_value(form: Any, key: str) -> str:
    value = form.get(key, "")
    return value if isinstance(value, str) else ""
