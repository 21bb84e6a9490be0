"""Recording prompts by phone (route ``record``: *79 from a staff phone, never from the
hotline's callers).

The admin keys their admin number and PIN (a wrong pair is told as one, counted across
calls per phone and per admin number, ``ivr.guard``, and locked after too many), then a
prompt's number (``Catalog.numbers``: `hajj-ivr prompts list`, the dashboard's Prompt
page). They hear its current text, record after the beep, and may hear the take, record
again, keep it or cancel. A kept take is the prompt's sound from the next play on
(``ivr.admin.studio``); then the next prompt, until "#" alone.
"""

from __future__ import annotations

import asyncio

from ivr.admin.studio import MIN_TAKE_SECONDS, PIN_DIGITS
from ivr.call import Call
from ivr.flows import steps
from ivr.outcomes import Ending
from ivr.prompts.catalog import Prompt

NUMBER_DIGITS = 4  # admin numbers and prompt numbers
LISTEN, AGAIN, KEEP, CANCEL = "1", "2", "3", "*"
# What the transcript holds where the admin heard their take played back.
TAKE_HEARD = "(rekaman admin)"


class Locked(Exception):
    """Too many wrong admin numbers or PINs from this phone or for this admin."""


async def record_prompts(call: Call) -> Ending:
    try:
        who = await _sign_in(call)
    except Locked:
        call.note("studio locked: too many wrong admin numbers or PINs")
        await call.say("studio-locked")
        return Ending.served()
    if who is None:
        return await steps.goodbye(call)
    while (chosen := await _choose(call)) is not None:
        await _record(call, *chosen, who)
    return await steps.goodbye(call)


async def _sign_in(call: Call) -> str | None:
    """The admin's login name once their number and PIN are right (three tries)."""
    studio, guard = call.services.studio, call.services.guard
    for _ in range(call.settings.max_tries):
        if guard.pin_locked(call.caller):
            raise Locked
        await call.say("studio-welcome")
        number = await call.collect(NUMBER_DIGITS)
        await call.say("studio-pin")
        pin = await call.collect(PIN_DIGITS, echo=False)
        admin = number if studio.is_admin_number(number) else ""
        name = await asyncio.to_thread(studio.check_pin, number, pin) if admin else None
        # Checked once the PIN is known right or wrong: parallel calls may have locked it.
        if guard.pin_locked(call.caller, admin):
            raise Locked
        if name is not None:
            call.note(f"studio: admin {number} signed in")
            return name
        call.note("studio: admin number or PIN wrong")
        if guard.pin_failed(call.caller, admin):
            raise Locked
        await call.say("studio-pin-wrong")
    return None


async def _choose(call: Call) -> tuple[Prompt, int] | None:
    """The prompt whose number the admin keys; None when they are done ("#" alone)."""
    numbers = call.catalog.numbers()
    for _ in range(call.settings.max_tries):
        await call.say("studio-prompt-number")
        keyed = await call.collect(NUMBER_DIGITS)
        if not keyed:
            return None
        prompt = numbers.get(int(keyed)) if keyed.isdigit() else None
        if prompt is None:
            call.note(f"studio: no prompt {keyed}")
            await call.say("studio-prompt-unknown")
            continue
        call.note(f"studio: prompt {keyed} ({prompt.id})")
        return prompt, int(keyed)
    return None


async def _record(call: Call, prompt: Prompt, number: int, who: str) -> None:
    """Record until the admin keeps a take or cancels; the takes never outlive the call."""
    studio = call.services.studio
    take = studio.take_path(call.id)
    await call.say("studio-current", prompt)
    try:
        for _ in range(call.settings.max_tries):
            await call.say("studio-record")
            await call.record(
                take, max_seconds=studio.max_seconds, silence_seconds=studio.silence_seconds
            )
            empty = studio.take_seconds(take) < MIN_TAKE_SECONDS
            call.note(f"studio: take {'empty' if empty else 'recorded'}")
            key = await _review(call, Prompt("take", TAKE_HEARD, file=str(take)), empty)
            if key == KEEP:
                await asyncio.to_thread(studio.keep, prompt, number, take, who)
                call.note(f"studio: prompt {number} ({prompt.id}) kept")
                await call.say("studio-kept")
                return
            if key != AGAIN:
                break
        call.note(f"studio: prompt {number} ({prompt.id}) unchanged")
        await call.say("studio-cancelled")
    finally:
        studio.discard(take)


async def _review(call: Call, heard: Prompt, empty: bool) -> str:
    """1 hears the take (again); returns 2, 3, * or "" (nothing keyed: cancel). An empty
    take cannot be kept: 3 (or 1) says so, and the admin records again or cancels."""
    for _ in range(call.settings.menu_rounds * 3):
        key = await call.menu("studio-review")
        if empty and key in (KEEP, LISTEN):
            await call.say("studio-take-empty")
        elif key in (AGAIN, KEEP, CANCEL, ""):
            return key
        elif key == LISTEN:
            await call.say(heard)
        elif key != steps.REPEAT:
            await call.say("menu-invalid")
    return ""
