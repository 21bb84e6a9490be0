"""The Prompt page (/admin/prompts): every prompt with its number (keyed at *79 to record
it by phone), the voice that made it, and the recorded ones played in the browser.
Admins only: the recordings are staff voices."""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from ivr.admin import overrides
from ivr.admin.studio import Studio
from ivr.config import Config
from ivr.prompts import build
from ivr.web import auth
from ivr.web.pages import Pages


class PromptPages:
    def __init__(self, config: Config, pages: Pages) -> None:
        self.config = config
        self.pages = pages
        self.studio = Studio(config)
        self.catalog = overrides.watched_catalog(config, every=0)

    async def page(self, request: Request) -> Response:
        catalog = self.catalog.current()
        recorded = await asyncio.to_thread(self.studio.recorded, catalog)
        voices = await asyncio.to_thread(build.voice_of, self.config.sounds_dir)
        return self.pages.render(
            request,
            "prompts.html",
            title="Prompt",
            recorded=recorded,
            prompts=[(n, p, voices.get(p.id, "")) for n, p in catalog.numbers().items()],
        )

    async def audio(self, request: Request) -> Response:
        """A prompt's human recording (by phone or shipped) as WAV."""
        wanted = request.path_params["name"]
        found = [r for r in self.studio.recorded(self.catalog.current()) if str(r.number) == wanted]
        if not found:
            return JSONResponse({"error": "no recording"}, status_code=404)
        return FileResponse(found[0].path, media_type="audio/wav")

    def routes(self) -> list[Route]:
        return [
            Route("/admin/prompts", auth.admin_page(self.page)),
            Route("/admin/prompts/{name}.wav", auth.admin_api(self.audio)),
        ]
