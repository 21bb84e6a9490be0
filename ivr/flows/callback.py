"""Callback instead of waiting: the caller keeps their place, hangs up, and we call back.

Two ways in. In the queue (route "callback"): the dialplan runs this when nobody is logged
in or the caller has waited agents.callback_after seconds; declining puts the caller back
in line ahead of later callers. Outside staffed hours the controller runs `closed` instead
of sending the caller to an empty queue: the callback is for the next staffed day.
"""

from __future__ import annotations

import re

from ivr import chanvars, speech
from ivr.call import Call, Outcome
from ivr.queue.callbacks import Request

PHONE = re.compile(r"^\+?\d{6,15}$")
ACCEPT = "1"


async def offer(call: Call) -> Outcome:
    """Route "callback": the caller is waiting for an agent."""
    desk = call.desk
    why = await call.channel.get_variable(chanvars.OFFER) or ""
    await _learn(call)
    call.note(f"callback offer ({why or 'waited'})")
    if not desk.staffed():
        return await closed(call)
    await call.say("callback-nobody" if why == chanvars.OFFER_NOBODY else "callback-busy")
    if await call.menu("callback-offer") != ACCEPT:
        await call.say("callback-stay")
        return Outcome(chanvars.RESULT_AGENT, call.reason, announce=False)
    return await _request(call, not_before=0.0)


async def closed(call: Call) -> Outcome:
    """Outside staffed hours: a callback on the next staffed day instead of a dead queue."""
    await call.say("callback-closed")
    if await call.menu("callback-offer-closed") != ACCEPT:
        await call.say("callback-closed-goodbye")
        return Outcome(chanvars.RESULT_DONE, call.reason, label="closed")
    opening = call.desk.next_open()
    return await _request(call, not_before=opening.timestamp() if opening else 0.0)


async def _learn(call: Call) -> None:
    """What the IVR part of the call learned (the dialplan keeps it as channel variables)."""
    get = call.channel.get_variable
    call.porsi = await get(chanvars.PORSI) or call.porsi
    call.reason = await get(chanvars.REASON) or call.reason
    if (await get(chanvars.VERIFIED) or "") == "yes":
        call.verified = call.porsi
    topics = await get(chanvars.TOPICS) or ""
    call.topics = call.topics or topics.split()
    call.queue = await get(chanvars.QUEUE) or call.queue
    wait_from = await get(chanvars.WAIT_FROM) or ""
    call.waiting_since = float(wait_from) if wait_from.isdigit() else call.waiting_since


async def _request(call: Call, not_before: float) -> Outcome:
    number = await _number(call)
    if not number:
        call.note("callback: no number to call")
        return Outcome(chanvars.RESULT_AGENT, call.reason, announce=False)
    request = Request(
        number=number,
        porsi=call.porsi,
        call_id=call.id,
        reason=call.reason,
        verified="yes" if call.verified and call.verified == call.porsi else "no",
        topics=" ".join(call.topics),
        queue=call.queue,
        waiting_since=call.waiting_since,
        not_before=not_before,
    )
    stored, created = call.desk.callbacks.request(request)
    call.desk.records.called_back(call.id)
    call.note(f"callback {'requested' if created else 'already open'}: #{stored.id}")
    await call.say("callback-confirmed" if created else "callback-already")
    digits = number.lstrip("+")
    for group in speech.digits_grouped(digits, _groups(len(digits))):
        await call.say(*group)
    if not_before:
        opening = call.desk.next_open()
        if opening is not None:
            await call.say(
                *speech.date(opening.date(), with_year=False),
                "callback-when",
                *speech.time(opening.time(), call.desk.zone),  # type: ignore[arg-type]
            )
    await call.say("callback-hangup")
    return Outcome(chanvars.RESULT_DONE, call.reason, label="callback")


async def _number(call: Call) -> str:
    """The caller's own number when it is one, else keyed (three tries)."""
    own = call.caller.strip()
    if PHONE.match(own):
        return own
    for _ in range(call.settings.max_tries):
        await call.say("callback-enter-number")
        keyed = await call.collect(15)
        if PHONE.match(keyed):
            return keyed
    return ""


def _groups(length: int) -> tuple[int, ...]:
    """Phone numbers read in fours ("0812 3456 7890"), the last group taking the rest."""
    fours, rest = divmod(length, 4)
    groups = [4] * fours
    if rest:
        groups.append(rest)
    return tuple(groups)
