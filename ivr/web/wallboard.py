"""The wallboard (/admin): today's numbers, agents by state, calls in progress, agents'
calls with the supervision buttons (ivr/web/supervision.py), alerts. Admins and
supervisors see it; a supervisor sees callers' numbers masked.

The numbers come from ivr.reports and ivr.guard, the agents' states from the queues
(ivr.agents.members); the page polls its API and only renders.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ivr import guard, phone, ratings, reports
from ivr.agents.members import member_of, queue_members, state_of
from ivr.agents.store import OVERSEERS, AgentStore
from ivr.ami.client import AmiClient
from ivr.config import Config
from ivr.errors import HajjIvrError
from ivr.queue import recordings
from ivr.store import Sql
from ivr.web import auth
from ivr.web.pages import CallDbPages, Pages

TILES = (
    ("in_ivr", "Di IVR sekarang"),
    ("waiting", "Menunggu petugas"),
    ("longest_wait", "Tunggu terlama (detik)"),
    ("service_level", "Tingkat layanan hari ini (%)"),
    ("abandonment_rate", "Ditinggalkan (%)"),
    ("average_speed_of_answer", "Rata-rata kecepatan jawab (detik)"),
    ("self_service_rate", "Layanan mandiri (%)"),
    ("calls_today", "Panggilan hari ini"),
    ("recordings_mib", "Rekaman percakapan (MiB)"),
)
MIB = 1 << 20
DISK_EVERY = 60.0  # seconds between walks of the recordings folder


class Wallboard(CallDbPages):
    def __init__(self, config: Config, ami: Callable[[], AmiClient | None], pages: Pages) -> None:
        super().__init__(config, pages)
        self.ami = ami
        self.agents = AgentStore.for_config(config)
        # (when, bytes): the recordings folder is walked at most every DISK_EVERY seconds,
        # not on each open wallboard's refresh every two seconds.
        self._disk: tuple[float, int] | None = None

    async def page(self, request: Request) -> Response:
        zone = self.pages.clock.label_now(time.time())
        return self.pages.render(
            request,
            "wallboard.html",
            title="Wallboard",
            tiles=TILES,
            zone=zone,
            csrf=auth.csrf_token(request),
        )

    async def api(self, request: Request) -> Response:
        now = time.time()
        since = reports.day_start(now, self._zone())
        with self._sql() as sql:
            board = reports.wallboard(sql, now, since).as_dict()
            live = [dataclasses.asdict(call) for call in reports.live_calls(sql, now)]
            review = self._review(sql, now)
            talking = [dataclasses.asdict(c) for c in reports.agent_calls(sql, now)]
            # Porsi, numbers and tickets locked after too many wrong tries (masked).
            alerts = [dataclasses.asdict(a) for a in guard.alerts(sql, self.config)]
        board["agents"] = await self._agent_states()
        admin = request.session.get("role") == "admin"
        board.update(await asyncio.to_thread(self.recordings_use))
        for call in live:  # in the hotline's zone, not the browser's
            call["started_text"] = self.pages.clock.time_of_day(call["started"])
            if not admin:  # the call log's numbers are an admin's to see
                call["caller"] = phone.mask(call["caller"])
        for call in talking:
            call["since_text"] = self.pages.clock.time_of_day(call["since"])
        board["agent_calls"] = talking
        board["admin"] = admin
        for alert in alerts:
            alert["at_text"] = self.pages.clock.when(alert["at"])
        board["alerts"] = alerts
        board["review"] = review
        board["live"] = live
        board["at"] = now
        return JSONResponse(board)

    def _review(self, sql: Sql, now: float) -> list[dict[str, Any]]:
        """Calls rated ivr.low_rating or less in the reports' days, newest first: to review."""
        since = reports.report_start(now, self._zone())
        low = ratings.Ratings(sql).low(self.config.ivr.low_rating, since)
        rows = [dataclasses.asdict(rating) for rating in low]
        for row in rows:
            row["at_text"] = self.pages.clock.when(row["at"])
        return rows

    def recordings_use(self) -> dict[str, Any]:
        """Disk the agent-call recordings take, and a warning past web.recordings_warn_mib
        (retention.recordings_days frees it; else the disk needs room)."""
        now = time.monotonic()
        if self._disk is None or now - self._disk[0] >= DISK_EVERY:
            self._disk = (now, recordings.disk_use(self.config.call_recordings_dir))
        mib = self._disk[1] / MIB
        limit = self.config.web.recordings_warn_mib
        warning = ""
        if mib >= limit:
            warning = (
                f"Rekaman percakapan memakai {mib:.0f} MiB, melewati batas {limit} MiB "
                f"(web.recordings_warn_mib)."
            )
        return {"recordings_mib": round(mib, 1), "recordings_warning": warning}

    async def _agent_states(self) -> list[dict[str, Any]]:
        agents = await asyncio.to_thread(self.agents.all)  # role "agent" only
        ami = self.ami()
        members = {}
        if ami is not None and ami.connected:
            try:
                members = await queue_members(ami)
            except HajjIvrError:
                members = {}
        return [
            {"name": s.name, "tier": s.tier, "state": s.state, "calls": s.calls_taken}
            for s in (state_of(a, member_of(a, members)) for a in agents)
        ]

    def routes(self) -> list[Route]:
        return [
            Route("/admin", auth.required(role=OVERSEERS)(self.page)),
            Route("/admin/api/wallboard", auth.required(api=True, role=OVERSEERS)(self.api)),
        ]
