"""The agent console's pause: the agent picks a reason (ivr/agents/pauses.py) and pauses,
or becomes available again. The same AMI action as `hajj-ivr agents pause` (QueuePause
with the Reason, as the desk's AMI user, whose job it is), for the logged-in agent's own
phone only; the reason reaches queue_log and the agent reports."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ivr.agents import pauses
from ivr.agents.store import Agent, AgentError, AgentStore
from ivr.ami.users import AmiUser, session
from ivr.config import Config
from ivr.errors import AmiActionError, HajjIvrError
from ivr.web import auth
from ivr.web.pages import Pages

log = logging.getLogger(__name__)
# (agent, reason or "" to become available) -> done; raises AmiActionError when the agent
# is not in a queue.
PauseAction = Callable[[Agent, str], Awaitable[None]]


def ami_pause(config: Config) -> PauseAction:
    async def pause(agent: Agent, reason: str) -> None:
        fields = pauses.queue_pause(agent.interface, bool(reason), reason)
        async with session(config, AmiUser.DESK) as ami:
            await ami.action("QueuePause", **fields)

    return pause


class AgentPause:
    def __init__(self, config: Config, pages: Pages, action: PauseAction | None = None) -> None:
        self.agents = AgentStore(config.agents_path)
        self.pages = pages
        self.action = action or ami_pause(config)

    async def pause(self, request: Request) -> Response:
        form = await auth.csrf_form(request)
        if form is None:
            return auth.csrf_refused()
        reason = auth.form_value(form, "reason")
        if reason not in pauses.WORDS:
            return self._said(request, "Pilih alasan jeda.", 400)
        return await self._change(request, reason)

    async def unpause(self, request: Request) -> Response:
        if await auth.csrf_form(request) is None:
            return auth.csrf_refused()
        return await self._change(request, "")

    async def _change(self, request: Request, reason: str) -> Response:
        name = request.session["user"]
        try:
            agent = await asyncio.to_thread(self.agents.get, name)
            await self.action(agent, reason)
        except (AgentError, AmiActionError):
            return self._said(request, "Anda belum masuk ke antrean (kode *71 di telepon).", 409)
        except HajjIvrError as e:  # Asterisk not reachable
            log.warning("pause of %s not done: %s", name, e)
            return self._said(request, "Asterisk tidak dapat dihubungi; coba lagi.", 503)
        log.info("%s %s from the console", name, f"paused ({reason})" if reason else "available")
        text = (
            f"Status Anda: jeda ({reason})." if reason else "Status Anda: siap menerima panggilan."
        )
        return self._said(request, text, 200)

    def _said(self, request: Request, text: str, status: int) -> Response:
        answer = self.pages.message(request, "Konsol petugas", text)
        answer.status_code = status
        return answer

    def routes(self) -> list[Route]:
        action = auth.required(api=True, role="agent")
        return [
            Route("/agent/pause", action(self.pause), methods=["POST"]),
            Route("/agent/unpause", action(self.unpause), methods=["POST"]),
        ]
