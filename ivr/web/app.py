"""The web app: login, the agent console (screen pop, live over Server-Sent Events).

`hajj-ivr web` serves it with uvicorn; it keeps its own AMI connection for app_queue's
events and reads the call log and the data mirror. Assets are local files (no CDN).
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import json
import logging
import urllib.parse
from collections.abc import AsyncIterator
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import (
    JSONResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ivr.agents.store import AgentStore
from ivr.ami.client import AmiClient, AmiUser, connect_until_up, for_config
from ivr.config import Config
from ivr.secrets import load_or_create
from ivr.web import auth
from ivr.web.admin import Dashboard
from ivr.web.complaints import CATEGORY_NAMES, ComplaintPages
from ivr.web.html import csrf_field, page
from ivr.web.screenpop import EVENTS, ScreenPop

log = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static"
KEEPALIVE = 15.0


def build_app(
    config: Config, pop: ScreenPop | None = None, ami: AmiClient | None = None
) -> Starlette:
    secrets = load_or_create(config.secrets_path)
    agents = AgentStore(config.agents_path)
    pop = pop or ScreenPop(config.calllog_path, config.mirror_path)
    idle = config.web.session_minutes * 60.0
    connection: dict[str, AmiClient] = {}
    dashboard = Dashboard(config, lambda: connection.get("ami"))
    complaint_pages = ComplaintPages(config, pop.latest.get)
    login_required = auth.required(idle)
    api_required = auth.required(idle, api=True)

    async def login_form(request: Request) -> Response:
        token = auth.csrf_token(request)
        failed = request.query_params.get("failed")
        nxt = html.escape(request.query_params.get("next", ""), quote=True)
        note = '<p class="error">Nama atau kata sandi salah.</p>' if failed else ""
        return page(
            "Masuk",
            f"""<main class="login"><h1>Layanan Informasi Haji 500425</h1>{note}
<form method="post" action="/login"><input type="hidden" name="csrf" value="{token}">
<input type="hidden" name="next" value="{nxt}">
<label>Nama <input name="name" autocomplete="username" required></label>
<label>Kata sandi <input name="password" type="password" autocomplete="current-password"
required></label><button type="submit">Masuk</button></form></main>""",
        )

    async def login_post(request: Request) -> Response:
        form = await auth.csrf_form(request)
        if form is None:
            return auth.csrf_refused()
        name, password = auth.form_value(form, "name"), auth.form_value(form, "password")
        agent = await asyncio.to_thread(agents.check_login, name, password)
        if agent is None:
            log.warning("web login refused")
            return RedirectResponse("/login?failed=1", status_code=303)
        auth.log_in(request, agent.name, agent.role)
        home = "/admin" if agent.role == "admin" else "/agent"
        nxt = urllib.parse.urlsplit(auth.form_value(form, "next")).path
        safe = nxt.startswith("/") and not nxt.startswith("//")
        return RedirectResponse(nxt if safe else home, status_code=303)

    async def logout(request: Request) -> Response:
        form = await auth.csrf_form(request)
        if form is None:
            return auth.csrf_refused()
        request.session.clear()
        return RedirectResponse("/login", status_code=303)

    @login_required
    async def agent_page(request: Request) -> Response:
        return auth.user_page(
            request,
            "Konsol petugas",
            """<main id="pop" data-state="idle"><p class="idle">Menunggu panggilan…</p></main>
<section id="new-complaint"><h2>Buat pengaduan untuk panggilan ini</h2>
<form method="post" action="/complaints/new">"""
            + csrf_field(auth.csrf_token(request))
            + '<select name="category">'
            + "".join(f'<option value="{k}">{v}</option>' for k, v in CATEGORY_NAMES.items())
            + """</select><label>Catatan <input name="note"></label><button>Buat</button>
</form><p><a href="/complaints">Daftar pengaduan</a></p></section>
<script src="/static/console.js"></script>""",
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
                        yield f"event: pop\ndata: {json.dumps(item)}\n\n"
                    except TimeoutError:
                        yield ": keepalive\n\n"
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
        task = asyncio.create_task(connect_until_up(client, "web")) if ami is None else None
        try:
            yield
        finally:
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
                await client.close()

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
            Middleware(
                SessionMiddleware,
                secret_key=secrets.web_secret,
                session_cookie="hajj_session",
                max_age=int(idle),
                same_site="strict",
            )
        ],
        lifespan=lifespan,
    )


async def serve(config: Config) -> None:
    import uvicorn

    app = build_app(config)
    server = uvicorn.Server(
        uvicorn.Config(
            app, host=config.web.host, port=config.web.port, log_level="warning", access_log=False
        )
    )
    log.info("web console on http://%s:%d/agent", config.web.host, config.web.port)
    await server.serve()
