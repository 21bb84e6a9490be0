"""The agent console's state buttons: log in to the tier's queue (desk phone or browser
phone), available, paused with a reason (ivr/agents/pauses.py), log out; and the state
itself, read from app_queue (the same state the phone's feature codes *71, *72, *41-*44
and *74 set), polled by the page.

The actions are ivr.agents.members', sent as the desk's AMI user (whose job they are:
QueueAdd/Remove/Pause), for the logged-in agent's own member only. They reach queue_log
(ADDMEMBER, REMOVEMEMBER, PAUSE with the reason, UNPAUSE) and the agent reports, and the
web log names who did what. The state is read over the web's own AMI connection
(QueueStatus), not a login per poll.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ivr.agents import members, pauses
from ivr.agents.members import QueueAmi
from ivr.agents.store import Agent, AgentError, AgentStore
from ivr.ami.users import AmiUser, session
from ivr.config import Config
from ivr.errors import AmiActionError, HajjIvrError
from ivr.web import auth
from ivr.web.pages import Pages

log = logging.getLogger(__name__)
# One AMI session for one action (tests: a fake's).
DeskAmi = Callable[[], AbstractAsyncContextManager[QueueAmi]]
# The web's standing AMI connection, once up (None before).
StateAmi = Callable[[], Any]
PHONES = ("desk", "browser")  # the login form's choice: Agent.interface, Agent.web_interface
NOT_IN = "Anda belum masuk ke antrean (tombol Masuk antrean, atau *71 di telepon meja)."


def desk_session(config: Config) -> DeskAmi:
    return lambda: session(config, AmiUser.DESK)


class AgentState:
    def __init__(
        self, config: Config, pages: Pages, state_ami: StateAmi, desk: DeskAmi | None = None
    ) -> None:
        self.agents = AgentStore.for_config(config)
        self.pages = pages
        self.state_ami = state_ami
        self.desk = desk or desk_session(config)

    async def login(self, request: Request) -> Response:
        form = await auth.csrf_form(request)
        if form is None:
            return auth.csrf_refused()
        phone = auth.form_value(form, "phone")
        if phone not in PHONES:
            return self._said(request, "Pilih telepon: meja atau browser.", 400)

        def on(agent: Agent) -> str:
            return agent.interface if phone == "desk" else agent.web_interface

        return await self._do(
            request,
            lambda ami, agent: members.login(ami, agent, on(agent)),
            f"logged in ({phone} phone)",
            "Anda masuk ke antrean dan siap menerima panggilan.",
        )

    async def logout(self, request: Request) -> Response:
        if await auth.csrf_form(request) is None:
            return auth.csrf_refused()
        return await self._do(request, members.logout, "logged out", "Anda keluar dari antrean.")

    async def pause(self, request: Request) -> Response:
        form = await auth.csrf_form(request)
        if form is None:
            return auth.csrf_refused()
        reason = auth.form_value(form, "reason")
        if reason not in pauses.WORDS:
            return self._said(request, "Pilih alasan jeda.", 400)
        return await self._do(
            request,
            lambda ami, agent: members.pause(ami, agent, True, reason),
            f"paused ({reason})",
            f"Status Anda: jeda ({reason}).",
        )

    async def unpause(self, request: Request) -> Response:
        if await auth.csrf_form(request) is None:
            return auth.csrf_refused()
        return await self._do(
            request,
            lambda ami, agent: members.pause(ami, agent, False),
            "available",
            "Status Anda: siap menerima panggilan.",
        )

    async def _do(
        self,
        request: Request,
        work: Callable[[QueueAmi, Agent], Awaitable[None]],
        done: str,
        text: str,
    ) -> Response:
        name = request.session["user"]
        try:
            agent = await asyncio.to_thread(self.agents.get, name)
            async with self.desk() as ami:
                await work(ami, agent)
        except (AgentError, AmiActionError) as e:
            log.info("%s: console action refused: %s", name, e)
            return self._said(request, NOT_IN, 409)
        except HajjIvrError as e:  # Asterisk not reachable
            log.warning("console action of %s not done: %s", name, e)
            return self._said(request, "Asterisk tidak dapat dihubungi; coba lagi.", 503)
        log.info("%s %s from the console", name, done)
        return self._said(request, text, 200)

    async def state(self, request: Request) -> Response:
        """The agent's queue state as the page shows it (polled)."""
        name = request.session["user"]
        try:
            agent = await asyncio.to_thread(self.agents.get, name)
        except AgentError:
            return JSONResponse({"error": "no such agent"}, status_code=404)
        ami = self.state_ami()
        if ami is None or not getattr(ami, "connected", False):
            return JSONResponse(unknown(agent))
        try:
            member = await members.agent_member(ami, agent)
        except HajjIvrError:
            return JSONResponse(unknown(agent))
        return JSONResponse(state_json(agent, member, time.time()))

    def _said(self, request: Request, text: str, status: int) -> Response:
        """JSON for the page's fetch (Accept: application/json), else a message page."""
        if "application/json" in request.headers.get("accept", ""):
            return JSONResponse({"ok": status == 200, "text": text}, status_code=status)
        answer = self.pages.message(request, "Konsol petugas", text)
        answer.status_code = status
        return answer

    def routes(self) -> list[Route]:
        action = auth.required(api=True, role="agent")
        return [
            Route("/agent/login", action(self.login), methods=["POST"]),
            Route("/agent/logout", action(self.logout), methods=["POST"]),
            Route("/agent/pause", action(self.pause), methods=["POST"]),
            Route("/agent/unpause", action(self.unpause), methods=["POST"]),
            Route("/agent/api/state", action(self.state)),
        ]


def unknown(agent: Agent) -> dict[str, Any]:
    return {"agent": agent.name, "tier": agent.tier, "state": "unknown", "phone": ""}


def state_json(agent: Agent, member: Any, now: float) -> dict[str, Any]:
    """``phone``: which phone is the member (desk | browser | "" when logged out);
    ``paused_for``: seconds since the pause began (the after-call-work timer)."""
    state = members.state_of(agent, member)
    phone = ""
    if member is not None:
        phone = "browser" if member.get("Location") == agent.web_interface else "desk"
    since = float(member.get("LastPause", "0") or 0) if member is not None else 0.0
    return {
        "agent": agent.name,
        "tier": agent.tier,
        "state": state.state,
        "paused": state.paused,
        "reason": state.pause_reason,
        "phone": phone,
        "calls": state.calls_taken,
        "paused_for": round(now - since) if state.paused and since > 0 else None,
    }
