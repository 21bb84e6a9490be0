"""The agent's console: the page, the current screen pop, the pops live as Server-Sent
Events, and the after-call disposition. What a pop holds is ivr/web/screenpop.py's; the
page renders its rows. The state buttons are ivr/web/agent_state.py's.

A disposition is written under the logged-in agent's name, and only for a call they took:
the call of their latest screen pop once answered, or a queue stay the tracker recorded as
theirs.
Anyone else's call is refused (403), so a call's notes always name who handled it.
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

from ivr import calldb
from ivr.agents import pauses
from ivr.agents.store import AgentError, AgentStore
from ivr.config import Config
from ivr.dispositions import TOPICS, Disposition, DispositionError, Dispositions
from ivr.queue.records import QueueRecords
from ivr.web import auth
from ivr.web.complaints import CATEGORY_NAMES
from ivr.web.pages import Pages
from ivr.web.screenpop import ScreenPop

log = logging.getLogger(__name__)
# The event stream says something this often; the session is checked again each time.
KEEPALIVE = 5.0
# The pause form's reasons (posted to ivr/web/agent_state.py).
PAUSE_CHOICES = [(r.word, r.label) for r in pauses.REASONS]


# A screen pop in these states is of a call the agent answered (ivr/web/screenpop.py).
TAKEN = ("connected", "ended")
# Tiers an agent may pass a call up to (tier 3 is the last).
LAST_TIER = 3


class AgentConsole:
    def __init__(self, pop: ScreenPop, pages: Pages, config: Config) -> None:
        self.pop = pop
        self.pages = pages
        self.config = config
        self.agents = AgentStore.for_config(config)

    async def page(self, request: Request) -> Response:
        try:
            tier = (await asyncio.to_thread(self.agents.get, request.session["user"])).tier
        except AgentError:
            tier = 0  # an admin looking at the page: no queue of their own
        return self.pages.render(
            request,
            "agent.html",
            title="Konsol petugas",
            categories=list(CATEGORY_NAMES.items()),
            pause_reasons=PAUSE_CHOICES,
            topics=list(TOPICS.items()),
            tier=tier,
            next_tier=tier + 1 if 0 < tier < LAST_TIER else 0,
        )

    async def disposition(self, request: Request) -> Response:
        form = await auth.csrf_form(request)
        if form is None:
            return auth.csrf_refused()
        name = request.session["user"]
        call_id = auth.form_value(form, "call_id")
        resolved = auth.form_value(form, "resolved")
        if resolved not in ("yes", "no"):
            return JSONResponse({"error": "Pilih: selesai atau belum."}, status_code=400)
        if not await asyncio.to_thread(self._took, name, call_id):
            return JSONResponse({"error": "Bukan panggilan yang Anda terima."}, status_code=403)
        try:
            done = await asyncio.to_thread(
                self._add,
                call_id,
                name,
                auth.form_value(form, "topic"),
                resolved == "yes",
                auth.form_value(form, "note"),
            )
        except DispositionError as e:
            return JSONResponse({"error": str(e)}, status_code=400)
        log.info("%s wrote the disposition of call %s (%s)", name, call_id, done.topic)
        return JSONResponse({"ok": True, "id": done.id, "at": done.at})

    def _took(self, name: str, call_id: str) -> bool:
        latest = self.pop.latest.get(name) or {}
        answered = latest.get("state") in TAKEN  # rung only (missed, abandoned): not theirs
        if call_id and latest.get("call_id") == call_id and answered:
            return True
        with calldb.opened(self.config) as sql:
            return any(s.agent == name for s in QueueRecords(sql).for_call(call_id))

    def _add(self, call_id: str, name: str, topic: str, resolved: bool, note: str) -> Disposition:
        with calldb.opened(self.config) as sql:
            return Dispositions(sql).add(call_id, name, topic, resolved, note)

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
            Route(
                "/agent/disposition",
                auth.required(api=True, role="agent")(self.disposition),
                methods=["POST"],
            ),
        ]
