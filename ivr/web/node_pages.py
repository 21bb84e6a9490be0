"""The nodes page (/admin/nodes): every node of the hotline, its role, whether it is up
(a heartbeat within the last three), its calls in progress and the data mirror it serves
against the newest published one. Admins only. The page reads them again every five
seconds (static/nodes.js: the heartbeats' pace), in place.

With ``[database] url`` the rows are the controllers' heartbeats (ivr.heartbeats); on one
node (no URL) the page shows this node alone, from the call log and the local mirror.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ivr import calldb, heartbeats, reports, wiring
from ivr.config import Config
from ivr.data import published
from ivr.data.mirror import Mirror
from ivr.errors import DataError, HajjIvrError
from ivr.web import auth
from ivr.web.pages import Pages

ROLES = {"": "satu node", "ivr": "IVR", "agent": "petugas"}


@dataclass(frozen=True)
class NodeRow:
    name: str
    role: str
    up: bool
    seen: str  # "3 detik lalu"
    calls: int
    mirror_as_of: str
    current: str  # "ya" | "tidak" | "-" (nothing published)


@dataclass(frozen=True)
class NodeView:
    rows: list[NodeRow]
    published: str  # the newest published mirror, in words ("" none)
    problem: str = ""  # PostgreSQL out of reach
    at: float = field(default_factory=time.time)  # when read (the page refreshes itself)


class NodePages:
    def __init__(self, config: Config, pages: Pages) -> None:
        self.config = config
        self.pages = pages

    async def page(self, request: Request) -> Response:
        view = await asyncio.to_thread(self.view)
        return self.pages.render(request, "nodes.html", title="Node", view=view)

    def view(self) -> NodeView:
        if not self.config.database.postgres:
            return NodeView([self._this_node()], "")
        try:
            return self._cluster()
        except HajjIvrError as e:
            return NodeView([], "", f"PostgreSQL tidak terjangkau: {e}")

    def _cluster(self) -> NodeView:
        from ivr import pgstore  # psycopg only where PostgreSQL is configured

        # The web app's pool (read again every 5 s by each open page), else a connection.
        with pgstore.opened(self.config.database) as sql:
            with sql.pool.connection() as conn:
                newest = published.latest(conn)
            nodes = heartbeats.Heartbeats(sql).nodes()
        rows = [_row(node, newest) for node in nodes]
        return NodeView(rows, newest.summary() if newest else "")

    def _this_node(self) -> NodeRow:
        with calldb.opened(self.config) as sql:
            live = reports.live_calls(sql, time.time())
        try:
            with Mirror(self.config.mirror_path) as mirror:
                as_of = mirror.as_of.isoformat()
        except DataError:
            as_of = ""
        calls = sum(1 for call in live if call.where == "IVR")
        return NodeRow(wiring.node_name(self.config), ROLES[""], True, "", calls, as_of, "-")

    def routes(self) -> list[Route]:
        return [Route("/admin/nodes", auth.required(role="admin")(self.page))]


def _row(node: heartbeats.Node, newest: published.Published | None) -> NodeRow:
    beat = node.beat
    current = "-" if newest is None else ("ya" if beat.mirror_sha256 == newest.sha256 else "tidak")
    return NodeRow(
        beat.name,
        ROLES.get(beat.role, beat.role),
        node.up(),
        f"{node.age:.0f} detik lalu",
        beat.calls,
        beat.mirror_as_of,
        current,
    )
