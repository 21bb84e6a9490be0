"""The doctor route: answers at once so `hajj-ivr doctor` can see FastAGI works end to end."""

from __future__ import annotations

from ivr.call import Call
from ivr.outcomes import Ending


async def ping(call: Call) -> Ending:
    call.note("doctor check")
    return Ending.served()
