"""Satisfaction: the caller rates the call 1-5.

Route "rating": the agent hung up first (Queue() option ``c`` lets the caller's dialplan
go on, [hajj-agent] then runs this route); the rating goes with the agent who answered
(app_queue's MEMBERNAME) and the tier's queue (HAJJ_QUEUE). ``after_self_service``: the
main menu's end when the IVR served the call alone and ``ivr.rate_self_service`` is on.

The question is asked once, and once more after a key that is not 1-5 (or none); then
thanks, and the dialplan hangs up. The call's outcome stays what it was (the route
replaces none).
"""

from __future__ import annotations

from ivr.call import Call
from ivr.outcomes import Ending, Outcome
from ivr.ratings import SCORES, Kind

ASKS = 2  # the question, and once more after a bad key or none


async def after_agent(call: Call) -> Ending:
    """Route "rating"."""
    agent = await call.answered_by()
    await ask(call, "rating-ask", Kind.AGENT, agent=agent, queue=call.handover.queue)
    return Ending.served()


async def after_self_service(call: Call, ending: Ending) -> Ending:
    """The main menu's ending, after a rating when the IVR served the call alone and the
    hotline asks then (``ivr.rate_self_service``)."""
    if ending.outcome is Outcome.SERVED and call.settings.rate_self_service:
        await ask(call, "rating-ask-self", Kind.SELF)
    return ending


async def ask(call: Call, question: str, kind: Kind, *, agent: str = "", queue: str = "") -> int:
    """The score keyed (0: none), stored with the call's topics; thanks either way."""
    for attempt in range(ASKS):
        key = await call.menu(question)
        if key.isdigit() and int(key) in SCORES:
            score = int(key)
            if call.services.ratings is not None:
                call.services.ratings.add(
                    call.id, score, kind, queue=queue, agent=agent, topics=call.handover.topics
                )
            call.note(f"rating {score} ({kind}{' ' + agent if agent else ''})")
            await call.say("rating-thanks")
            return score
        if attempt + 1 < ASKS:
            await call.say("rating-invalid")
    call.note("rating: no score keyed")
    await call.say("rating-none")
    return 0
