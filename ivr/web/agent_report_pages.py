"""The per-agent report page (ivr/agentreport.py): in total, by day and by hour, each a
picture, a table and a CSV download. For admins and supervisors."""

from __future__ import annotations

import asyncio
import time

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ivr import agentreport, ratings, reports
from ivr.agentreport import DAY, HOUR, TOTAL, Table
from ivr.agents.store import OVERSEERS
from ivr.web import auth, charts, csvfile
from ivr.web.pages import CallDbPages

# Who may read it: admins, and supervisors (a role of their own).
HANDLED = "panggilan ditangani"


def picture(name: str, table: Table) -> charts.Chart:
    """Total: time paused per agent, stacked by reason (minutes); by day and by hour:
    calls handled, one stacked part per agent."""
    if name == TOTAL:
        columns = [i for i, h in enumerate(table.header) if h.startswith(("jeda", "kerja"))]
        return charts.bars(
            "Waktu jeda per petugas menurut alasan (menit)",
            [str(r[0]) for r in table.rows],
            [[round(float(str(r[i])) / 60, 1) for r in table.rows] for i in columns],
            [table.header[i].removesuffix(" (detik)") for i in columns],
        )
    handled = table.header.index(HANDLED)
    agents = sorted({str(r[0]) for r in table.rows})
    labels = sorted({str(r[1]) for r in table.rows})
    counts = {(str(r[0]), str(r[1])): float(str(r[handled])) for r in table.rows}
    what = "hari" if name == DAY else "jam"
    return charts.bars(
        f"Panggilan ditangani per {what}",
        labels,
        [[counts.get((a, label), 0.0) for label in labels] for a in agents],
        agents,
    )


class AgentReportPages(CallDbPages):
    def _tables(self, names: tuple[str, ...] = (TOTAL, DAY, HOUR)) -> dict[str, Table]:
        zone, until = self._zone(), time.time()
        since = reports.report_start(until, zone)
        with self._sql() as sql:
            # The total table's satisfaction pair (count, mean): ratings of the same calls.
            rated = ratings.by_agent(sql, since, until) if TOTAL in names else None
            return {n: agentreport.table(sql, since, until, zone, n, rated) for n in names}

    async def page(self, request: Request) -> Response:
        tables = await asyncio.to_thread(self._tables)
        return self.pages.render(
            request,
            "agent_report.html",
            title="Laporan petugas",
            days=reports.REPORT_DAYS,
            zone=self.pages.clock.label_now(time.time()),
            reports=[(name, t, picture(name, t)) for name, t in tables.items()],
        )

    async def csv(self, request: Request) -> Response:
        name = request.path_params["name"]
        if name not in agentreport.TABLES:
            return JSONResponse({"error": f"no report {name!r}"}, status_code=404)
        table = (await asyncio.to_thread(self._tables, (name,)))[name]
        return csvfile.response(f"{name}.csv", table.header, table.rows)

    def routes(self) -> list[Route]:
        page, api = auth.required(role=OVERSEERS), auth.required(api=True, role=OVERSEERS)
        return [
            Route("/admin/agent-report", page(self.page)),
            Route("/admin/agent-report/{name}.csv", api(self.csv)),
        ]
