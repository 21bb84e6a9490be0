"""Steps every flow about a pilgrim shares: ask for a porsi and read it back, verify the
date of birth, goodbye. Sub-flows import these, never each other.

Elderly-friendly: "0 for an officer" in every menu, "9" repeats, three tries at anything
before a person takes over (with the reason recorded). Wrong dates and lookups are also
counted across calls (``ivr.guard``): a porsi whose date of birth was guessed too often is
locked, and so is a number that looks up too much.
"""

from __future__ import annotations

import logging
import re

from ivr import speech
from ivr.call import Call
from ivr.data.mirror import Jemaah
from ivr.errors import DataError
from ivr.outcomes import Ending, Reason

log = logging.getLogger(__name__)

PORSI = re.compile(r"^\d{10}$")
AGENT, REPEAT = "0", "9"


async def goodbye(call: Call) -> Ending:
    await call.say("goodbye")
    return Ending.served()


async def entries(call: Call, prefix: str, none: str) -> None:
    """Every catalog entry whose id starts with ``prefix``, in order (``none`` if none):
    the admin-edited announcements and procedures."""
    for pid in [pid for pid in call.catalog if pid.startswith(prefix)] or [none]:
        await call.say(pid)


async def tell_digits(call: Call, digits: str, intros: tuple[str, ...], shown: str = "") -> None:
    """A ticket's or case's number (or a PIN), slowly: after each intro, every digit its
    own utterance; ``shown`` keeps a secret's digits out of the transcript."""
    for intro in intros:
        await call.say(intro)
        for digit in digits:
            await call.say(f"digit-{digit}", shown=shown)


async def ask_porsi(call: Call) -> Jemaah | Ending:
    for _ in range(call.settings.max_tries):
        await call.say("porsi-enter")
        digits = await call.collect(10)
        if not PORSI.match(digits):
            call.note(f"porsi incomplete: {len(digits)} digits")
            await call.say("porsi-malformed")
            continue
        answer = await confirm_porsi(call, digits)
        if answer == AGENT:
            return Ending.to_agent(Reason.CALLER_REQUEST)
        if answer != "1":
            call.note("porsi read-back rejected")
            continue
        if not call.services.guard.lookup_allowed(call.caller):
            call.note("porsi lookups: this number is over its hourly limit")
            await call.say("lookup-limit")
            return Ending.to_agent(Reason.LOOKUP_LIMIT)
        try:
            found = call.lookup(digits)
        except DataError as e:
            log.error("call %s: mirror lookup failed: %s", call.id, e)
            await call.say("lookup-failed")
            return Ending.to_agent(Reason.LOOKUP_ERROR)
        if found is not None:
            return found
        await call.say("porsi-unknown")
    await call.say("too-many-tries")
    return Ending.to_agent(Reason.PORSI_FAILED)


async def confirm_porsi(call: Call, digits: str) -> str:
    """Read the number back in groups; 1 correct, 2 key it again, 0 officer."""
    return await confirm_digits(call, digits, "porsi-readback", (2, 4, 4))


async def confirm_digits(
    call: Call, digits: str, readback: str, groups: tuple[int, ...], ask: str = "porsi-confirm"
) -> str:
    """Read a number back after ``readback``, in ``groups``, then ``ask``; 1 correct, 2 key
    it again (or no), 0 officer (a porsi, an umrah agency's licence, a callback number)."""
    for _ in range(call.settings.menu_rounds):
        await call.say(readback)
        for group in speech.digits_grouped(digits, groups):
            await call.say(*group)
        key = await call.menu(ask)
        if key in ("1", "2", AGENT):
            return key
        if key and key != REPEAT:
            await call.say("menu-invalid")
    return "2"


async def verify_birth(call: Call, j: Jemaah) -> Ending | None:
    """The pilgrim's date of birth (DDMMYYYY) before personal details; None when verified.

    Locked (too many wrong dates for this porsi or from this number, across calls): no
    date is checked, not even the right one, and an officer takes over.
    """
    if not call.settings.verify_birth_date or call.knows_dob(j.nomor_porsi):
        return None
    expected = j.tgl_lahir.strftime("%d%m%Y")
    for _ in range(call.settings.max_tries):
        if call.services.guard.dob_locked(j.nomor_porsi, call.caller):
            return await dob_locked(call)
        await call.say("dob-enter")
        keyed = await call.collect(8, echo=False)
        # Checked again once keyed: parallel calls may have locked it meanwhile.
        if call.services.guard.dob_locked(j.nomor_porsi, call.caller):
            return await dob_locked(call)
        if keyed == expected:
            call.dob_verified(j.nomor_porsi)
            await call.say("dob-ok")
            return None
        call.note("date of birth wrong")
        if call.services.guard.dob_failed(j.nomor_porsi, call.caller):
            return await dob_locked(call)
        await call.say("dob-wrong")
    return Ending.to_agent(Reason.DOB_FAILED)


async def dob_locked(call: Call) -> Ending:
    call.note("date of birth locked: too many wrong dates (this porsi or this number)")
    await call.say("dob-locked")
    return Ending.to_agent(Reason.DOB_LOCKED)
