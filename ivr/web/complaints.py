"""The complaints pages: the list with filters, a ticket with its recording and history,
the actions each role may take, and a complaint opened by an agent during a call.

Agents see and act on the tickets of their own tier; admins on every ticket.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from ivr.admin import overrides
from ivr.agents.store import AgentError, AgentStore
from ivr.complaints import replies
from ivr.complaints import tickets as tickets_mod
from ivr.complaints.tickets import CATEGORIES, STATES, Ticket, TicketError
from ivr.config import Config
from ivr.web import auth, charts
from ivr.web.html import csrf_field, esc, table, when

CATEGORY_NAMES = {
    "accommodation": "Akomodasi",
    "transport": "Transportasi",
    "catering": "Konsumsi",
    "health": "Kesehatan",
    "documents": "Dokumen, paspor, visa",
    "payment": "Pembayaran",
    "officer_conduct": "Perilaku petugas",
    "other": "Lainnya",
}
PARTIAL = '<dt>Rekaman</dt><dd id="partial">sebagian (penelepon menutup telepon)</dd>'
# A PIN made here is shown once, on the next view of its ticket (only a hash is kept).
NEW_PIN = "new_pin"


class ComplaintPages:
    def __init__(self, config: Config, current_pop: Callable[[str], dict[str, Any] | None]) -> None:
        self.config = config
        self.tickets = tickets_mod.for_config(config)
        self.agents = AgentStore(config.agents_path)
        self.current_pop = current_pop
        idle = config.web.session_minutes * 60.0
        self.page_guard = auth.required(idle)
        self.api_guard = auth.required(idle, api=True)
        self.catalog = overrides.watched_catalog(config, every=0)  # resolution notes

    def _tier(self, request: Request) -> int:
        """0 for an admin (every tier), else the agent's own tier."""
        if request.session.get("role") == "admin":
            return 0
        try:
            return self.agents.get(request.session["user"]).tier
        except AgentError:
            return -1

    def _ticket_for(self, request: Request) -> Ticket | None:
        ticket = self.tickets.find(request.path_params["number"])
        tier = self._tier(request)
        if ticket is None or (tier and ticket.tier != tier):
            return None
        return ticket

    async def list_page(self, request: Request) -> Response:
        q = request.query_params
        tier = self._tier(request)
        state = q.get("state", "") if q.get("state", "") in STATES else ""
        category = q.get("category", "") if q.get("category", "") in CATEGORIES else ""
        wanted_tier = tier or (int(q["tier"]) if q.get("tier", "") in ("1", "2", "3") else 0)
        overdue = q.get("overdue") == "1"
        found = await asyncio.to_thread(
            self.tickets.search,
            state=state,
            tier=wanted_tier,
            category=category,
            overdue=overdue,
        )
        now = time.time()
        rows = [
            (
                f'<a href="/complaints/{t.number}">{t.number}</a>',
                esc(when(t.created_at)),
                esc(CATEGORY_NAMES[t.category]),
                esc(t.state),
                esc(t.tier),
                "TERLAMBAT" if t.overdue(now) else esc(when(t.due_at)),
                esc(t.porsi),
                "sebagian" if t.partial else "",
            )
            for t in found
        ]
        select = "".join(
            f'<option value="{s}"{" selected" if s == state else ""}>{s}</option>'
            for s in ("", *STATES)
        )
        cats = "".join(
            f'<option value="{c}"{" selected" if c == category else ""}>'
            f"{esc(CATEGORY_NAMES.get(c, ''))}</option>"
            for c in ("", *CATEGORIES)
        )
        tier_field = (
            f'<label>Tingkat <input name="tier" size="2" value="{esc(q.get("tier", ""))}"></label>'
            if tier == 0
            else f"<span>Tingkat {tier}</span>"
        )
        form = (
            f'<form method="get" class="search"><label>Status <select name="state">{select}'
            f'</select></label>{tier_field}<label>Jenis <select name="category">{cats}'
            f'</select></label><label><input type="checkbox" name="overdue" value="1"'
            f"{' checked' if overdue else ''}> Terlambat</label><button>Saring</button></form>"
        )
        listing = table(
            ("Nomor", "Dibuat", "Jenis", "Status", "Tingkat", "Batas waktu", "Porsi", "Rekaman"),
            rows,
            id_="tickets",
        )
        summary = await asyncio.to_thread(self._summary) if tier == 0 else ""
        return auth.user_page(request, "Pengaduan", f"<main>{form}{listing}{summary}</main>")

    def _summary(self) -> str:
        """Reports: by category and by kabupaten/embarkasi, time to resolve, overdue share."""
        everything = self.tickets.search(limit=100_000)
        if not everything:
            return ""
        now = time.time()
        by_cat = Counter(CATEGORY_NAMES[t.category] for t in everything)
        by_place = Counter(
            f"{t.kabupaten or '(tanpa porsi)'} / {t.embarkasi or '-'}" for t in everything
        )
        closed = [t.resolved_at - t.created_at for t in everything if t.resolved_at]
        open_ = [t for t in everything if t.state in tickets_mod.OPEN_STATES]
        late = sum(t.overdue(now) for t in open_)
        hours = f"{sum(closed) / len(closed) / 3600:.1f} jam" if closed else "-"
        share = f"{100 * late / len(open_):.0f}%" if open_ else "-"
        labels = list(by_cat)
        return (
            '<section class="report" id="complaint-report"><h2>Laporan pengaduan</h2>'
            + charts.bars("Pengaduan per jenis", labels, [[by_cat[c] for c in labels]])
            + table(("Kabupaten / embarkasi", "Pengaduan"), by_place.most_common(20))
            + f'<p id="resolve-time">Rata-rata waktu penyelesaian: {hours}. '
            f'<span id="overdue-share">Terlambat: {share} dari pengaduan terbuka.</span></p>'
            "</section>"
        )

    async def ticket_page(self, request: Request) -> Response:
        ticket = self._ticket_for(request)
        if ticket is None:
            return auth.user_page(
                request, "Pengaduan", "<main><p>Pengaduan tidak ditemukan.</p></main>"
            )
        token = auth.csrf_token(request)
        history = table(
            ("Waktu", "Oleh", "Tindakan", "Catatan"),
            [
                (esc(when(c.at)), esc(c.who), esc(c.action), esc(c.note))
                for c in self.tickets.history(ticket)
            ],
            id_="history",
        )
        audio = (
            f'<audio id="recording" controls preload="auto" '
            f'src="/complaints/{ticket.number}/recording"></audio>'
            if ticket.recording
            else "<p>Tanpa rekaman.</p>"
        )
        if ticket.reply:
            audio += (
                '<h2>Balasan rekaman petugas</h2><audio id="reply" controls preload="auto" '
                f'src="/complaints/{ticket.number}/reply"></audio>'
            )
        catalog = self.catalog.current()
        resolutions = (
            "".join(
                f'<option value="{pid}">{esc(catalog[pid].text)}</option>'
                for pid in catalog
                if pid.startswith("resolution-")
            )
            + '<option value="">(tanpa catatan: hanya balasan rekaman)</option>'
        )
        actions = ""
        if ticket.state in tickets_mod.OPEN_STATES:
            actions = f"""<section id="actions"><h2>Tindakan</h2>
<form method="post" action="/complaints/{ticket.number}/action"
 enctype="multipart/form-data">{csrf_field(token)}
<label>Catatan <input name="note"></label>
<button name="action" value="verifying">Verifikasi</button>
<button name="action" value="in_progress">Tindak lanjuti</button>
<button name="action" value="escalate" id="escalate">Naikkan ke tingkat berikutnya</button>
<label>Penyelesaian <select name="resolution">{resolutions}</select></label>
<label>Balasan rekaman (opsional, WAV/MP3/OGG)
 <input type="file" name="reply" id="reply-file" accept="audio/*"></label>
<button name="action" value="resolve">Selesai</button>
<button name="action" value="reject">Tolak (isi catatan)</button></form></section>"""
        facts = (
            f'<dl class="call"><dt>Nomor</dt><dd id="number">{ticket.number}</dd>'
            f"<dt>Jenis</dt><dd>{esc(CATEGORY_NAMES[ticket.category])}</dd>"
            f'<dt>Status</dt><dd id="state">{esc(ticket.state)}</dd>'
            f'<dt>Tingkat</dt><dd id="tier">{ticket.tier}</dd>'
            f"<dt>Batas waktu</dt><dd>{esc(when(ticket.due_at))}"
            f"{' (TERLAMBAT)' if ticket.overdue(time.time()) else ''}</dd>"
            f"<dt>Penelepon</dt><dd>{esc(ticket.caller)}</dd>"
            f"<dt>Porsi</dt><dd>{esc(ticket.porsi)}"
            f"{' (terverifikasi)' if ticket.porsi_verified else ''}</dd>"
            f"<dt>Catatan</dt><dd>{esc(ticket.note)}</dd>"
            + (
                f'<dt>Penyelesaian</dt><dd id="resolution">{esc(catalog[ticket.resolution].text)}'
                "</dd>"
                if ticket.resolution in catalog
                else ""
            )
            + (
                f"<dt>Alasan penolakan</dt><dd>{esc(ticket.reject_reason)}</dd>"
                if ticket.reject_reason
                else ""
            )
            + (PARTIAL if ticket.partial else "")
            + _pin_once(request, ticket)
            + "</dl>"
        )
        actions += (
            f'<form method="post" action="/complaints/{ticket.number}/action" '
            f'enctype="multipart/form-data">{csrf_field(token)}<button name="action" '
            'value="new_pin" id="new-pin">Buat PIN baru untuk penelepon</button></form>'
        )
        body = f"<main>{facts}{audio}{actions}<h2>Riwayat</h2>{history}</main>"
        return auth.user_page(request, f"Pengaduan {ticket.number}", body)

    async def recording(self, request: Request) -> Response:
        """The caller's recording, or with ``/reply`` the officer's recorded reply."""
        ticket = self._ticket_for(request)
        name = (
            ""
            if ticket is None
            else (ticket.reply if request.url.path.endswith("/reply") else ticket.recording)
        )
        path = self.config.recordings_dir / name
        if not name or not path.exists():
            return JSONResponse({"error": "no recording"}, status_code=404)
        return FileResponse(path, media_type="audio/wav")

    async def _resolve(self, ticket: Ticket, who: str, form: Any) -> None:
        """Resolve with a catalog note and/or an uploaded recorded reply."""
        resolution = auth.form_value(form, "resolution")
        if resolution and not resolution.startswith("resolution-"):
            raise TicketError(f"resolution {resolution!r}: not a resolution note")
        if ticket.state not in tickets_mod.OPEN_STATES:
            raise TicketError(f"ticket {ticket.number} is already {ticket.state}")
        upload = form.get("reply")
        reply = ""
        if isinstance(upload, UploadFile) and upload.filename:
            data = await upload.read()
            reply = await asyncio.to_thread(
                replies.store, self.config.recordings_dir, ticket.number, data, upload.filename
            )
        self.tickets.resolve(ticket, who, resolution, auth.form_value(form, "note"), reply=reply)

    async def action(self, request: Request) -> Response:
        form = await auth.csrf_form(request)
        if form is None:
            return auth.csrf_refused()
        try:
            return await self._action(request, form)
        finally:
            await form.close()  # an uploaded reply's temporary file

    async def _action(self, request: Request, form: Any) -> Response:
        ticket = self._ticket_for(request)
        if ticket is None:
            return JSONResponse({"error": "no such ticket for you"}, status_code=404)
        who, what = request.session["user"], auth.form_value(form, "action")
        note = auth.form_value(form, "note")
        try:
            if what in ("verifying", "in_progress"):
                self.tickets.move(ticket, what, who, note)
            elif what == "escalate":
                self.tickets.escalate(ticket, who, note)
            elif what == "resolve":
                await self._resolve(ticket, who, form)
            elif what == "reject":
                self.tickets.reject(ticket, who, note)
            elif what == NEW_PIN:
                _show_pin_once(request, self.tickets.new_pin(ticket, who))
            else:
                return JSONResponse({"error": f"unknown action {what!r}"}, status_code=400)
        except TicketError as e:
            return JSONResponse({"error": str(e)}, status_code=409)
        # An agent who passed a ticket up a tier no longer holds it: back to the list.
        target = (
            "/complaints"
            if what == "escalate" and self._tier(request)
            else (f"/complaints/{ticket.number}")
        )
        return RedirectResponse(target, status_code=303)

    async def create(self, request: Request) -> Response:
        """An agent opens a complaint during a call: the call's caller and porsi attached."""
        form = await auth.csrf_form(request)
        if form is None:
            return auth.csrf_refused()
        who = request.session["user"]
        pop = self.current_pop(who) or {}
        category = auth.form_value(form, "category")
        try:
            ticket = self.tickets.open(
                source="agent",
                category=category,
                who=who,
                call_id=str(pop.get("call_id", "")),
                caller=str(pop.get("caller", "")),
                porsi=str(pop.get("porsi", "")),
                porsi_verified=bool(pop.get("verified")),
                kabupaten=str((pop.get("pilgrim") or {}).get("kabupaten") or ""),
                embarkasi=str((pop.get("pilgrim") or {}).get("embarkasi") or ""),
                note=auth.form_value(form, "note"),
            )
        except TicketError as e:
            return JSONResponse({"error": str(e)}, status_code=400)
        _show_pin_once(request, ticket)  # the agent tells it to the caller
        return RedirectResponse(f"/complaints/{ticket.number}", status_code=303)

    def routes(self) -> list[Route]:
        page_, api = self.page_guard, self.api_guard
        return [
            Route("/complaints", page_(self.list_page)),
            Route("/complaints/new", api(self.create), methods=["POST"]),
            Route("/complaints/{number}", page_(self.ticket_page)),
            Route("/complaints/{number}/recording", api(self.recording)),
            Route("/complaints/{number}/reply", api(self.recording)),
            Route("/complaints/{number}/action", api(self.action), methods=["POST"]),
        ]


def _show_pin_once(request: Request, ticket: Ticket) -> None:
    request.session[NEW_PIN] = {"number": ticket.number, "pin": ticket.pin}


def _pin_once(request: Request, ticket: Ticket) -> str:
    """The PIN just made for this ticket, shown on this view only; else whether it has one."""
    made = request.session.get(NEW_PIN) or {}
    if made.get("number") == ticket.number:
        del request.session[NEW_PIN]
        return (
            f'<dt>PIN penelepon</dt><dd id="pin">{esc(made.get("pin", ""))} '
            "(sampaikan kepada penelepon sekarang; PIN ini tidak ditampilkan lagi)</dd>"
        )
    return "" if ticket.pin_hash else '<dt>PIN penelepon</dt><dd id="pin">belum ada</dd>'
