"""Complaints by phone (main menu 3): file a complaint, or hear where one stands.

Filing: a category (1-8), an optional porsi (checked as in the pilgrim flow, with the
date of birth), then the message after the beep, which the caller may hear and record
again before sending. The ticket exists before the beep, so a caller who hangs up while
speaking still leaves a ticket with what was recorded (flagged partial). The ticket
number, then its PIN, are read slowly, digit by digit, twice. Writes go through the desk's
writer (off the event loop, spooled): the caller never waits for the store.

Asking where a ticket stands takes its number and its PIN; a wrong pair is told as one
("number or PIN"), counted across calls (``ivr.guard``) and locked after too many. A
resolved ticket plays its resolution note and, when an officer recorded one, their reply.
A ticket from before PINs is told by an officer.
"""

from __future__ import annotations

import asyncio

from ivr.call import Call
from ivr.complaints import numbers, replies
from ivr.complaints.tickets import CATEGORIES, NewTicket, Ticket
from ivr.errors import CallerHangup
from ivr.flows import steps
from ivr.outcomes import Ending, Reason
from ivr.prompts.catalog import Prompt


async def menu(call: Call) -> Ending:
    call.topic("complaint")
    for _ in range(call.settings.menu_rounds):
        key = await call.menu("complaint-menu")
        if key == "1":
            return await file_complaint(call)
        if key == "2":
            return await status(call)
        if key == steps.AGENT:
            return Ending.to_agent(Reason.COMPLAINT_REQUEST)
        if key and key != steps.REPEAT:
            await call.say("menu-invalid")
    return await steps.goodbye(call)


async def file_complaint(call: Call) -> Ending:
    category = await _category(call)
    if category is None:
        return Ending.to_agent(Reason.COMPLAINT_REQUEST)
    porsi, verified, place = "", False, ("", "")
    if await call.menu("complaint-porsi-ask") == "1":
        found = await steps.ask_porsi(call)
        if isinstance(found, Ending):
            return found
        refused = await steps.verify_birth(call, found)
        if refused is not None:
            return refused
        porsi, verified = found.nomor_porsi, call.knows_dob(found.nomor_porsi)
        place = (found.kabupaten, found.kloter.embarkasi if found.kloter else "")
    desk = call.services.complaints
    number, pin = await desk.writer.new_number(), numbers.new_pin()
    new = NewTicket(
        number,
        call.services.clock(),
        "phone",
        category,
        call_id=call.id,
        caller=call.caller,
        porsi=porsi,
        porsi_verified=verified,
        kabupaten=place[0],
        embarkasi=place[1],
        partial=True,
        pin_hash=desk.tickets.pin_hash(number, pin),
    )
    await desk.writer.open(new)
    call.about_ticket(number)
    call.note(f"complaint ticket {number} ({category})")
    await _record(call, number)
    await tell_number(call, number)
    await tell_pin(call, pin)
    await call.say("complaint-thanks")
    return await _officer_or_goodbye(call)


async def _officer_or_goodbye(call: Call) -> Ending:
    """An officer about this ticket (its number goes with the call), or goodbye."""
    if await call.menu("complaint-officer") == steps.AGENT:
        return Ending.to_agent(Reason.COMPLAINT_REQUEST)
    return await steps.goodbye(call)


async def _category(call: Call) -> str | None:
    for _ in range(call.settings.max_tries):
        key = await call.menu("complaint-category")
        if key.isdigit() and 1 <= int(key) <= len(CATEGORIES):
            return CATEGORIES[int(key) - 1]
        if key == steps.AGENT:
            return None
        await call.say("menu-invalid")
    return None


