"""The campaign pages (/admin/campaigns): schedule-change campaigns, their progress and
each pilgrim's outcome (numbers masked), start, pause and resume (CSRF, in the reload
log), and a CSV of the calls. The dialer in the controller does the calling. The campaigns
are calls.sqlite's, or with ``[database] url`` PostgreSQL's (every node's dialer)."""

from __future__ import annotations

import time
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ivr.admin.audit import Audit
from ivr.campaigns.store import OUTCOMES, Campaign, Campaigns
from ivr.web import auth, csvfile
from ivr.web.actions import Result
from ivr.web.pages import CallDbPages

STATES = {"ready": "siap", "running": "berjalan", "paused": "dijeda", "finished": "selesai"}
OUTCOME_TEXT = {
    "heard": "mendengar jadwal",
    "officer": "mendengar, lalu ke petugas",
    "opted_out": "mendengar, tidak mau ditelepon lagi",
    "answered": "diangkat, tidak sampai selesai",
    "no_answer": "tidak diangkat",
    "busy": "sibuk",
    "machine": "mesin penjawab",
    "failed": "gagal",
    "refused": "nomor tidak boleh ditelepon",
    "skipped": "dilewati (sudah menolak)",
}
CALL_STATES = {"waiting": "menunggu", "dialing": "sedang ditelepon", "done": "selesai"}
CSV_HEADER = [
    "porsi",
    "nomor",
    "kloter",
    "masuk_asrama",
    "berangkat",
    "percobaan",
    "status",
    "hasil",
]


class CampaignPages(CallDbPages):
    async def list_page(self, request: Request) -> Response:
        with self._sql() as sql:
            store = Campaigns(sql)
            rows = [(c, store.progress(c.id)) for c in store.all()]
        return self.pages.render(
            request, "campaigns.html", title="Kampanye jadwal", rows=rows, **_labels()
        )

    async def page(self, request: Request, outcome: Result | None = None) -> Response:
        with self._sql() as sql:
            store = Campaigns(sql)
            found = store.get(_id(request))
            if found is None:
                return self.pages.message(request, "Kampanye", "Kampanye tidak ditemukan.")
            return self.pages.render(
                request,
                "campaign.html",
                title=f"Kampanye #{found.id}",
                campaign=found,
                progress=store.progress(found.id),
                calls=store.calls(found.id),
                outcome=outcome,
                **_labels(),
            )

    async def csv(self, request: Request) -> Response:
        campaign_id = _id(request)
        with self._sql() as sql:
            calls = Campaigns(sql).calls(campaign_id)
        rows = [
            (k.porsi, k.masked, k.kloter, k.asrama, k.berangkat, k.attempts, k.state, k.outcome)
            for k in calls
        ]
        return csvfile.response(f"kampanye-{campaign_id}.csv", CSV_HEADER, rows)

    async def start(self, request: Request) -> Response:
        return await self._change(request, "start")

    async def pause(self, request: Request) -> Response:
        return await self._change(request, "pause")

    async def _change(self, request: Request, what: str) -> Response:
        if await auth.csrf_form(request) is None:
            return auth.csrf_refused()
        with self._sql() as sql:
            store = Campaigns(sql)
            found = store.get(_id(request))
            done = found is not None and _apply(store, found, what)
        detail = _detail(found, what, done)
        Audit.for_config(self.config).record(request.session["user"], "campaign", done, detail)
        return await self.page(request, Result(done, detail))

    def routes(self) -> list[Route]:
        api, one = auth.admin_api, "/admin/campaigns/{campaign_id}"
        return [
            Route("/admin/campaigns", auth.admin_page(self.list_page)),
            Route(one, auth.admin_page(self.page)),
            Route(f"{one}/calls.csv", api(self.csv)),
            Route(f"{one}/start", api(self.start), methods=["POST"]),
            Route(f"{one}/pause", api(self.pause), methods=["POST"]),
        ]


def _id(request: Request) -> int:
    """The campaign in the path (0, which no campaign has, for anything but digits)."""
    text = str(request.path_params["campaign_id"])
    return int(text) if text.isdigit() else 0


def _apply(store: Campaigns, c: Campaign, what: str) -> bool:
    return store.start(c.id, time.time()) if what == "start" else store.pause(c.id)


def _detail(c: Campaign | None, what: str, done: bool) -> str:
    if c is None:
        return "kampanye tidak ditemukan"
    verb = {"start": "dijalankan", "pause": "dijeda"}[what]
    if done:
        return f"kampanye #{c.id} (kloter {c.kloter}) {verb}"
    return f"kampanye #{c.id} sedang {STATES.get(c.state, c.state)}: tidak dapat {verb}"


def _labels() -> dict[str, Any]:
    return {
        "states": STATES,
        "outcome_text": OUTCOME_TEXT,
        "call_states": CALL_STATES,
        "outcomes": OUTCOMES,
    }
