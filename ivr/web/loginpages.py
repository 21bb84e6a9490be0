"""The login page, logging in and out, and the home page's redirect by role.

The password check itself (throttled, bounded) is ivr/web/logins.py's; sessions and CSRF
are ivr/web/auth.py's.
"""

from __future__ import annotations

import urllib.parse

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from ivr.web import auth
from ivr.web.logins import LoginDesk, Refused
from ivr.web.pages import Pages

REFUSALS = {
    "locked": "Terlalu banyak percobaan masuk yang gagal. Coba lagi dalam {minutes} menit.",
    "busy": "Server sedang sibuk. Coba lagi sebentar lagi.",
}

# Where each role lands after login (a unit login: its correction cases).
HOMES = {"admin": "/admin", "agent": "/agent", "unit": "/corrections", "supervisor": "/admin"}


class LoginPages:
    def __init__(self, pages: Pages, desk: LoginDesk) -> None:
        self.pages = pages
        self.desk = desk

    async def home(self, request: Request) -> Response:
        target = HOMES.get(request.session.get("role", ""), "/agent")
        return RedirectResponse(target, status_code=303)

    async def form(self, request: Request) -> Response:
        failed = request.query_params.get("failed")
        return self.page(request, "Nama atau kata sandi salah." if failed else "")

    def page(self, request: Request, message: str, status: int = 200) -> Response:
        answer = self.pages.render(
            request,
            "login.html",
            title="Masuk",
            user="",  # no header on the login page, even for a live session
            message=message,
            next_path=request.query_params.get("next", ""),
        )
        answer.status_code = status
        return answer

    async def log_in(self, request: Request) -> Response:
        form = await auth.csrf_form(request)
        if form is None:
            return auth.csrf_refused()
        name, password = auth.form_value(form, "name"), auth.form_value(form, "password")
        address = request.client.host if request.client else "unknown"
        agent = await self.desk.attempt(name, password, address)
        if isinstance(agent, Refused):
            return self.refused(request, agent)
        if not auth.log_in(request, agent):
            return RedirectResponse("/login?failed=1", status_code=303)
        home = HOMES.get(agent.role, "/agent")
        nxt = urllib.parse.urlsplit(auth.form_value(form, "next")).path
        safe = nxt.startswith("/") and not nxt.startswith("//")
        return RedirectResponse(nxt if safe else home, status_code=303)

    async def log_out(self, request: Request) -> Response:
        form = await auth.csrf_form(request)
        if form is None:
            return auth.csrf_refused()
        auth.log_out(request)
        return RedirectResponse("/login", status_code=303)

    def refused(self, request: Request, refusal: Refused) -> Response:
        if refusal.reason == "wrong":
            return RedirectResponse("/login?failed=1", status_code=303)
        minutes = max(1, -(-refusal.retry_after // 60))
        message = REFUSALS[refusal.reason].format(minutes=minutes)
        answer = self.page(request, message, 429 if refusal.reason == "locked" else 503)
        answer.headers["Retry-After"] = str(refusal.retry_after)
        return answer

    def routes(self) -> list[Route]:
        return [
            Route("/", self.home),
            Route("/login", self.form, methods=["GET"]),
            Route("/login", self.log_in, methods=["POST"]),
            Route("/logout", self.log_out, methods=["POST"]),
        ]
