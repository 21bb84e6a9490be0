"""Agent-call recordings over the web: the guarded audio route, and what the call and
ticket pages show of them.

Never a static folder: each request is checked against the access rule
(ivr.queue.recordings.may_hear: admins, supervisors, the agent who answered) with the role
read from the store this request, and every playback is logged (who, when) in the call
log; the call page lists them for admins. Anyone else gets 403 (a unit login already at
the guard), an unknown recording 404.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from ivr.queue.recordings import Play, Recording, Recordings, may_hear
from ivr.web import auth
from ivr.web.pages import NO_STORE, CallDbPages

# Who gets past the guard at all; may_hear decides per recording.
ROLES = ("admin", "supervisor", "agent")


def _who(request: Request) -> tuple[str, str]:
    return str(request.session.get("role", "")), str(request.session.get("user", ""))


def _first_read(request: Request) -> bool:
    """A player asks for the file again in ranges while it plays: one playback is logged,
    the read from its start (no Range, or one from byte 0)."""
    wanted = request.headers.get("range", "")
    return not wanted or wanted.replace(" ", "").startswith("bytes=0-")


class RecordingPages(CallDbPages):
    def hearable(self, request: Request, legs: Sequence[str]) -> list[Recording]:
        """The call's recordings this login may hear (for the call and ticket pages);
        ``legs``: the call's id, then its channels on an agent node."""
        role, user = _who(request)
        with self._sql() as sql:
            found = [r for leg in legs if leg for r in Recordings(sql).for_call(leg)]
        return [r for r in found if may_hear(role, user, r.agent)]

    def plays(self, request: Request, legs: Sequence[str]) -> list[Play]:
        """Who played this call's recordings: admins only see the list."""
        if request.session.get("role") != "admin":
            return []
        with self._sql() as sql:
            return [p for leg in legs if leg for p in Recordings(sql).plays(leg)]

    def context(self, request: Request, call_id: str, *others: str) -> dict[str, Any]:
        """``others``: the call's channels on an agent node (their ids differ)."""
        legs = (call_id, *others)
        return {"recordings": self.hearable(request, legs), "plays": self.plays(request, legs)}

    async def audio(self, request: Request) -> Response:
        role, user = _who(request)
        with self._sql() as sql:
            store = Recordings(sql)
            try:
                found = store.get(int(request.path_params["recording_id"]))
            except ValueError:
                found = None
            if found is None:
                return JSONResponse({"error": "no such recording"}, status_code=404)
            if not may_hear(role, user, found.agent):
                return JSONResponse({"error": "not yours to hear"}, status_code=403)
            path = self.config.call_recordings_dir / found.file
            if not path.is_file():
                return JSONResponse({"error": "recording file gone"}, status_code=404)
            if _first_read(request):
                store.played(found.id, user, role)
        return FileResponse(path, media_type="audio/wav", headers=NO_STORE)

    def routes(self) -> list[Route]:
        guard = auth.required(api=True, role=ROLES)
        return [Route("/recordings/{recording_id}", guard(self.audio))]
