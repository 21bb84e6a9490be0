"""The agent's console: the page, the current screen pop, and the pops live as
Server-Sent Events. What a pop holds is ivr/web/screenpop.py's; the page renders its rows.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from ivr.agents import pauses
from ivr.web import auth
from ivr.web.complaints import CATEGORY_NAMES
from ivr.web.pages import Pages
from ivr.web.screenpop import ScreenPop

log = logging.getLogger(__name__)
# The event stream says something this often; the session is checked again each time.
KEEPALIVE = 5.0
# The pause form's reasons (posted to ivr/web/agent_pause.py).
PAUSE_CHOICES = [(r.word, r.label) for r in pauses.REASONS]


class AgentConsole:
    def __init__(self, pop: ScreenPop, pages: Pages) -> None:
        self.pop = pop
        self.pages = pages

    async def page(self, request: Request) -> Response:
        return self.pages.render(
            request,
            "agent.html",
            title="Konsol petugas",
            categories=list(CATEGORY_NAMES.items()),
            pause_reasons=PAUSE_CHOICES,
        )

    async def current(self, request: Request) -> Response:
        return JSONResponse(self.pop.latest.get(request.session["user"]))

    async def events(self, request: Request) -> Response:
        name = request.session["user"]
        return StreamingResponse(
            self._stream(request, name, self.pop.subscribe(name)),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )

    async def _stream(
        self, request: Request, name: str, queue: asyncio.Queue[dict[str, Any]]
    ) -> AsyncIterator[str]:
        try:
            latest = self.pop.latest.get(name)
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
            self.pop.unsubscribe(name, queue)

    def routes(self) -> list[Route]:
        page, api = auth.required(), auth.required(api=True)
        return [
            Route("/agent", page(self.page)),
            Route("/agent/api/current", api(self.current)),
            Route("/agent/events", api(self.events)),
        ]
