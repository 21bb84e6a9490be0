"""The web app: login, the agent console (screen pop, live over Server-Sent Events), the
dashboard and the complaint pages, each a class of its own with its routes; this module
composes them with the middleware and the AMI connection that feeds the screen pop.

`hajj-ivr web` serves it with uvicorn; it keeps its own AMI connection for app_queue's
events and reads the call log and the data mirror. Assets are local files (no CDN).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import AbstractAsyncContextManager
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from ivr.agents.sessions import Sessions
from ivr.agents.store import AgentStore
from ivr.agents.throttle import LoginThrottle
from ivr.ami.client import AmiClient
from ivr.ami.users import AmiUser, connect_until_up, for_config
from ivr.config import Config
from ivr.web import uploads
from ivr.web.admin import Dashboard
from ivr.web.agent_state import AgentState, DeskAmi, desk_session
from ivr.web.bodycap import BodyCap
from ivr.web.complaints import ComplaintPages
from ivr.web.console import AgentConsole
from ivr.web.corrections import CorrectionPages
from ivr.web.headers import SecurityHeaders
from ivr.web.health_pages import HealthPages
from ivr.web.loginpages import LoginPages
from ivr.web.logins import LoginDesk
from ivr.web.pages import Pages
from ivr.web.phone import BrowserPhone
from ivr.web.recording_pages import RecordingPages
from ivr.web.screenpop import EVENTS, ScreenPop
from ivr.web.sessioncookie import ServerSessions
from ivr.web.supervision import AmiSession

log = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static"


def build_app(
    config: Config,
    pop: ScreenPop | None = None,
    ami: AmiClient | None = None,
    *,
    secure_cookies: bool | None = None,
    clock: Callable[[], float] = time.time,
    supervise_ami: AmiSession | None = None,
    desk_ami: DeskAmi | None = None,
) -> Starlette:
    """``secure_cookies``: mark cookies Secure (the app is served behind TLS); ``clock``
    for session and lock times (tests); ``supervise_ami``: the supervision legs' AMI
    session (tests; default: the 'supervise' user's, opened per action); ``desk_ami``: the
    console's state actions' AMI session (tests; default: the 'desk' user's, per action)."""
    sessions = Sessions.for_config(config, clock)
    desk = LoginDesk(AgentStore.for_config(config), LoginThrottle.for_config(config, clock))
    pop = pop or ScreenPop(config.calllog_path, config.mirror_path, database=config.database)
    connection: dict[str, AmiClient] = {}  # the lifespan's AMI client, once it runs
    pages = Pages.for_zone(config.agents.timezone)
    desk_ami = desk_ami or desk_session(config)
    routes = [
        *LoginPages(pages, desk).routes(),
        *AgentConsole(pop, pages, config).routes(),
        *AgentState(config, pages, lambda: connection.get("ami", ami), desk_ami).routes(),
        *BrowserPhone(config).routes(),
        # A given client (tests) serves the dashboard before a lifespan runs.
        *Dashboard(config, lambda: connection.get("ami", ami), pages, supervise_ami).routes(),
        *ComplaintPages(config, pop.latest.get, pages).routes(),
        *HealthPages(config, lambda: connection.get("ami")).routes(),
        *CorrectionPages(config, pages).routes(),
        *RecordingPages(config, pages).routes(),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    cookies = config.web.secure_cookies if secure_cookies is None else secure_cookies
    return Starlette(
        routes=routes,
        middleware=[
            Middleware(SecurityHeaders),
            # Any body over a small cap is refused (413) before it is read; the two upload
            # endpoints stream and cap their own (web.max_export_mib, web.max_reply_mib).
            Middleware(BodyCap, streamed=uploads.STREAMED),
            Middleware(ServerSessions, sessions=sessions, secure=cookies),
        ],
        lifespan=_lifespan(config, pop, ami, connection, (desk.close, sessions.close)),
    )


def _lifespan(
    config: Config,
    pop: ScreenPop,
    ami: AmiClient | None,
    connection: dict[str, AmiClient],
    closers: Sequence[Callable[[], None]],
) -> Callable[[Starlette], AbstractAsyncContextManager[None]]:
    """What runs beside the app: the pool its pages borrow from, the AMI feed of the pop."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        with _pages_pool(config):
            async with _ami_feed(config, pop, ami, connection):
                try:
                    yield
                finally:
                    for close in closers:
                        close()

    return lifespan


@contextlib.contextmanager
def _pages_pool(config: Config) -> Iterator[None]:
    """With ``[database] url`` a pool of the web app's own, lent to every page's store
    (ivr.pgstore.lending): a wallboard read every 2 s must not connect anew each time. It
    connects in the background: the app starts even while PostgreSQL is away."""
    if not config.database.postgres:
        yield
        return
    from ivr import pgstore

    pool = pgstore.open_pool(config.database, "hajj-ivr-pages", wait=False)
    try:
        with pgstore.lending(config.database, pgstore.PgSql(pool)):
            yield
    finally:
        pool.close()


@contextlib.asynccontextmanager
async def _ami_feed(
    config: Config, pop: ScreenPop, ami: AmiClient | None, connection: dict[str, AmiClient]
) -> AsyncIterator[None]:
    """The app's own AMI connection feeding the screen pop (``ami``: one given, tests)."""
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
