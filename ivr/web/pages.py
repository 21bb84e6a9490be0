"""Every page through one Jinja2 environment with autoescape (templates/ beside this file).

Values from the call log, the data export, tickets and forms reach the HTML only as
template variables, so Jinja2 escapes each of them: nothing is concatenated into markup
by hand. Times are shown in the hotline's zone (config agents.timezone), labelled.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from ivr.web import auth

TEMPLATES = Path(__file__).parent / "templates"
NAV = (
    ("/admin", "Wallboard"),
    ("/admin/calls", "Log panggilan"),
    ("/admin/reports", "Laporan"),
    ("/admin/actions", "Tindakan admin"),
    ("/complaints", "Pengaduan"),
    ("/agent", "Konsol petugas"),
)
NO_STORE = {"Cache-Control": "no-store"}  # pages carry personal data: never cached


def zone_label(moment: dt.datetime) -> str:
    """The zone as people read it: its abbreviation (WIB, WITA, WIT, UTC) where the zone
    database has one, else the offset (+03:00: Asia/Riyadh's name is only "+03")."""
    name = moment.tzname() or ""
    if name.isalpha():
        return name
    offset = moment.strftime("%z")
    return f"{offset[:3]}:{offset[3:5]}"


class Clock:
    """Unix times as the hotline's staff read them: in one zone, with its label."""

    def __init__(self, zone: dt.tzinfo) -> None:
        self.zone = zone

    def local(self, ts: float) -> dt.datetime:
        return dt.datetime.fromtimestamp(ts, self.zone)

    def when(self, ts: float | None) -> str:
        """Date and time, e.g. "2026-04-10 21:03:05 WIB"; empty for no time."""
        return "" if ts is None else self._format(ts, "%Y-%m-%d %H:%M:%S")

    def time_of_day(self, ts: float | None) -> str:
        """The time only, e.g. "21:03:05 WIB" (the wallboard's calls of today)."""
        return "" if ts is None else self._format(ts, "%H:%M:%S")

    def _format(self, ts: float, pattern: str) -> str:
        moment = self.local(ts)
        return f"{moment.strftime(pattern)} {zone_label(moment)}"

    def label_now(self, now: float) -> str:
        return zone_label(self.local(now))


def environment(clock: Clock) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,  # every template, .html and .svg alike
        undefined=jinja2.StrictUndefined,  # a misspelt name fails the test, not the page
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = clock.when
    env.globals["NAV"] = NAV
    return env


class Pages:
    """Renders a template for the request: the logged-in user's header when there is one."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.templates = Jinja2Templates(env=environment(clock))

    @classmethod
    def for_zone(cls, name: str) -> Pages:
        return cls(Clock(ZoneInfo(name)))

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
