"""Supervision from the wallboard: listen to, whisper to or barge in on an agent's call.

A supervisor (or an admin) presses a button beside a live agent call; the leg rings the
asker's own phone (ivr/agents/supervise.py). The web's own AMI connection ('web': reads
only) finds the agent's channel; the 'supervise' user, opened for that one action, places
the leg: the web's everyday AMI user places no call. Every request is audited
(ivr/admin/audit.py), refused ones too. Agents have no route here (auth: 403).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ivr import reports
from ivr.admin.audit import Audit
from ivr.agents import supervise
from ivr.agents.store import OVERSEERS, AgentError, AgentStore
from ivr.ami.client import AmiClient
from ivr.ami.users import AmiUser, session
from ivr.config import Config
from ivr.errors import AmiError
from ivr.web import auth
from ivr.web.pages import CallDbPages, Pages

# Who may supervise (and see the wallboard it sits on).
AmiSession = Callable[[], AbstractAsyncContextManager[AmiClient]]


class Supervision(CallDbPages):
    def __init__(
        self,
        config: Config,
        pages: Pages,
        reader: Callable[[], AmiClient | None],
        caller: AmiSession | None = None,
    ) -> None:
        super().__init__(config, pages)
        self.agents = AgentStore.for_config(config)
        self.audit = Audit.for_config(config)
        self.reader = reader
        self.caller = caller or (lambda: session(config, AmiUser.SUPERVISE))

    def _call_of(self, agent: str) -> str | None:
        """The call ``agent`` is answering now (its call log id), from the queue records."""
        with self._sql() as sql:
            live = reports.agent_calls(sql, time.time())
        return next((c.call_id for c in live if c.agent == agent), None)

    async def act(self, request: Request) -> Response:
        form = await auth.csrf_form(request)
        if form is None:
            return auth.csrf_refused()
        mode, name = auth.form_value(form, "mode"), auth.form_value(form, "agent")
        if mode not in supervise.MODES:
            return JSONResponse({"error": f"mode: {', '.join(supervise.MODES)}"}, 400)
        who = request.session["user"]
        call_id = await asyncio.to_thread(self._call_of, name) or ""
        try:
            target = await self._place(who, name, mode, bool(call_id))
        except (AgentError, supervise.SupervisionError, AmiError) as e:
            await asyncio.to_thread(self.audit.supervised, who, name, call_id, mode, False, str(e))
            return JSONResponse({"error": str(e)}, status_code=409)
        detail = f"{target} ke telepon {who}"
        await asyncio.to_thread(self.audit.supervised, who, name, call_id, mode, True, detail)
        return JSONResponse({"mode": mode, "agent": name, "call_id": call_id})

    async def _place(self, who: str, name: str, mode: str, on_call: bool) -> str:
        supervisor = await asyncio.to_thread(self.agents.get, who, None)
        agent = await asyncio.to_thread(self.agents.get, name)
        if not on_call:
            raise supervise.SupervisionError(f"{name} is not on a call")
        reader = self.reader()
        if reader is None or not reader.connected:
            raise supervise.SupervisionError("Asterisk (AMI) is not connected; try again")
        async with self.caller() as caller:
            return await supervise.place(reader, caller, supervisor, agent, mode)

    def routes(self) -> list[Route]:
        guard = auth.required(api=True, role=OVERSEERS)
        return [Route("/admin/api/supervise", guard(self.act), methods=["POST"])]
