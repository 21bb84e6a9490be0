"""The web app: login, the agent console (screen pop, live over Server-Sent Events).

`hajj-ivr web` serves it with uvicorn; it keeps its own AMI connection for app_queue's
events and reads the call log and the data mirror. Assets are local files (no CDN).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import urllib.parse
from collections.abc import AsyncIterator, Callable
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import (
    JSONResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ivr.agents.sessions import Sessions
from ivr.agents.store import AgentStore
from ivr.agents.throttle import LoginThrottle
from ivr.ami.client import AmiClient, AmiUser, connect_until_up, for_config
from ivr.config import Config
from ivr.web import auth, uploads
from ivr.web.admin import Dashboard
from ivr.web.bodycap import BodyCap
from ivr.web.complaints import CATEGORY_NAMES, ComplaintPages
from ivr.web.headers import SecurityHeaders
from ivr.web.logins import LoginDesk, Refused
from ivr.web.pages import Pages
from ivr.web.screenpop import EVENTS, ScreenPop
from ivr.web.sessioncookie import ServerSessions

log = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static"
# The event stream says something this often; the session is checked again each time.
KEEPALIVE = 5.0
REFUSALS = {
    "locked": "Terlalu banyak percobaan masuk yang gagal. Coba lagi dalam {minutes} menit.",
    "busy": "Server sedang sibuk. Coba lagi sebentar lagi.",
}


def build_app(
    config: Config,
    pop: ScreenPop | None = None,
    ami: AmiClient | None = None,
    *,
    secure_cookies: bool | None = None,
    clock: Callable[[], float] = time.time,
) -> Starlette:
    """``secure_cookies``: mark cookies Secure (the app is served behind TLS); ``clock``
    for session and lock times (tests)."""
    agents = AgentStore(config.agents_path)
    sessions = Sessions.for_config(config, clock)
    desk = LoginDesk(agents, LoginThrottle.for_config(config, clock))
    pop = pop or ScreenPop(config.calllog_path, config.mirror_path)
    connection: dict[str, AmiClient] = {}
    pages = Pages.for_zone(config.agents.timezone)
    dashboard = Dashboard(config, lambda: connection.get("ami"), pages)
    complaint_pages = ComplaintPages(config, pop.latest.get, pages)
    login_required = auth.required()
    api_required = auth.required(api=True)

    async def login_form(request: Request) -> Response:
        failed = request.query_params.get("failed")
        return login_page(request, "Nama atau kata sandi salah." if failed else "")

    def login_page(request: Request, message: str, status: int = 200) -> Response:
        answer = pages.render(
            request,
            "login.html",
            title="Masuk",
            user="",  # no header on the login page, even for a live session
            message=message,
            next_path=request.query_params.get("next", ""),
        )
        answer.status_code = status
        return answer

    async def login_post(request: Request) -> Response:
        form = await auth.csrf_form(request)
        if form is None:
            return auth.csrf_refused()
        name, password = auth.form_value(form, "name"), auth.form_value(form, "password")
        address = request.client.host if request.client else "unknown"
        agent = await desk.attempt(name, password, address)
        if isinstance(agent, Refused):
            return refused_login(request, agent)
        if not auth.log_in(request, agent):
            return RedirectResponse("/login?failed=1", status_code=303)
        home = "/admin" if agent.role == "admin" else "/agent"
        nxt = urllib.parse.urlsplit(auth.form_value(form, "next")).path
        safe = nxt.startswith("/") and not nxt.startswith("//")
        return RedirectResponse(nxt if safe else home, status_code=303)

    async def logout(request: Request) -> Response:
        form = await auth.csrf_form(request)
        if form is None:
            return auth.csrf_refused()
        auth.log_out(request)
        return RedirectResponse("/login", status_code=303)

    def refused_login(request: Request, refusal: Refused) -> Response:
        if refusal.reason == "wrong":
            return RedirectResponse("/login?failed=1", status_code=303)
        minutes = max(1, -(-refusal.retry_after // 60))
        message = REFUSALS[refusal.reason].format(minutes=minutes)
        answer = login_page(request, message, 429 if refusal.reason == "locked" else 503)
        answer.headers["Retry-After"] = str(refusal.retry_after)
        return answer

    @login_required
    async def agent_page(request: Request) -> Response:
        return pages.render(
            request,
            "agent.html",
            title="Konsol petugas",
            categories=list(CATEGORY_NAMES.items()),
        )

    @api_required
    async def current(request: Request) -> Response:
        return JSONResponse(pop.latest.get(request.session["user"]))

    @api_required
    async def events(request: Request) -> Response:
        name = request.session["user"]
        queue = pop.subscribe(name)

        async def stream() -> AsyncIterator[str]:
            try:
                latest = pop.latest.get(name)
                if latest:
                    yield f"event: pop\ndata: {json.dumps(latest)}\n\n"
                while True:
                    try:
                        item = await asyncio.wait_for(queue.get(), KEEPALIVE)
                        chunk = f"event: pop\ndata: {json.dumps(item)}\n\n"
                    except TimeoutError:
                        chunk = ": keepalive\n\n"
                    # Logged out, removed, new password, expired: the stream ends with it.
                    if not auth.still_valid(request):
                        log.info("event stream of %r ended with its session", name)
                        return
                    yield chunk
            finally:
                pop.unsubscribe(name, queue)

        return StreamingResponse(
            stream(),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )

    async def home(request: Request) -> Response:
        target = "/admin" if request.session.get("role") == "admin" else "/agent"
        return RedirectResponse(target, status_code=303)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        client = ami or for_config(config, AmiUser.WEB)
        connection["ami"] = client
        for name in EVENTS:
            client.on_event(name, pop.on_event)
        client.on_connect(pop.on_connect)  # events missed while AMI was down
        task = asyncio.create_task(connect_until_up(client, "web")) if ami is None else None
        try:
            yield
        finally:
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
                await client.close()
            desk.close()
            sessions.close()

    return Starlette(
        routes=[
            Route("/", home),
            Route("/login", login_form, methods=["GET"]),
            Route("/login", login_post, methods=["POST"]),
            Route("/logout", logout, methods=["POST"]),
            Route("/agent", agent_page),
            Route("/agent/api/current", current),
            Route("/agent/events", events),
            *dashboard.routes(),
            *complaint_pages.routes(),
            Mount("/static", StaticFiles(directory=STATIC), name="static"),
        ],
        middleware=[
            Middleware(SecurityHeaders),
            # Any body over a small cap is refused (413) before it is read; the two upload
            # endpoints stream and cap their own (web.max_export_mib, web.max_reply_mib).
            Middleware(BodyCap, streamed=uploads.STREAMED),
            Middleware(
                ServerSessions,
                sessions=sessions,
                secure=config.web.secure_cookies if secure_cookies is None else secure_cookies,
            ),
        ],
        lifespan=lifespan,
    )


async def serve(config: Config) -> None:
    import uvicorn

    uploads.remove_left_over(config.uploads_dir)  # from a web process that was killed
    app = build_app(config)
    server = uvicorn.Server(
        uvicorn.Config(
            app, host=config.web.host, port=config.web.port, log_level="warning", access_log=False
        )
    )
    log.info("web console on http://%s:%d/agent", config.web.host, config.web.port)
    await server.serve()
