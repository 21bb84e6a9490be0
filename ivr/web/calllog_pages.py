"""The call log pages: the search (posted, never in a URL) and one call's transcript,
queue stays, ratings, the agents' after-call notes (ivr.dispositions) and agent-call
recordings (ivr.web.recording_pages). The queries are the call
log's (ivr.calllog), the queue records' and the recordings'.
"""

from __future__ import annotations

import datetime as dt
import re

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ivr.agents.store import OVERSEERS
from ivr.calllog import CallLogReader, CallSearch
from ivr.config import Config
from ivr.dispositions import Dispositions
from ivr.outcomes import Outcome
from ivr.queue.records import QueueRecords
from ivr.ratings import Ratings
from ivr.web import auth
from ivr.web.pages import CallDbPages, Pages
from ivr.web.recording_pages import RecordingPages

DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
OUTCOMES = tuple(Outcome)
SEARCH_FIELDS = ("date", "caller", "porsi", "outcome")


class CallLogPages(CallDbPages):
    def __init__(self, config: Config, pages: Pages) -> None:
        super().__init__(config, pages)
        self.recordings = RecordingPages(config, pages)

    async def search(self, request: Request) -> Response:
        """The latest calls; the search form posts (a porsi or a phone number in a URL
        would stay in the browser's history, proxies' logs and Referer headers)."""
        search = dict.fromkeys(SEARCH_FIELDS, "")
        if request.method == "POST":
            form = await auth.csrf_form(request)
            if form is None:
                return auth.csrf_refused()
            search = {k: auth.form_value(form, k).strip() for k in SEARCH_FIELDS}
        rows = CallLogReader(self.config.calllog_path, self.config.database).search(
            self._call_search(search)
        )
        return self.pages.render(
            request,
            "calls.html",
            title="Log panggilan",
            search=search,
            rows=rows,
            outcomes=[(o, o) for o in ("", *OUTCOMES)],
        )

    def _call_search(self, form: dict[str, str]) -> CallSearch:
        since = until = None
        if DATE.match(form["date"]):
            day = dt.datetime.fromisoformat(form["date"]).replace(tzinfo=self._zone())
            since, until = day.timestamp(), day.timestamp() + 86400
        outcome = form["outcome"] if form["outcome"] in OUTCOMES else ""
        return CallSearch(since, until, form["caller"], form["porsi"], outcome)

    async def call(self, request: Request) -> Response:
        call_id = request.path_params["call_id"]
        reader = CallLogReader(self.config.calllog_path, self.config.database)
        row = reader.get(call_id)
        if row is None:
            return self.pages.message(request, "Panggilan", "Panggilan tidak ditemukan.")
        with self._sql() as sql:
            queue_stays = QueueRecords(sql).for_call(call_id)
            # Handed over to an agent node, the call has a channel of its own there: its
            # stays name this call, its rating, notes and recordings that channel.
            legs = [call_id, *dict.fromkeys(s.call_id for s in queue_stays if s.call_id != call_id)]
            rated = [r for leg in legs for r in Ratings(sql).for_call(leg)]
            noted = [d for leg in legs for d in Dispositions(sql).for_call(leg)]
        return self.pages.render(
            request,
            "call.html",
            title="Panggilan",
            call=row,
            transcript=reader.transcript(call_id),
            kinds={"say": "IVR", "input": "Tekan", "event": "Catatan"},
            stays=queue_stays,
            ratings=rated,
            dispositions=noted,
            low_rating=self.config.ivr.low_rating,
            **self.recordings.context(request, *legs),
        )

    def routes(self) -> list[Route]:
        return [
            Route("/admin/calls", auth.admin_page(self.search), methods=["GET", "POST"]),
            # Supervisors too: they review calls and hear their recordings.
            Route("/admin/calls/{call_id}", auth.required(role=OVERSEERS)(self.call)),
        ]
