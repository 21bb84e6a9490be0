"""`/healthz` (the process answers) and `/readyz` (this node can serve calls: ivr.health),
for load balancers and service monitors: no login, no personal data, never cached. The
checks run at most once every READY_TTL seconds however often a balancer asks."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from ivr import health
from ivr.ami.client import AmiClient
from ivr.config import Config
from ivr.web.pages import NO_STORE

READY_TTL = 2.0


class HealthPages:
    def __init__(
        self,
        config: Config,
        ami: Callable[[], AmiClient | None],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self.ami = ami
        self.clock = clock
        self._last: tuple[float, list[health.Check]] | None = None

    def routes(self) -> list[Route]:
        return [Route("/healthz", self.alive), Route("/readyz", self.ready)]

    async def alive(self, request: Request) -> Response:
        return PlainTextResponse("ok\n", headers=NO_STORE)

    async def ready(self, request: Request) -> Response:
        checks = await self._checks()
        ready = all(c.ok for c in checks)
        body = {
            "ready": ready,
            "checks": {c.name: {"ok": c.ok, "detail": c.detail} for c in checks},
        }
        return JSONResponse(body, status_code=200 if ready else 503, headers=NO_STORE)

    async def _checks(self) -> list[health.Check]:
        now = self.clock()
        if self._last is None or now - self._last[0] >= READY_TTL:
            today = dt.datetime.fromtimestamp(now, dt.UTC).date()
            self._last = (now, await health.readiness(self.config, self.ami(), today))
        return self._last[1]
