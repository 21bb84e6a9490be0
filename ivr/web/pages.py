"""Every page through one Jinja2 environment with autoescape (templates/ beside this file).

Values from the call log, the data export, tickets and forms reach the HTML only as
template variables, so Jinja2 escapes each of them: nothing is concatenated into markup
by hand. Times are shown in the hotline's zone (config agents.timezone), labelled.
"""

from __future__ import annotations

import datetime as dt
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import jinja2
from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from ivr import calldb
from ivr.config import Config
from ivr.localtime import Clock
from ivr.store import Sql
from ivr.web import auth

TEMPLATES = Path(__file__).parent / "templates"
NAV = (
    ("/admin", "Wallboard"),
    ("/admin/calls", "Log panggilan"),
    ("/admin/reports", "Laporan"),
    ("/admin/agent-report", "Laporan petugas"),
    ("/admin/actions", "Tindakan admin"),
    ("/admin/prompts", "Prompt"),
    ("/admin/campaigns", "Kampanye jadwal"),
    ("/admin/nodes", "Node"),
    ("/complaints", "Pengaduan"),
    ("/corrections", "Data tidak sesuai"),
    ("/agent", "Konsol petugas"),
)
NO_STORE = {"Cache-Control": "no-store"}  # pages carry personal data: never cached


def environment(clock: Clock) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,  # every template, .html and .svg alike
        undefined=jinja2.StrictUndefined,  # a misspelt name fails the test, not the page
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = clock.when
    env.filters["time_of_day"] = clock.time_of_day
    env.globals["NAV"] = NAV
    return env


class Pages:
    """Renders a template for the request: the logged-in user's header when there is one."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.templates = Jinja2Templates(env=environment(clock))

    @classmethod
    def for_zone(cls, name: str) -> Pages:
        return cls(Clock.for_zone(name))

    def render(self, request: Request, template: str, **context: Any) -> Response:
        session = request.session
        context.setdefault("user", session.get("user", ""))
        context.setdefault("nav", session.get("role") == "admin")
        context.setdefault("csrf", auth.csrf_token(request))
        return self.templates.TemplateResponse(request, template, context, headers=NO_STORE)

    def message(self, request: Request, title: str, text: str) -> Response:
        """A page that only says one thing (not found, nothing to show)."""
        return self.render(request, "message.html", title=title, text=text)

    def chart(self, chart: Any) -> str:
        """A chart (ivr/web/charts.py) as its SVG on its own, as the pages include it."""
        return str(self.templates.get_template("chart.svg").module.chart(chart))  # type: ignore[attr-defined]


class CallDbPages:
    """A group of pages over calls.sqlite: one connection per request, times in the zone."""

    def __init__(self, config: Config, pages: Pages) -> None:
        self.config = config
        self.pages = pages

    def _sql(self) -> AbstractContextManager[Sql]:
        """The call log's stores for this request: calls.sqlite, or PostgreSQL."""
        return calldb.opened(self.config)

    def _zone(self) -> dt.tzinfo:
        return self.pages.clock.zone
