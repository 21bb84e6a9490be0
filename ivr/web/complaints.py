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

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from ivr.admin import overrides
from ivr.agents.store import AgentError, AgentStore
from ivr.complaints import replies
from ivr.complaints import tickets as tickets_mod
from ivr.complaints.tickets import CATEGORIES, STATES, Ticket, TicketError
from ivr.config import Config
from ivr.errors import UploadError, UploadTooLarge
from ivr.web import auth, charts, uploads
from ivr.web.pages import Pages
from ivr.web.recording_pages import RecordingPages

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
# The action that makes a new PIN; a PIN is shown once, on the page that answers the
# action that made it (only a hash is kept).
NEW_PIN = "new_pin"


class ComplaintPages:
    def __init__(
        self,
        config: Config,
        current_pop: Callable[[str], dict[str, Any] | None],
        pages: Pages,
    ) -> None:
        self.config = config
        self.pages = pages
        self.tickets = tickets_mod.for_config(config)
        self.agents = AgentStore.for_config(config)
        self.current_pop = current_pop
        self.page_guard = auth.required()
        self.api_guard = auth.required(api=True)
        self.catalog = overrides.watched_catalog(config, every=0)  # resolution notes
        self.recordings = RecordingPages(config, pages)  # of the call a ticket came from

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
        summary = await asyncio.to_thread(self._summary) if tier == 0 else None
        return self.pages.render(
            request,
            "complaints.html",
            title="Pengaduan",
            tickets=found,
            now=time.time(),
            own_tier=tier,
            filters={
                "state": state,
                "category": category,
                "tier": q.get("tier", ""),
                "overdue": overdue,
            },
            states=[(s, s) for s in ("", *STATES)],
            categories=[(c, CATEGORY_NAMES.get(c, "")) for c in ("", *CATEGORIES)],
            category_names=CATEGORY_NAMES,
            summary=summary,
        )

    def _summary(self) -> dict[str, Any] | None:
        """Reports: by category and by kabupaten/embarkasi, time to resolve, overdue share."""
        everything = self.tickets.search(limit=100_000)
        if not everything:
            return None
        now = time.time()
        by_cat = Counter(CATEGORY_NAMES[t.category] for t in everything)
        by_place = Counter(
            f"{t.kabupaten or '(tanpa porsi)'} / {t.embarkasi or '-'}" for t in everything
        )
        closed = [t.resolved_at - t.created_at for t in everything if t.resolved_at]
        open_ = [t for t in everything if t.state in tickets_mod.OPEN_STATES]
        late = sum(t.overdue(now) for t in open_)
        labels = list(by_cat)
        return {
            "chart": charts.bars("Pengaduan per jenis", labels, [[by_cat[c] for c in labels]]),
            "places": by_place.most_common(20),
            "hours": f"{sum(closed) / len(closed) / 3600:.1f} jam" if closed else "-",
            "share": f"{100 * late / len(open_):.0f}%" if open_ else "-",
        }

    async def ticket_page(self, request: Request) -> Response:
        ticket = self._ticket_for(request)
        if ticket is None:
            return self.pages.message(request, "Pengaduan", "Pengaduan tidak ditemukan.")
        return self._ticket(request, ticket)

    def _ticket(self, request: Request, ticket: Ticket, new_pin: str = "") -> Response:
        """A ticket's page; ``new_pin`` is a PIN just made, shown on this answer only."""
        catalog = self.catalog.current()
        notes = [(pid, catalog[pid].text) for pid in catalog if pid.startswith("resolution-")]
        resolved = catalog[ticket.resolution].text if ticket.resolution in catalog else ""
        return self.pages.render(
            request,
            "ticket.html",
            title=f"Pengaduan {ticket.number}",
            t=ticket,
            now=time.time(),
            category_names=CATEGORY_NAMES,
            resolution=resolved,
            resolutions=[*notes, ("", "(tanpa catatan: hanya balasan rekaman)")],
            open=ticket.state in tickets_mod.OPEN_STATES,
            history=self.tickets.history(ticket),
            new_pin=new_pin,
            **self.recordings.context(request, ticket.call_id),
        )

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

    async def _resolve(self, ticket: Ticket, who: str, form: uploads.Upload) -> None:
        """Resolve with a catalog note and/or an uploaded recorded reply."""
        resolution = auth.form_value(form, "resolution")
        if resolution and not resolution.startswith("resolution-"):
            raise TicketError(f"resolution {resolution!r}: not a resolution note")
        if ticket.state not in tickets_mod.OPEN_STATES:
            raise TicketError(f"ticket {ticket.number} is already {ticket.state}")
        upload = form.file("reply")  # on disk already, under web.max_reply_mib
        reply = ""
        if upload is not None:
            reply = await asyncio.to_thread(
                replies.store,
                self.config.recordings_dir,
                ticket.number,
                upload.path,
                upload.name,
                self.config.complaints.reply_max_seconds,
            )
        self.tickets.resolve(ticket, who, resolution, auth.form_value(form, "note"), reply=reply)

    async def action(self, request: Request) -> Response:
        """A ticket action; a recorded reply streams to a private folder under its cap."""
        limits = uploads.reply_limits(self.config)
        try:
            async with uploads.receive(request, self.config.uploads_dir, limits) as form:
                if not auth.csrf_ok(request, form.get("csrf")):
                    return auth.csrf_refused()
                return await self._action(request, form)
        except UploadTooLarge as e:
            return JSONResponse({"error": str(e)}, status_code=413)
        except UploadError as e:
            return JSONResponse({"error": str(e)}, status_code=400)

    async def _action(self, request: Request, form: uploads.Upload) -> Response:
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
            elif what == NEW_PIN:  # the agent tells it to the caller now
                return self._ticket(request, ticket, self.tickets.new_pin(ticket, who).pin)
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
        return self._ticket(request, ticket, ticket.pin)  # the agent tells it to the caller

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
