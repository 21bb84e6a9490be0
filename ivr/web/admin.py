"""The admin dashboard: live wallboard, call log, reports with plots, admin actions.

Every route here needs an admin login; every POST a CSRF token. Actions run the same
code as the command line (ivr.admin.reloads) in a worker thread and show their result.
"""

from __future__ import annotations

import asyncio
import csv
import dataclasses
import datetime as dt
import io
import re
import shutil
import sqlite3
import time
from collections.abc import Callable, Iterable
from contextlib import closing
from pathlib import Path
from typing import Any

from starlette.datastructures import UploadFile
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
from ivr.errors import HajjIvrError
from ivr.queue import callbacks as callbacks_mod
from ivr.queue import records as records_mod
from ivr.web import auth, charts, stats
from ivr.web.html import csrf_field, esc, table, when

DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
OUTCOMES = ("served", "agent", "callback", "closed", "hangup", "failed", "in_progress")
REPORT_DAYS = 14
# The reports page's tables, in order: name -> (call log, since, time zone) -> table.
REPORTS: dict[str, Callable[[sqlite3.Connection, float, dt.tzinfo], stats.Table]] = {
    "calls-per-hour": stats.calls_per_hour,
    "outcomes": stats.outcomes_by_day,
    "topics": lambda db, since, _: stats.topics(db, since),
    "not-found": lambda db, since, _: stats.not_found_by_place(db, since),
    "service-level": stats.service_level_by_day,
}