async def _record(call: Call, number: str) -> None:
    """Record (again) until the caller sends it; a hang-up keeps what was recorded."""
    desk = call.services.complaints
    name = f"{number}.wav"
    path = desk.recordings / number
    for _ in range(call.settings.max_tries):
        await call.say("complaint-record")
        try:
            await call.record(
                path, max_seconds=desk.max_seconds, silence_seconds=desk.silence_seconds
            )
        except CallerHangup:
            await desk.writer.recorded(number, name, partial=True)
            call.note("complaint recording: caller hung up (kept, flagged)")
            raise
        call.note("complaint recorded")
        await desk.writer.recorded(number, name, partial=True)  # until the caller sends it
        key = await call.menu("complaint-review")
        while key == "1":
            # Any key during the playback answers the review menu (and it is in the transcript).
            await call.say(Prompt("recording", RECORDING_HEARD, file=str(path)))
            key = await call.menu("complaint-review")
        if key != "2":
            break
    await desk.writer.recorded(number, name, partial=False)


async def tell_number(call: Call, number: str) -> None:
    """The ticket number, slowly: each digit its own utterance, said twice."""
    await steps.tell_digits(call, number, ("complaint-number", "complaint-number-again"))


async def tell_pin(call: Call, pin: str) -> None:
    """The PIN like the number; the transcript keeps no trace of its digits."""
    await steps.tell_digits(call, pin, ("complaint-pin", "complaint-pin-again"), PIN_SHOWN)


# What the transcript holds where the caller heard a digit of their PIN.
PIN_SHOWN = "(angka PIN)"
# What the transcript holds where the caller heard their own recording played back.
RECORDING_HEARD = "(rekaman pengaduan penelepon)"


async def status(call: Call) -> Ending:
    """A ticket's number and PIN, then where it stands (three tries, counted across calls)."""
    desk, guard = call.services.complaints, call.services.guard
    for _ in range(call.settings.max_tries):
        if guard.status_locked(call.caller):
            return await _locked(call)
        await call.say("complaint-status-enter")
        number = await call.collect(numbers.NUMBER_DIGITS)
        if not numbers.valid_number(number):  # a typo: the check digits caught it
            call.note("complaint number mistyped")
            await call.say("complaint-number-invalid")
            continue
        ticket = await asyncio.to_thread(desk.tickets.find, number)
        if ticket is not None and not ticket.pin_hash:
            return await _no_pin(call, ticket)
        await call.say("complaint-pin-enter")
        pin = await call.collect(numbers.PIN_DIGITS, echo=False)
        # Checked again once keyed: parallel calls may have locked it meanwhile.
        about = ticket.number if ticket else ""
        if guard.status_locked(call.caller, about):
            return await _locked(call)
        if ticket is None or not desk.tickets.pin_ok(ticket, pin):
            call.note("complaint number or PIN wrong")
            if guard.status_failed(call.caller, about):
                return await _locked(call)
            await call.say("complaint-pin-wrong")
            continue
        return await _tell_status(call, ticket)
    return Ending.to_agent(Reason.COMPLAINT_REQUEST)


async def _tell_status(call: Call, ticket: Ticket) -> Ending:
    call.about_ticket(ticket.number)
    call.note(f"complaint status: {ticket.number} {ticket.state}")
    await call.say(f"complaint-state-{ticket.state.replace('_', '-')}")
    if ticket.state == "resolved":
        if ticket.resolution in call.catalog:
            await call.say(ticket.resolution)
        reply = replies.prompt(call.services.complaints.recordings, ticket)
        if reply is not None:
            await call.say("complaint-reply", reply)
    return await _officer_or_goodbye(call)


async def _no_pin(call: Call, ticket: Ticket) -> Ending:
    """A ticket from before PINs: nothing to prove ownership by phone, so an officer (who
    sees the number) tells its status."""
    call.about_ticket(ticket.number)
    call.note(f"complaint status: {ticket.number} has no PIN, to an officer")
    await call.say("complaint-status-officer")
    return Ending.to_agent(Reason.COMPLAINT_NO_PIN)


async def _locked(call: Call) -> Ending:
    call.note("complaint status locked: too many wrong numbers or PINs")
    await call.say("complaint-status-locked")
    return Ending.to_agent(Reason.COMPLAINT_LOCKED)
