"""HTML for the web pages: plain server-rendered markup, every value escaped."""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Iterable, Sequence
from typing import Any

from starlette.responses import HTMLResponse

NAV = (
    ("/admin", "Wallboard"),
    ("/admin/calls", "Log panggilan"),
    ("/admin/reports", "Laporan"),
    ("/admin/actions", "Tindakan admin"),
    ("/complaints", "Pengaduan"),
    ("/agent", "Konsol petugas"),
)


def esc(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def page(
    title: str, body: str, *, user: str = "", csrf: str = "", nav: bool = False
) -> HTMLResponse:
    header = ""
    if user:
        links = "".join(f'<a href="{href}">{esc(label)}</a>' for href, label in NAV) if nav else ""
        header = (
            f'<header><h1>{esc(title)}</h1><nav>{links}</nav><span id="me">{esc(user)}</span>'
            f'<form method="post" action="/logout"><input type="hidden" name="csrf" '
            f'value="{esc(csrf)}"><button>Keluar</button></form></header>'
        )
    return HTMLResponse(
        f"""<!doctype html><html lang="id"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(title)} · hajj-ivr</title><link rel="stylesheet" href="/static/style.css">
</head><body>{header}{body}</body></html>""",
        headers={"Cache-Control": "no-store"},
    )


def table(header: Sequence[str], rows: Iterable[Sequence[Any]], id_: str = "") -> str:
    head = "".join(f"<th>{esc(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    ident = f' id="{esc(id_)}"' if id_ else ""
    return f"<table{ident}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def when(ts: float | None) -> str:
    if ts is None:
        return ""
    return dt.datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M:%S")


def csrf_field(token: str) -> str:
    return f'<input type="hidden" name="csrf" value="{esc(token)}">'
