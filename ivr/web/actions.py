"""Admin actions (/admin/actions): upload an export, rebuild prompts, reload Asterisk,
edit announcements (menu 2 and umrah), how to cancel and delegate a porsi, and staffed
hours. Each runs the
same code as the command line (ivr.admin.reloads) in a worker thread, is logged, and shows
its result.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ivr.admin import overrides, reloads
from ivr.admin.audit import Audit
from ivr.config import Config
from ivr.errors import UploadError, UploadTooLarge
from ivr.web import auth, uploads
from ivr.web.pages import Pages

# General-information lists edited like the announcements: URL name -> (file, title).
PROCEDURES = {
    "pembatalan": ("pembatalan.toml", "Pembatalan porsi (menu 2, tombol 3)"),
    "pelimpahan": ("pelimpahan.toml", "Pelimpahan porsi kepada ahli waris (menu 2, tombol 4)"),
}


@dataclass(frozen=True)
class Result:
    """What an admin action did, shown above the actions (``bad_rows``: an import's)."""

    ok: bool
    detail: str
    bad_rows: Sequence[str] = ()


class AdminActions:
    def __init__(self, config: Config, pages: Pages) -> None:
        self.config = config
        self.pages = pages
        # Parsed again only when its files change (every request looks at the files).
        self.catalog = overrides.watched_catalog(config, every=0)

    async def page(self, request: Request, outcome: Result | None = None) -> Response:
        catalog = self.catalog.current()
        procedures = [
            (name, title, [*(catalog[p].text for p in catalog if p.startswith(f"{name}-")), ""])
            for name, (_, title) in PROCEDURES.items()
        ]
        return self.pages.render(
            request,
            "actions.html",
            title="Tindakan admin",
            outcome=outcome,
            announcements=[*overrides.GENERAL.texts(catalog), ""],
            umrah_announcements=[*overrides.UMRAH.texts(catalog), ""],
            procedures=procedures,
            hours=overrides.hours_settings(self.config),
            reloads=Audit.for_config(self.config).recent(20),
            supervisions=Audit.for_config(self.config).supervisions(20),
        )

    async def import_action(self, request: Request) -> Response:
        """An uploaded export, streamed to a private folder under its cap (see uploads)."""
        who = request.session["user"]
        try:
            limits = uploads.export_limits(self.config)
            async with uploads.receive(request, self.config.uploads_dir, limits) as form:
                if not auth.csrf_ok(request, form.get("csrf")):
                    return auth.csrf_refused()
                return await self._import(request, who, form)
        except UploadError as e:  # too large, malformed, not an export: logged like the rest
            Audit.for_config(self.config).record(who, "data", False, str(e))
            page = await self.page(request, Result(False, str(e)))
            page.status_code = 413 if isinstance(e, UploadTooLarge) else 400
            return page

    async def _import(self, request: Request, who: str, form: uploads.Upload) -> Response:
        source, name = uploads.export_source(form, "export")
        force = form.get("force") == "1"
        _, outcome = await asyncio.to_thread(
            reloads.import_data, self.config, who, source, force=force, name=name
        )
        report = outcome.import_report
        bad = report.bad_row_lines() if report is not None and report.bad_rows else []
        return await self.page(request, Result(outcome.ok, outcome.detail, bad))

    async def prompts_action(self, request: Request) -> Response:
        return await self._reload(request, reloads.rebuild_prompts)

    async def asterisk_action(self, request: Request) -> Response:
        return await self._reload(request, reloads.reload_asterisk)

    async def _reload(
        self, request: Request, reload: Callable[[Config, str], tuple[Any, reloads.Attempt]]
    ) -> Response:
        if await auth.csrf_form(request) is None:
            return auth.csrf_refused()
        _, outcome = await asyncio.to_thread(reload, self.config, request.session["user"])
        return await self.page(request, Result(outcome.ok, outcome.detail))

    async def announcements_action(self, request: Request) -> Response:
        return await self._announcements(request, overrides.GENERAL, "pengumuman")

    async def umrah_announcements_action(self, request: Request) -> Response:
        return await self._announcements(request, overrides.UMRAH, "pengumuman umrah")

    async def _announcements(
        self, request: Request, kind: overrides.Announcements, label: str
    ) -> Response:
        form = await auth.csrf_form(request)
        if form is None:
            return auth.csrf_refused()
        texts = [t for t in form.getlist("announcement") if isinstance(t, str)]
        who = request.session["user"]
        try:
            ids = overrides.save_announcements(self.config, texts, kind)
        except ValueError as e:
            Audit.for_config(self.config).record(who, "announcements", False, str(e))
            return await self.page(request, Result(False, str(e)))
        _, outcome = await asyncio.to_thread(reloads.rebuild_prompts, self.config, who)
        detail = f"{len(ids)} {label} disimpan; {outcome.detail}"
        Audit.for_config(self.config).record(who, "announcements", outcome.ok, detail)
        return await self.page(request, Result(outcome.ok, detail))

    async def procedure_action(self, request: Request) -> Response:
        """How to cancel or delegate a porsi (``PROCEDURES``), saved like the announcements."""
        name = request.path_params["name"]
        if name not in PROCEDURES:
            return Response("not found", status_code=404)
        form = await auth.csrf_form(request)
        if form is None:
            return auth.csrf_refused()
        texts = [t for t in form.getlist("entry") if isinstance(t, str)]
        who = request.session["user"]
        try:
            ids = overrides.save_entries(self.config, PROCEDURES[name][0], texts)
        except ValueError as e:
            Audit.for_config(self.config).record(who, name, False, str(e))
            return await self.page(request, Result(False, str(e)))
        _, outcome = await asyncio.to_thread(reloads.rebuild_prompts, self.config, who)
        detail = f"{len(ids)} teks {name} disimpan; {outcome.detail}"
        Audit.for_config(self.config).record(who, name, outcome.ok, detail)
        return await self.page(request, Result(outcome.ok, detail))

    async def hours_action(self, request: Request) -> Response:
        form = await auth.csrf_form(request)
        if form is None:
            return auth.csrf_refused()
        who = request.session["user"]
        values = [auth.form_value(form, k) for k in ("hours", "days", "holidays")]
        try:
            overrides.save_hours(self.config, *values)
        except ValueError as e:
            Audit.for_config(self.config).record(who, "hours", False, str(e))
            return await self.page(request, Result(False, str(e)))
        detail = f"jam layanan {values[0]}, hari {values[1]}, libur {values[2] or '-'}"
        Audit.for_config(self.config).record(who, "hours", True, detail)
        return await self.page(request, Result(True, detail))

    def routes(self) -> list[Route]:
        api = auth.admin_api
        return [
            Route("/admin/actions", auth.admin_page(self.page)),
            Route("/admin/actions/import", api(self.import_action), methods=["POST"]),
            Route("/admin/actions/prompts", api(self.prompts_action), methods=["POST"]),
            Route("/admin/actions/asterisk", api(self.asterisk_action), methods=["POST"]),
            Route("/admin/actions/announcements", api(self.announcements_action), methods=["POST"]),
            Route(
                "/admin/actions/umrah-announcements",
                api(self.umrah_announcements_action),
                methods=["POST"],
            ),
            Route("/admin/actions/hours", api(self.hours_action), methods=["POST"]),
            Route("/admin/actions/procedures/{name}", api(self.procedure_action), methods=["POST"]),
        ]
