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

from ivr import guard
from ivr.admin import overrides, reloads
from ivr.admin.audit import Audit
from ivr.agents.commands import queue_members, state_of
from ivr.agents.store import AgentStore
from ivr.ami.client import AmiClient
from ivr.calllog import CallLogReader, connect
from ivr.config import Config
from ivr.errors import HajjIvrError, UploadError, UploadTooLarge
from ivr.outcomes import Outcome
from ivr.queue import callbacks as callbacks_mod
from ivr.queue import records as records_mod
from ivr.web import auth, charts, csvfile, stats, uploads
from ivr.web.pages import Pages

DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
OUTCOMES = tuple(Outcome)
REPORT_DAYS = 14
# The reports page's tables, in order: name -> (call log, since, time zone) -> table.
REPORTS: dict[str, Callable[[sqlite3.Connection, float, dt.tzinfo], stats.Table]] = {
    "calls-per-hour": stats.calls_per_hour,
    "outcomes": stats.outcomes_by_day,
    "topics": lambda db, since, _: stats.topics(db, since),
    "not-found": lambda db, since, _: stats.not_found_by_place(db, since),
    "service-level": stats.service_level_by_day,
}
# Each report's picture: its table -> a chart.
PICTURES: dict[str, Callable[[stats.Table], charts.Chart]] = {
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
        return connect(
            self.config.calllog_path, records_mod.SCHEMA, callbacks_mod.SCHEMA, guard.SCHEMA
        )

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
        since = stats.day_start(now, self._zone())
        with closing(self._db()) as db:
            board = stats.wallboard(db, now, since).as_dict()
            live = _live_calls(db, now)
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
        with closing(self._db()) as db:
            rows = self._search(db, search)
        return self.pages.render(
            request,
            "calls.html",
            title="Log panggilan",
            search=search,
            rows=rows,
            outcomes=[(o, o) for o in ("", *OUTCOMES)],
        )

    def _search(self, db: sqlite3.Connection, search: dict[str, str]) -> list[Any]:
        where, args = ["1 = 1"], list[Any]()
        if DATE.match(search["date"]):
            day = dt.datetime.fromisoformat(search["date"]).replace(tzinfo=self._zone())
            where.append("c.started_at >= ? AND c.started_at < ?")
            args += [day.timestamp(), day.timestamp() + 86400]
        if search["caller"]:
            where.append("c.caller LIKE ?")
            args.append(f"%{search['caller']}%")
        if search["porsi"]:
            where.append("EXISTS (SELECT 1 FROM lookups l WHERE l.call_id = c.id AND l.porsi = ?)")
            args.append(search["porsi"])
        if search["outcome"] in OUTCOMES:
            where.append("c.outcome = ?")
            args.append(search["outcome"])
        return db.execute(
            "SELECT c.id, c.started_at, c.caller, c.route, c.outcome, c.reason, "
            "(SELECT group_concat(DISTINCT l.porsi) FROM lookups l WHERE l.call_id = c.id) "
            f"FROM calls c WHERE {' AND '.join(where)} ORDER BY c.started_at DESC LIMIT 200",
            args,
        ).fetchall()

    async def call_page(self, request: Request) -> Response:
        call_id = request.path_params["call_id"]
        reader = CallLogReader(self.config.calllog_path)
        row = reader.get(call_id)
        if row is None:
            return self.pages.message(request, "Panggilan", "Panggilan tidak ditemukan.")
        with closing(self._db()) as db:
            queue_stays = records_mod.QueueRecords(db).for_call(call_id)
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

    def _reports(self, names: Iterable[str] = REPORTS) -> dict[str, stats.Table]:
        zone = self._zone()
        since = stats.day_start(time.time(), zone) - (REPORT_DAYS - 1) * 86400
        with closing(self._db()) as db:
            return {name: REPORTS[name](db, since, zone) for name in names}

    async def reports_page(self, request: Request) -> Response:
        reports = await asyncio.to_thread(self._reports)
        return self.pages.render(
            request,
            "reports.html",
            title="Laporan",
            days=REPORT_DAYS,
            zone=self.pages.clock.label_now(time.time()),
            reports=[(name, t, PICTURES[name](t)) for name, t in reports.items()],
        )

    async def report_csv(self, request: Request) -> Response:
        name = request.path_params["name"]
        if name not in REPORTS:
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
        self, request: Request, reload: Callable[[Config, str], tuple[Any, reloads.Outcome]]
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


def _live_calls(db: sqlite3.Connection, now: float) -> list[dict[str, Any]]:
    """Calls in the IVR and callers waiting for an agent, newest first."""
    rows = db.execute(
        "SELECT id, started_at, caller, route FROM calls WHERE outcome = ? "
        "AND started_at > ? ORDER BY started_at DESC LIMIT 50",
        (Outcome.IN_PROGRESS, now - stats.LIVE_WINDOW),
    ).fetchall()
    live = [{"id": r[0], "started": r[1], "caller": r[2], "where": "IVR"} for r in rows]
    waiting = db.execute(
        "SELECT call_id, joined_at, caller, queue FROM queue_calls WHERE outcome = 'waiting' "
        "AND joined_at > ? ORDER BY joined_at LIMIT 50",
        (now - stats.LIVE_WINDOW,),
    ).fetchall()
    live += [{"id": r[0], "started": r[1], "caller": r[2], "where": r[3]} for r in waiting]
    return live
