"""Callback instead of waiting: the caller keeps their place, hangs up, and we call back.

Two ways in. In the queue (route "callback"): the dialplan runs this when nobody is logged
in or the caller has waited agents.callback_after seconds; declining puts the caller back
in line ahead of later callers. Outside staffed hours the controller runs `closed` instead
of sending the caller to an empty queue: the callback is for the next staffed day.

The number called back is never just the caller ID: it must be a national number
(``ivr.phone``), read back and confirmed by the caller (1), or keyed by them (2, or when
the caller ID is none we may call); one number gets ``agents.callbacks_per_day`` requests.
Beside a carrier trunk only a caller ID the carrier asserted (P-Asserted-Identity) or the
hotline itself set is offered back: a SIP From nobody vouches for (the anonymous endpoint,
a trunk call without PAI) is never read back, the caller keys the number
(``call.caller_trusted``, ivr/asterisk/trunk.py).
"""

from __future__ import annotations

from ivr import chanvars, phone, speech
from ivr.call import Call
from ivr.outcomes import Ending
from ivr.queue.callbacks import Request

ACCEPT, ANOTHER, AGENT, REPEAT = "1", "2", "0", "9"
DAY = 24 * 3600.0


async def offer(call: Call) -> Ending:
    """Route "callback": the caller is waiting for an agent."""
    call.note(f"callback offer ({call.offer or 'waited'})")
    if not call.services.desk.staffed():
        return await closed(call)
    nobody = call.offer == chanvars.OFFER_NOBODY
    await call.say("callback-nobody" if nobody else "callback-busy")
    if await call.menu("callback-offer") != ACCEPT:
        await call.say("callback-stay")
        return Ending.to_agent(call.handover.reason, announce=False)
    return await _request(call, not_before=0.0)


async def closed(call: Call) -> Ending:
    """Outside staffed hours: a callback on the next staffed day instead of a dead queue."""
    await call.say("callback-closed")
    if await call.menu("callback-offer-closed") != ACCEPT:
        await call.say("callback-closed-goodbye")
        return Ending.closed(call.handover.reason)
    opening = call.services.desk.next_open()
    return await _request(call, not_before=opening.timestamp() if opening else 0.0)


async def _request(call: Call, not_before: float) -> Ending:
    number = await _number(call)
    if not number:
        call.note("callback: no number to call")
        return await _without_callback(call, not_before)
    desk = call.services.desk
    if desk.callbacks.open_for(number, call.handover.porsi) is None and (
        desk.callbacks.count_since(number, desk.clock() - DAY) >= desk.callbacks_per_day
    ):
        call.note("callback: this number is over its daily limit")
        await call.say("callback-limit")
        return await _without_callback(call, not_before)
    request = Request.of(number, call.id, call.handover, not_before)
    stored, created = desk.callbacks.request(request, now=desk.clock())
    desk.records.called_back(call.id)
    call.note(f"callback {'requested' if created else 'already open'}: #{stored.id}")
    await call.say("callback-confirmed" if created else "callback-already")
    await _say_number(call, number)
    if not_before:
        opening = desk.next_open()
        if opening is not None:
            await call.say(
                *speech.date(opening.date(), with_year=False),
                "callback-when",
                *speech.time(opening.time(), desk.zone),  # type: ignore[arg-type]
            )
    await call.say("callback-hangup")
    return Ending.callback(call.handover.reason)


async def _without_callback(call: Call, not_before: float) -> Ending:
    """No callback after all: back in line (while staffed), or goodbye (off duty)."""
    if not_before:
        await call.say("callback-closed-goodbye")
        return Ending.closed(call.handover.reason)
    await call.say("callback-stay")
    return Ending.to_agent(call.handover.reason, announce=False)


async def _number(call: Call) -> str:
    """A national number the caller confirmed: their own, read back, or one they key
    (three tries); "" when there is none (or the caller asked for an officer)."""
    own = phone.national(call.caller) if call.caller_trusted else ""
    if call.caller and not call.caller_trusted:
        call.note("callback: the caller ID is a SIP From nobody vouches for")
    if own:
        answer = await _confirm(call, own)
        if answer != ANOTHER:
            return own if answer == ACCEPT else ""
    else:
        await call.say("callback-number-unknown")
    for _ in range(call.settings.max_tries):
        await call.say("callback-enter-number")
        keyed = phone.national(await call.collect(13))
        if not keyed:
            call.note("callback: the keyed number is not a national one")
            await call.say("callback-number-invalid")
            continue
        answer = await _confirm(call, keyed)
        if answer != ANOTHER:
            return keyed if answer == ACCEPT else ""
    return ""


async def _confirm(call: Call, number: str) -> str:
    """Read the number back: 1 call it, 2 key another, 0 officer ("" after no answer)."""
    for _ in range(call.settings.menu_rounds):
        await call.say("callback-number-readback")
        await _say_number(call, number)
        key = await call.menu("callback-number-confirm")
        if key in (ACCEPT, ANOTHER, AGENT):
            return key
        if key and key != REPEAT:
            await call.say("menu-invalid")
    return ""


async def _say_number(call: Call, number: str) -> None:
    for group in speech.digits_grouped(number, _groups(len(number))):
        await call.say(*group)


def _groups(length: int) -> tuple[int, ...]:
    """Phone numbers read in fours ("0812 3456 7890"), the last group taking the rest."""
    fours, rest = divmod(length, 4)
    groups = [4] * fours
    if rest:
        groups.append(rest)
    return tuple(groups)
