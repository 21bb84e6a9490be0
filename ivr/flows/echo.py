"""The platform's proof route: greet, collect up to 10 digits, read them back, goodbye."""

from __future__ import annotations

from ivr.call import Call
from ivr.outcomes import Ending


async def read_back(call: Call) -> Ending:
    await call.say("greeting")
    await call.say("enter-digits")
    digits = await call.collect(10)
    if digits:
        await call.say("you-entered", *(call.catalog.digit(d) for d in digits))
    else:
        await call.say("no-input")
    await call.say("goodbye")
    return Ending.served()
