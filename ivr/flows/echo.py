"""The platform's proof route: greet, collect up to 10 digits, read them back, goodbye."""

from __future__ import annotations

from ivr import chanvars
from ivr.call import Call, Outcome


async def read_back(call: Call) -> Outcome:
    await call.say("greeting")
    await call.say("enter-digits")
    digits = await call.collect(10)
    if digits:
        await call.say("you-entered", *(call.catalog.digit(d) for d in digits))
    else:
        await call.say("no-input")
    await call.say("goodbye")
    return Outcome(chanvars.RESULT_DONE)
