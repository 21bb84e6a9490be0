"""The correction cases' pages: a unit login sees and resolves its own unit's cases; an
admin sees every unit (cases by state, the oldest open one's age) and the report
"disputed answers per 10,000 lookups by unit" with its plot and CSV.

The cases are calls.sqlite's (ivr.corrections.cases), or with ``[database] url``
PostgreSQL's: one connection per request, as the other pages over the call log. A unit's
account is bound to one unit code (``hajj-ivr units add``); another unit's case is "not
found" to it, its message too.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from ivr import reports
from ivr.corrections import accuracy, units
from ivr.corrections.cases import STATES, Case, CaseError, Cases
from ivr.queue.callbacks import Callbacks
from ivr.web import auth, charts, csvfile
from ivr.web.pages import CallDbPages

STATE_NAMES = {"open": "terbuka", "changed": "data berubah", "resolved": "selesai"}
UNIT_OR_ADMIN = ("unit", "admin")


def age(seconds: float) -> str:
    """How long a case has waited, as the staff say it."""
    for size, word in ((86400, "hari"), (3600, "jam"), (60, "menit")):
        if seconds >= size:
            return f"{int(seconds // size)} {word}"
    return "baru"


class CorrectionPages(CallDbPages):
    def _unit(self, request: Request) -> str:
        """The unit whose cases this login sees: its own, or for an admin any (a filter)."""
        if request.session.get("role") == "unit":
            return str(request.session.get("unit", "")) or "-"  # unbound: sees nothing
        wanted = request.query_params.get("unit", "")
        return wanted if units.valid_key(wanted) else ""

    def _read(self, unit: str, state: str, admin: bool) -> dict[str, Any]:
        now = time.time()
        since = reports.report_start(now, self._zone())
        with self._sql() as sql:
            store = Cases(sql)
            found = store.search(unit=unit, state=state if state in STATES else "")
            context: dict[str, Any] = {"cases": [_row(c, now) for c in found]}
            if admin:
                context["per_unit"] = [
                    (u.unit, u.name, *u.states.values(), age(now - u.oldest) if u.oldest else "")
                    for u in store.by_unit()
                ]
                report = accuracy.accuracy(sql, self.config.mirror_path, since)
                context["report"] = (report, _picture(report))
        return context

    async def page(self, request: Request) -> Response:
        admin = request.session.get("role") == "admin"
        unit, state = self._unit(request), request.query_params.get("state", "")
        context = await asyncio.to_thread(self._read, unit, state, admin)
        return self.pages.render(
            request,
            "corrections.html",
            title="Laporan data tidak sesuai",
            unit=unit,
            own_unit=request.session.get("unit", ""),
            state=state,
            states=[("", "semua"), *STATE_NAMES.items()],
            per_unit=context.get("per_unit"),
            report=context.get("report"),
            days=reports.REPORT_DAYS,
            cases=context["cases"],
        )

    async def resolve(self, request: Request) -> Response:
        if await auth.csrf_form(request) is None:
            return auth.csrf_refused()
        number = request.path_params["number"]
        own = self._unit(request) if request.session.get("role") == "unit" else ""
        with self._sql() as sql:  # the requests are where the cases are
            try:
                Cases(sql).resolve(number, request.session["user"], Callbacks(sql), unit=own)
            except CaseError as e:
                return JSONResponse({"error": str(e)}, status_code=404)
        return RedirectResponse("/corrections", status_code=303)

    async def recording(self, request: Request) -> Response:
        case = self._case_for(request)
        path = self.config.recordings_dir / Path(case.recording).name if case else None
        if case is None or not case.recording or path is None or not path.is_file():
            return JSONResponse({"error": "no recording"}, status_code=404)
        return FileResponse(path, media_type="audio/wav")

    def _case_for(self, request: Request) -> Case | None:
        """The case in the path, if this login may see it."""
        own = self._unit(request) if request.session.get("role") == "unit" else ""
        with self._sql() as sql:
            case = Cases(sql).get(request.path_params["number"])
        return case if case is not None and (not own or case.unit == own) else None

    async def csv(self, request: Request) -> Response:
        report = await asyncio.to_thread(self._report)
        return csvfile.response("accuracy.csv", report.header, report.rows)

    def _report(self) -> reports.Table:
        since = reports.report_start(time.time(), self._zone())
        with self._sql() as sql:
            return accuracy.accuracy(sql, self.config.mirror_path, since)

    def routes(self) -> list[Route]:
        page = auth.required(role=UNIT_OR_ADMIN)
        api = auth.required(api=True, role=UNIT_OR_ADMIN)
        return [
            Route("/corrections", page(self.page)),
            Route("/corrections/{number}/resolve", api(self.resolve), methods=["POST"]),
            Route("/corrections/{number}/recording", api(self.recording)),
            Route("/admin/corrections/accuracy.csv", auth.admin_api(self.csv)),
        ]


def _row(case: Case, now: float) -> dict[str, Any]:
    return {
        "case": case,
        "field": units.FIELD_LABELS.get(case.field, case.field),
        "state": STATE_NAMES.get(case.state, case.state),
        "age": age((case.resolved_at or now) - case.filed_at),
    }


def _picture(report: reports.Table) -> charts.Chart:
    rated = [r for r in report.rows if r[4] is not None]
    return charts.bars(report.title, [f"{r[1]} ({r[0]})" for r in rated], [[r[4] for r in rated]])
