"""Complaints by phone (main menu 3): file a complaint, or hear where one stands.

Filing: a category (1-8), an optional porsi (checked as in the pilgrim flow, with the
date of birth), then the message after the beep, which the caller may hear and record
again before sending. The ticket exists before the beep, so a caller who hangs up while
speaking still leaves a ticket with what was recorded (flagged partial). The ticket
number is read slowly, digit by digit, twice. Asking about a resolved ticket plays its
resolution note and, when an officer recorded one, their reply.
"""

from __future__ import annotations

from ivr.call import Call, Outcome
from ivr.complaints import replies
from ivr.complaints.tickets import CATEGORIES, Ticket
from ivr.errors import CallerHangup
from ivr.flows import pilgrim

AGENT = "0"


async def menu(call: Call) -> Outcome:
    call.topic("complaint")
    for _ in range(call.settings.menu_rounds):
        key = await call.menu("complaint-menu")
        if key == "1":
            return await file_complaint(call)
        if key == "2":
            return await status(call)
        if key == AGENT:
            return pilgrim.to_agent("complaint_request")
        if key and key != "9":
            await call.say("menu-invalid")
    return await pilgrim.goodbye(call)


async def file_complaint(call: Call) -> Outcome:
    category = await _category(call)
    if category is None:
        return pilgrim.to_agent("complaint_request")
    porsi, verified, place = "", False, ("", "")
    if await call.menu("complaint-porsi-ask") == "1":
        found = await pilgrim.ask_porsi(call)
        if isinstance(found, Outcome):
            return found
        refused = await pilgrim.verify_birth(call, found)
        if refused is not None:
            return refused
        porsi, verified = found.nomor_porsi, call.verified == found.nomor_porsi
        place = (found.kabupaten, found.kloter.embarkasi if found.kloter else "")
    desk = call.complaints
    ticket = desk.tickets.open(
        source="phone",
        category=category,
        who="caller",
        call_id=call.id,
        caller=call.caller,
        porsi=porsi,
        porsi_verified=verified,
        kabupaten=place[0],
        embarkasi=place[1],
        partial=True,
    )
    call.ticket = ticket.number
    call.note(f"complaint ticket {ticket.number} ({category})")
    await _record(call, ticket)
    await tell_number(call, ticket.number)
    await call.say("complaint-thanks")
    return await _officer_or_goodbye(call)


async def _officer_or_goodbye(call: Call) -> Outcome:
    """An officer about this ticket (its number goes with the call), or goodbye."""
    if await call.menu("complaint-officer") == AGENT:
        return pilgrim.to_agent("complaint_request")
    return await pilgrim.goodbye(call)


async def _category(call: Call) -> str | None:
    for _ in range(call.settings.max_tries):
        key = await call.menu("complaint-category")
        if key.isdigit() and 1 <= int(key) <= len(CATEGORIES):
            return CATEGORIES[int(key) - 1]
        if key == AGENT:
            return None
        await call.say("menu-invalid")
    return None


async def _record(call: Call, ticket: Ticket) -> None:
    """Record (again) until the caller sends it; a hang-up keeps what was recorded."""
    desk = call.complaints
    name = f"{ticket.number}.wav"
    path = desk.recordings / ticket.number
    for _ in range(call.settings.max_tries):
        await call.say("complaint-record")
        try:
            await call.channel.record_file(
                str(path), "wav", "#", desk.max_seconds * 1000, desk.silence_seconds
            )
        except CallerHangup:
            desk.tickets.recorded(ticket, name, partial=True)
            call.note("complaint recording: caller hung up (kept, flagged)")
            raise
        call.note("complaint recorded")
        desk.tickets.recorded(ticket, name, partial=True)  # until the caller sends it
        key = await call.menu("complaint-review")
        while key == "1":
            await call.channel.stream_file(str(path), "123")
            key = await call.menu("complaint-review")
        if key != "2":
            break
    desk.tickets.recorded(ticket, name, partial=False)


async def tell_number(call: Call, number: str) -> None:
    """The ticket number, slowly: each digit its own utterance, said twice."""
    for intro in ("complaint-number", "complaint-number-again"):
        await call.say(intro)
        for digit in number:
            await call.say(f"digit-{digit}")


async def status(call: Call) -> Outcome:
    desk = call.complaints
    for _ in range(call.settings.max_tries):
        await call.say("complaint-status-enter")
        number = await call.collect(8)
        ticket = desk.tickets.find(number)
        if ticket is None:
            call.note("complaint number not found")
            await call.say("complaint-not-found")
            continue
        call.ticket = ticket.number
        call.note(f"complaint status: {ticket.number} {ticket.state}")
        await call.say(f"complaint-state-{ticket.state.replace('_', '-')}")
        if ticket.state == "resolved":
            if ticket.resolution in call.catalog:
                await call.say(ticket.resolution)
            reply = replies.prompt(desk.recordings, ticket)
            if reply is not None:
                await call.say("complaint-reply", reply)
        return await _officer_or_goodbye(call)
    return pilgrim.to_agent("complaint_request")
