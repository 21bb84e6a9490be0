"""The reports page: each report of ivr.reports as a picture (SVG drawn here), its table,
and a CSV download."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ivr import reports
from ivr.web import auth, charts, csvfile
from ivr.web.pages import CallDbPages

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
    "ppiu-suspicious": lambda t: charts.bars(  # the 20 most asked; the table has all
        t.title, [f"{r[0]} ({r[1]})" for r in t.rows[:20]], [[r[2] for r in t.rows[:20]]]
    ),
    "service-level": lambda t: charts.line(
        t.title, [r[0][5:] for r in t.rows], [r[1] for r in t.rows]
    ),
    # Satisfaction: the mean score (1-5) of each agent, tier, topic; by day a line.
    **{
        f"satisfaction-{by}": lambda t: charts.bars(
            t.title, [str(r[0]) for r in t.rows], [[r[2] for r in t.rows]]
        )
        for by in ("agent", "tier", "topic")
    },
    "satisfaction-day": lambda t: charts.line(
        t.title, [r[0][5:] for r in t.rows], [r[2] for r in t.rows], unit=""
    ),
}


class ReportPages(CallDbPages):
    def _reports(self, names: Iterable[str] = reports.REPORTS) -> dict[str, reports.Table]:
        zone = self._zone()
        since = reports.report_start(time.time(), zone)
        with self._sql() as sql:
            return {name: reports.REPORTS[name](sql, since, zone) for name in names}

    async def page(self, request: Request) -> Response:
        tables = await asyncio.to_thread(self._reports)
        return self.pages.render(
            request,
            "reports.html",
            title="Laporan",
            days=reports.REPORT_DAYS,
            zone=self.pages.clock.label_now(time.time()),
            reports=[(name, t, PICTURES[name](t)) for name, t in tables.items()],
        )

    async def csv(self, request: Request) -> Response:
        name = request.path_params["name"]
        if name not in reports.REPORTS:
            return JSONResponse({"error": f"no report {name!r}"}, status_code=404)
        report = (await asyncio.to_thread(self._reports, [name]))[name]
        return csvfile.response(f"{name}.csv", report.header, report.rows)

    def routes(self) -> list[Route]:
        return [
            Route("/admin/reports", auth.admin_page(self.page)),
            Route("/admin/reports/{name}.csv", auth.admin_api(self.csv)),
        ]
