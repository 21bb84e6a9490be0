"""The Prompt page (/admin/prompts): every prompt with its number (keyed at *79 to record
it by phone), the voice that made it, and the recorded ones played in the browser.
Admins only: the recordings are staff voices."""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from ivr.admin import overrides
from ivr.admin.studio import Recorded, Studio
from ivr.config import Config
from ivr.errors import HajjIvrError
from ivr.prompts import build
from ivr.web import auth
from ivr.web.actions import Result
from ivr.web.pages import Pages


class PromptPages:
    def __init__(self, config: Config, pages: Pages) -> None:
        self.config = config
        self.pages = pages
        self.studio = Studio(config)
        self.catalog = overrides.watched_catalog(config, every=0)

    async def page(self, request: Request, outcome: Result | None = None) -> Response:
        catalog = self.catalog.current()
        recorded = await asyncio.to_thread(self.studio.recorded, catalog)
        voices = await asyncio.to_thread(build.voice_of, self.config.sounds_dir)
        return self.pages.render(
            request,
            "prompts.html",
            title="Prompt",
            outcome=outcome,
            recorded=recorded,
            prompts=[(n, p, voices.get(p.id, "")) for n, p in catalog.numbers().items()],
        )

    def _recorded(self, request: Request) -> Recorded | None:
        wanted = request.path_params["name"]
        recorded = self.studio.recorded(self.catalog.current())
        return next((r for r in recorded if str(r.number) == wanted), None)

    async def audio(self, request: Request) -> Response:
        """A prompt's human recording (by phone or shipped) as WAV."""
        found = self._recorded(request)
        if found is None:
            return JSONResponse({"error": "no recording"}, status_code=404)
        return FileResponse(found.path, media_type="audio/wav")

    async def forget(self, request: Request) -> Response:
        """Remove a recording made by phone: the prompt is built again, logged."""
        if await auth.csrf_form(request) is None:
            return auth.csrf_refused()
        found = self._recorded(request)
        if found is None or not found.by_phone:
            return JSONResponse({"error": "no recording by phone"}, status_code=404)
        who = request.session["user"]
        try:
            detail = await asyncio.to_thread(self.studio.forget, found.prompt, found.number, who)
        except HajjIvrError as e:
            return await self.page(request, Result(False, str(e)))
        return await self.page(request, Result(True, detail))

    def routes(self) -> list[Route]:
        return [
            Route("/admin/prompts", auth.admin_page(self.page)),
            Route("/admin/prompts/{name}.wav", auth.admin_api(self.audio)),
            Route("/admin/prompts/{name}/forget", auth.admin_api(self.forget), methods=["POST"]),
        ]