class Dashboard:
    def __init__(self, config: Config, ami: Callable[[], AmiClient | None]) -> None:
        self.config = config
        self.ami = ami
        self.agents = AgentStore(config.agents_path)
        idle = config.web.session_minutes * 60.0
        self.page_guard = auth.required(idle, role="admin")
        # Parsed again only when their files change (every request looks at the files).
        self.schedule = overrides.watched_schedule(config, every=0)
        self.catalog = overrides.watched_catalog(config, every=0)
        self.api_guard = auth.required(idle, api=True, role="admin")

    # --- helpers ---------------------------------------------------------------------

    def _db(self) -> sqlite3.Connection:
        return connect(
            self.config.calllog_path, records_mod.SCHEMA, callbacks_mod.SCHEMA, guard.SCHEMA
        )

    def _zone(self) -> dt.tzinfo:
        return self.schedule.current().zone

    # --- wallboard -------------------------------------------------------------------

    async def wallboard_page(self, request: Request) -> Response:
        tiles = [
            ("in_ivr", "Di IVR sekarang"),
            ("waiting", "Menunggu petugas"),
            ("longest_wait", "Tunggu terlama (detik)"),
            ("service_level", "Tingkat layanan hari ini (%)"),
            ("abandonment_rate", "Ditinggalkan (%)"),
            ("average_speed_of_answer", "Rata-rata kecepatan jawab (detik)"),
            ("self_service_rate", "Layanan mandiri (%)"),
            ("calls_today", "Panggilan hari ini"),
        ]
        body = (
            '<main class="wallboard"><section class="tiles">'
            + "".join(
                f'<div class="tile"><span class="label">{esc(label)}</span>'
                f'<span class="value" id="tile-{key}">…</span></div>'
                for key, label in tiles
            )
            + '</section><h2>Petugas</h2><table id="agents"><thead><tr><th>Petugas</th>'
            "<th>Tingkat</th><th>Status</th><th>Panggilan</th></tr></thead><tbody></tbody>"
            '</table><h2>Panggilan berlangsung</h2><table id="live"><thead><tr><th>Mulai</th>'
            "<th>Penelepon</th><th>Di mana</th><th>Panggilan</th></tr></thead><tbody></tbody>"
            '</table><h2>Peringatan: data terkunci</h2><table id="alerts"><thead><tr>'
            "<th>Jenis</th><th>Apa</th><th>Sejak</th><th>Percobaan salah</th></tr></thead>"
            '<tbody></tbody></table></main><script src="/static/wallboard.js"></script>'
        )
        return auth.user_page(request, "Wallboard", body)

    async def wallboard_api(self, request: Request) -> Response:
        now = time.time()
        since = stats.day_start(now, self._zone())
        with closing(self._db()) as db:
            board = stats.wallboard(db, now, since).as_dict()
            live = _live_calls(db, now)
            # Porsi, numbers and tickets locked after too many wrong tries (masked).
            alerts = [dataclasses.asdict(a) for a in guard.alerts(db, self.config)]
        board["agents"] = await self._agent_states()
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
        q = request.query_params
        date, caller = q.get("date", ""), q.get("caller", "").strip()
        porsi, outcome = q.get("porsi", "").strip(), q.get("outcome", "")
        where, args = ["1 = 1"], list[Any]()
        if DATE.match(date):
            start = dt.datetime.fromisoformat(date).replace(tzinfo=self._zone()).timestamp()
            where.append("c.started_at >= ? AND c.started_at < ?")
            args += [start, start + 86400]
        if caller:
            where.append("c.caller LIKE ?")
            args.append(f"%{caller}%")
        if porsi:
            where.append("EXISTS (SELECT 1 FROM lookups l WHERE l.call_id = c.id AND l.porsi = ?)")
            args.append(porsi)
        if outcome in OUTCOMES:
            where.append("c.outcome = ?")
            args.append(outcome)
        with closing(self._db()) as db:
            rows = db.execute(
                "SELECT c.id, c.started_at, c.caller, c.route, c.outcome, c.reason, "
                "(SELECT group_concat(DISTINCT l.porsi) FROM lookups l WHERE l.call_id = c.id) "
                f"FROM calls c WHERE {' AND '.join(where)} ORDER BY c.started_at DESC LIMIT 200",
                args,
            ).fetchall()
        options = "".join(
            f'<option value="{o}"{" selected" if o == outcome else ""}>{o}</option>'
            for o in ("", *OUTCOMES)
        )
        form = (
            '<form method="get" class="search">'
            f'<label>Tanggal <input type="date" name="date" value="{esc(date)}"></label>'
            f'<label>Penelepon <input name="caller" value="{esc(caller)}"></label>'
            f'<label>Porsi <input name="porsi" value="{esc(porsi)}"></label>'
            f'<label>Hasil <select name="outcome">{options}</select></label>'
            "<button>Cari</button></form>"
        )
        listing = table(
            ("Mulai", "Penelepon", "Porsi", "Rute", "Hasil", "Alasan"),
            [
                (
                    f'<a href="/admin/calls/{esc(r[0])}">{esc(when(r[1]))}</a>',
                    esc(r[2]),
                    esc(r[6] or ""),
                    esc(r[3]),
                    esc(r[4]),
                    esc(r[5]),
                )
                for r in rows
            ],
            id_="calls",
        )
        return auth.user_page(request, "Log panggilan", f"<main>{form}{listing}</main>")

    async def call_page(self, request: Request) -> Response:
        call_id = request.path_params["call_id"]
        reader = CallLogReader(self.config.calllog_path)
        row = reader.get(call_id)
        if row is None:
            return auth.user_page(
                request, "Panggilan", "<main><p>Panggilan tidak ditemukan.</p></main>"
            )
        lines = reader.transcript(call_id)
        with closing(self._db()) as db:
            queue_stays = records_mod.QueueRecords(db).for_call(call_id)
        kinds = {"say": "IVR", "input": "Tekan", "event": "Catatan"}
        transcript = table(
            ("Waktu", "", "Isi"),
            [
                (
                    esc(when(x.at)),
                    esc(kinds.get(x.kind, x.kind)),
                    esc(x.text) + (" <em>(dipotong)</em>" if x.interrupted else ""),
                )
                for x in lines
            ],
            id_="transcript",
        )
        stays = table(
            ("Antrean", "Masuk", "Petugas", "Tunggu (dtk)", "Bicara (dtk)", "Hasil"),
            [
                (
                    esc(s.queue),
                    esc(when(s.joined_at)),
                    esc(s.agent),
                    esc(s.wait),
                    esc(s.talk),
                    esc(s.outcome),
                )
                for s in queue_stays
            ],
        )
        head = (
            f'<dl class="call"><dt>Panggilan</dt><dd id="call-id">{esc(row.id)}</dd>'
            f"<dt>Penelepon</dt><dd>{esc(row.caller)}</dd><dt>Mulai</dt>"
            f"<dd>{esc(when(row.started_at))}</dd><dt>Hasil</dt><dd>{esc(row.outcome)}</dd>"
            f"<dt>Alasan</dt><dd>{esc(row.reason)}</dd></dl>"
        )
        body = f"<main>{head}<h2>Transkrip</h2>{transcript}<h2>Antrean</h2>{stays}</main>"
        return auth.user_page(request, "Panggilan", body)

    # --- reports ---------------------------------------------------------------------

    def _reports(self, names: Iterable[str] = REPORTS) -> dict[str, stats.Table]:
        zone = self._zone()
        since = stats.day_start(time.time(), zone) - (REPORT_DAYS - 1) * 86400
        with closing(self._db()) as db:
            return {name: REPORTS[name](db, since, zone) for name in names}

    async def reports_page(self, request: Request) -> Response:
        reports = await asyncio.to_thread(self._reports)
        pictures = {
            "calls-per-hour": lambda t: charts.bars(
                t.title, [r[0] for r in t.rows], [[r[1] for r in t.rows]]
            ),
            "outcomes": lambda t: charts.bars(
                t.title,
                [r[0] for r in t.rows],
                [[r[i] for r in t.rows] for i in (1, 2, 3)],
                t.header[1:],
            ),
            "topics": lambda t: charts.bars(
                t.title, [r[0] for r in t.rows], [[r[1] for r in t.rows]]
            ),
            "not-found": lambda t: charts.bars(
                t.title, [f"{r[1] or r[0]} / {r[2]}" for r in t.rows], [[r[3] for r in t.rows]]
            ),
            "service-level": lambda t: charts.line(
                t.title, [r[0][5:] for r in t.rows], [r[1] for r in t.rows]
            ),
        }
        sections = []
        for name, t in reports.items():
            sections.append(
                f'<section class="report" id="report-{name}"><h2>{esc(t.title)}</h2>'
                f"{pictures[name](t)}"
                f'<p><a href="/admin/reports/{name}.csv">Unduh CSV</a></p>'
                f"<details><summary>Tabel</summary>"
                f"{table(t.header, [[esc(c) for c in r] for r in t.rows])}</details></section>"
            )
        intro = f"<p>{REPORT_DAYS} hari terakhir.</p>"
        return auth.user_page(request, "Laporan", f"<main>{intro}{''.join(sections)}</main>")

    async def report_csv(self, request: Request) -> Response:
        name = request.path_params["name"]
        if name not in REPORTS:
            return JSONResponse({"error": f"no report {name!r}"}, status_code=404)
        reports = await asyncio.to_thread(self._reports, [name])
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(reports[name].header)
        writer.writerows(reports[name].rows)
        return Response(
            out.getvalue(),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )

    # --- actions ---------------------------------------------------------------------

    async def actions_page(self, request: Request, result: str = "") -> Response:
        token = auth.csrf_token(request)
        catalog = self.catalog.current()
        texts = [catalog[pid].text for pid in catalog if pid.startswith("announce-")]
        boxes = "".join(
            f'<textarea name="announcement" rows="3">{esc(t)}</textarea>' for t in [*texts, ""]
        )
        hours = overrides.hours_settings(self.config)
        log_rows = [
            (
                esc(when(r.at)),
                esc(r.who),
                esc(r.what),
                "berhasil" if r.ok else "GAGAL",
                esc(r.detail),
            )
            for r in Audit.for_config(self.config).recent(20)
        ]
        body = f"""<main class="actions">{result}
<section><h2>Unggah data SISKOHAT</h2>
<form method="post" action="/admin/actions/import" enctype="multipart/form-data" id="import">
{csrf_field(token)}<p>Satu berkas .zip, atau jemaah.csv dan kloter.csv.</p>
<input type="file" name="export" multiple required><button>Impor</button></form></section>
<section><h2>Prompt</h2><form method="post" action="/admin/actions/prompts">
{csrf_field(token)}<button>Bangun ulang prompt</button></form></section>
<section><h2>Konfigurasi Asterisk</h2><form method="post" action="/admin/actions/asterisk">
{csrf_field(token)}<button>Muat ulang dialplan, antrean, PJSIP</button></form></section>
<section><h2>Pengumuman (menu 2)</h2>
<form method="post" action="/admin/actions/announcements" id="announcements">
{csrf_field(token)}{boxes}<button>Simpan dan bangun prompt</button></form></section>
<section><h2>Jam layanan petugas</h2><form method="post" action="/admin/actions/hours">
{csrf_field(token)}<label>Jam <input name="hours" value="{esc(hours.hours)}"></label>
<label>Hari <input name="days" value="{esc(hours.days)}"></label>
<label>Hari libur <input name="holidays" value="{esc(hours.holidays)}"></label>
<button>Simpan</button></form></section>
<section><h2>Riwayat</h2>{
            table(("Waktu", "Oleh", "Apa", "Hasil", "Rincian"), log_rows, id_="reloads")
        }</section></main>"""
        return auth.user_page(request, "Tindakan admin", body)

    def _result(self, ok: bool, detail: str, extra: str = "") -> str:
        cls = "ok" if ok else "failed"
        word = "Berhasil" if ok else "Gagal"
        return (
            f'<section class="result {cls}" id="result"><h2>{word}</h2>'
            f"<p>{esc(detail)}</p>{extra}</section>"
        )

    async def import_action(self, request: Request) -> Response:
        form = await auth.csrf_form(request)
        if form is None:
            return auth.csrf_refused()
        try:
            return await self._import(request, form)
        finally:
            await form.close()  # the uploads' temporary files

    async def _import(self, request: Request, form: Any) -> Response:
        who = request.session["user"]
        uploads = [f for f in form.getlist("export") if isinstance(f, UploadFile) and f.filename]
        if not uploads:
            return await self.actions_page(request, self._result(False, "Tidak ada berkas."))
        folder = self.config.state_dir / "uploads" / time.strftime("%Y%m%d-%H%M%S")
        folder.mkdir(parents=True, exist_ok=True)
        for upload in uploads:
            name = Path(upload.filename or "export").name
            with (folder / name).open("wb") as out:
                shutil.copyfileobj(upload.file, out)
        zips = list(folder.glob("*.zip"))
        source = zips[0] if len(uploads) == 1 and zips else folder
        _, outcome = await asyncio.to_thread(reloads.import_data, self.config, who, source)
        extra = ""
        if outcome.import_report is not None and outcome.import_report.bad_rows:
            lines = outcome.import_report.bad_row_lines()
            extra = "<ul id='bad-rows'>" + "".join(f"<li>{esc(x)}</li>" for x in lines) + "</ul>"
        return await self.actions_page(request, self._result(outcome.ok, outcome.detail, extra))

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
        return await self.actions_page(request, self._result(outcome.ok, outcome.detail))

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
            return await self.actions_page(request, self._result(False, str(e)))
        _, outcome = await asyncio.to_thread(reloads.rebuild_prompts, self.config, who)
        detail = f"{len(ids)} pengumuman disimpan; {outcome.detail}"
        Audit.for_config(self.config).record(who, "announcements", outcome.ok, detail)
        return await self.actions_page(request, self._result(outcome.ok, detail))

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
            return await self.actions_page(request, self._result(False, str(e)))
        detail = f"jam layanan {values[0]}, hari {values[1]}, libur {values[2] or '-'}"
        Audit.for_config(self.config).record(who, "hours", True, detail)
        return await self.actions_page(request, self._result(True, detail))

    def routes(self) -> list[Route]:
        page_, api = self.page_guard, self.api_guard
        return [
            Route("/admin", page_(self.wallboard_page)),
            Route("/admin/api/wallboard", api(self.wallboard_api)),
            Route("/admin/calls", page_(self.calls_page)),
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
        "SELECT id, started_at, caller, route FROM calls WHERE outcome = 'in_progress' "
        "AND started_at > ? ORDER BY started_at DESC LIMIT 50",
        (now - stats.LIVE_WINDOW,),
    ).fetchall()
    live = [{"id": r[0], "started": r[1], "caller": r[2], "where": "IVR"} for r in rows]
    waiting = db.execute(
        "SELECT call_id, joined_at, caller, queue FROM queue_calls WHERE outcome = 'waiting' "
        "AND joined_at > ? ORDER BY joined_at LIMIT 50",
        (now - stats.LIVE_WINDOW,),
    ).fetchall()
    live += [{"id": r[0], "started": r[1], "caller": r[2], "where": r[3]} for r in waiting]
    return live
