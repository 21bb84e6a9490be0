"""The doctor route: answers at once so `hajj-ivr doctor` can see FastAGI works end to end."""

from __future__ import annotations

from ivr import chanvars
from ivr.call import Call, Outcome


async def ping(call: Call) -> Outcome:
    call.note("doctor check")
    return Outcome(chanvars.RESULT_DONE)
