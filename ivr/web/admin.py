"""The admin dashboard: live wallboard, call log, reports with plots, admin actions.

Every route here needs an admin login; every POST a CSRF token. Actions run the same
code as the command line (ivr.admin.reloads) in a worker thread and show their result.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import re
import sqlite3
import time
from collections.abc import Callable, Iterable, Sequence
from contextlib import closing
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ivr import guard, reports
from ivr.admin import overrides, reloads
from ivr.admin.audit import Audit
from ivr.agents.members import queue_members, state_of
from ivr.agents.store import AgentStore
from ivr.ami.client import AmiClient
from ivr.calldb import open_calldb
from ivr.calllog import CallLogReader, CallSearch
from ivr.config import Config
from ivr.errors import HajjIvrError, UploadError, UploadTooLarge
from ivr.outcomes import Outcome
from ivr.queue.records import QueueRecords
from ivr.web import auth, charts, csvfile, uploads
from ivr.web.pages import Pages

DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
OUTCOMES = tuple(Outcome)
# Each report's picture: its table -> a chart.
PICTURES: dict[str, Callable[[reports.Table], charts.Chart]] = {
    "calls-per-hour": lambda t: charts.bars(
        t.title, [r[0] for r in t.rows], [[r[1] for r in t.rows]]
    ),
    "outcomes": lambda t: charts.bars(
        t.title,
        [r[0] for r in t.rows],
        [[r[i] for r in t.rows] for i in (1, 2, 3)],
        t.header[1:],
    ),
    "topics": lambda t: charts.bars(t.title, [r[0] for r in t.rows], [[r[1] for r in t.rows]]),
    "not-found": lambda t: charts.bars(
        t.title, [f"{r[1] or r[0]} / {r[2]}" for r in t.rows], [[r[3] for r in t.rows]]
    ),
    "service-level": lambda t: charts.line(
        t.title, [r[0][5:] for r in t.rows], [r[1] for r in t.rows]
    ),
}
TILES = (
    ("in_ivr", "Di IVR sekarang"),
    ("waiting", "Menunggu petugas"),
    ("longest_wait", "Tunggu terlama (detik)"),
    ("service_level", "Tingkat layanan hari ini (%)"),
    ("abandonment_rate", "Ditinggalkan (%)"),
    ("average_speed_of_answer", "Rata-rata kecepatan jawab (detik)"),
    ("self_service_rate", "Layanan mandiri (%)"),
    ("calls_today", "Panggilan hari ini"),
)
SEARCH_FIELDS = ("date", "caller", "porsi", "outcome")


@dataclass(frozen=True)
class Result:
    """What an admin action did, shown above the actions (``bad_rows``: an import's)."""

    ok: bool
    detail: str
    bad_rows: Sequence[str] = ()


class Dashboard:
    def __init__(self, config: Config, ami: Callable[[], AmiClient | None], pages: Pages) -> None:
        self.config = config
        self.ami = ami
        self.pages = pages
        self.agents = AgentStore(config.agents_path)
        self.page_guard = auth.required(role="admin")
        # Parsed again only when its files change (every request looks at the files).
        self.catalog = overrides.watched_catalog(config, every=0)
        self.api_guard = auth.required(api=True, role="admin")

    # --- helpers ---------------------------------------------------------------------

    def _db(self) -> sqlite3.Connection:
        return open_calldb(self.config.calllog_path)

    def _zone(self) -> dt.tzinfo:
        return self.pages.clock.zone

    # --- wallboard -------------------------------------------------------------------

    async def wallboard_page(self, request: Request) -> Response:
        zone = self.pages.clock.label_now(time.time())
        return self.pages.render(
            request, "wallboard.html", title="Wallboard", tiles=TILES, zone=zone
        )

    async def wallboard_api(self, request: Request) -> Response:
        now = time.time()
        since = reports.day_start(now, self._zone())
        with closing(self._db()) as db:
            board = reports.wallboard(db, now, since).as_dict()
            live = [dataclasses.asdict(call) for call in reports.live_calls(db, now)]
            # Porsi, numbers and tickets locked after too many wrong tries (masked).
            alerts = [dataclasses.asdict(a) for a in guard.alerts(db, self.config)]
        board["agents"] = await self._agent_states()
        for call in live:  # in the hotline's zone, not the browser's
            call["started_text"] = self.pages.clock.time_of_day(call["started"])
        for alert in alerts:
            alert["at_text"] = self.pages.clock.when(alert["at"])
        board["alerts"] = alerts
        board["live"] = live
        board["at"] = now
        return JSONResponse(board)

    async def _agent_states(self) -> list[dict[str, Any]]:
        agents = [a for a in await asyncio.to_thread(self.agents.all) if a.role == "agent"]
        ami = self.ami()
        members = {}
        if ami is not None and ami.connected:
            try:
                members = await queue_members(ami)
            except HajjIvrError:
                members = {}
        return [
            {"name": s.name, "tier": s.tier, "state": s.state, "calls": s.calls_taken}
            for s in (state_of(a, members.get(a.interface)) for a in agents)
        ]

    # --- call log --------------------------------------------------------------------

    async def calls_page(self, request: Request) -> Response:
        """The latest calls; the search form posts (a porsi or a phone number in a URL
        would stay in the browser's history, proxies' logs and Referer headers)."""
        search = dict.fromkeys(SEARCH_FIELDS, "")
        if request.method == "POST":
            form = await auth.csrf_form(request)
            if form is None:
                return auth.csrf_refused()
            search = {k: auth.form_value(form, k).strip() for k in SEARCH_FIELDS}
        rows = CallLogReader(self.config.calllog_path).search(self._call_search(search))
        return self.pages.render(
            request,
            "calls.html",
            title="Log panggilan",
            search=search,
            rows=rows,
            outcomes=[(o, o) for o in ("", *OUTCOMES)],
        )

    def _call_search(self, form: dict[str, str]) -> CallSearch:
        since = until = None
        if DATE.match(form["date"]):
            day = dt.datetime.fromisoformat(form["date"]).replace(tzinfo=self._zone())
            since, until = day.timestamp(), day.timestamp() + 86400
        outcome = form["outcome"] if form["outcome"] in OUTCOMES else ""
        return CallSearch(since, until, form["caller"], form["porsi"], outcome)

    async def call_page(self, request: Request) -> Response:
        call_id = request.path_params["call_id"]
        reader = CallLogReader(self.config.calllog_path)
        row = reader.get(call_id)
        if row is None:
            return self.pages.message(request, "Panggilan", "Panggilan tidak ditemukan.")
        with closing(self._db()) as db:
            queue_stays = QueueRecords(db).for_call(call_id)
        return self.pages.render(
            request,
            "call.html",
            title="Panggilan",
            call=row,
            transcript=reader.transcript(call_id),
            kinds={"say": "IVR", "input": "Tekan", "event": "Catatan"},
            stays=queue_stays,
        )

    # --- reports ---------------------------------------------------------------------

    def _reports(self, names: Iterable[str] = reports.REPORTS) -> dict[str, reports.Table]:
        zone = self._zone()
        since = reports.report_start(time.time(), zone)
        with closing(self._db()) as db:
            return {name: reports.REPORTS[name](db, since, zone) for name in names}

    async def reports_page(self, request: Request) -> Response:
        tables = await asyncio.to_thread(self._reports)
        return self.pages.render(
            request,
            "reports.html",
            title="Laporan",
            days=reports.REPORT_DAYS,
            zone=self.pages.clock.label_now(time.time()),
            reports=[(name, t, PICTURES[name](t)) for name, t in tables.items()],
        )

    async def report_csv(self, request: Request) -> Response:
        name = request.path_params["name"]
        if name not in reports.REPORTS:
            return JSONResponse({"error": f"no report {name!r}"}, status_code=404)
        report = (await asyncio.to_thread(self._reports, [name]))[name]
        return Response(
            csvfile.text(report.header, report.rows),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )

    # --- actions ---------------------------------------------------------------------

    async def actions_page(self, request: Request, outcome: Result | None = None) -> Response:
        catalog = self.catalog.current()
        texts = [catalog[pid].text for pid in catalog if pid.startswith("announce-")]
        return self.pages.render(
            request,
            "actions.html",
            title="Tindakan admin",
            outcome=outcome,
            announcements=[*texts, ""],
            hours=overrides.hours_settings(self.config),
            reloads=Audit.for_config(self.config).recent(20),
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
            page = await self.actions_page(request, Result(False, str(e)))
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
        return await self.actions_page(request, Result(outcome.ok, outcome.detail, bad))

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
        return await self.actions_page(request, Result(outcome.ok, outcome.detail))

    async def announcements_action(self, request: Request) -> Response:
        form = await auth.csrf_form(request)
        if form is None:
            return auth.csrf_refused()
        texts = [t for t in form.getlist("announcement") if isinstance(t, str)]
        who = request.session["user"]
        try:
            ids = overrides.save_announcements(self.config, texts)
        except ValueError as e:
            Audit.for_config(self.config).record(who, "announcements", False, str(e))
            return await self.actions_page(request, Result(False, str(e)))
        _, outcome = await asyncio.to_thread(reloads.rebuild_prompts, self.config, who)
        detail = f"{len(ids)} pengumuman disimpan; {outcome.detail}"
        Audit.for_config(self.config).record(who, "announcements", outcome.ok, detail)
        return await self.actions_page(request, Result(outcome.ok, detail))

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
            return await self.actions_page(request, Result(False, str(e)))
        detail = f"jam layanan {values[0]}, hari {values[1]}, libur {values[2] or '-'}"
        Audit.for_config(self.config).record(who, "hours", True, detail)
        return await self.actions_page(request, Result(True, detail))

    def routes(self) -> list[Route]:
        page_, api = self.page_guard, self.api_guard
        return [
            Route("/admin", page_(self.wallboard_page)),
            Route("/admin/api/wallboard", api(self.wallboard_api)),
            Route("/admin/calls", page_(self.calls_page), methods=["GET", "POST"]),
            Route("/admin/calls/{call_id}", page_(self.call_page)),
            Route("/admin/reports", page_(self.reports_page)),
            Route("/admin/reports/{name}.csv", api(self.report_csv)),
            Route("/admin/actions", page_(self.actions_page)),
            Route("/admin/actions/import", api(self.import_action), methods=["POST"]),
            Route("/admin/actions/prompts", api(self.prompts_action), methods=["POST"]),
            Route("/admin/actions/asterisk", api(self.asterisk_action), methods=["POST"]),
            Route("/admin/actions/announcements", api(self.announcements_action), methods=["POST"]),
            Route("/admin/actions/hours", api(self.hours_action), methods=["POST"]),
        ]
