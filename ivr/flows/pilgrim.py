"""The 500425 pilgrim flow: main menu, porsi lookup, identity check, information menu.

Elderly-friendly: short menus, "0 for an officer" in every menu, "9" repeats, three tries
at anything before a person takes over (with the reason recorded). The estimated
departure is public (as on the ministry's website); kloter, documents and payment are
read only after the pilgrim's date of birth is keyed (a policy switch in the config).
Wrong dates and lookups are also counted across calls (``ivr.guard``): a porsi whose date
of birth was guessed too often is locked, and so is a number that looks up too much.
"""

from __future__ import annotations

import logging
import re

from ivr import speech
from ivr.call import Call
from ivr.data.mirror import Jemaah
from ivr.errors import DataError
from ivr.flows import complaint, info
from ivr.outcomes import Ending, Reason

log = logging.getLogger(__name__)

PORSI = re.compile(r"^\d{10}$")
AGENT, REPEAT = "0", "9"


async def goodbye(call: Call) -> Ending:
    await call.say("goodbye")
    return Ending.served()


async def hotline(call: Call) -> Ending:
    await call.say("greeting")
    silent = 0
    while silent < call.settings.menu_rounds:
        key = await call.menu("menu-main")
        if key == "1":
            return await porsi_service(call)
        if key == "2":
            await general_information(call)
        elif key == "3":
            return await complaint.menu(call)
        elif key == AGENT:
            return Ending.to_agent(Reason.CALLER_REQUEST)
        elif not key:
            silent += 1
        elif key != REPEAT:
            await call.say("menu-invalid")
    # Keys may never reach us (an old phone, DTMF lost on the line): a person can help.
    return Ending.to_agent(Reason.NO_INPUT)


async def general_information(call: Call) -> None:
    """Menu 2: the admin-editable announcements (prompts/announcements.toml), in order."""
    call.topic("general")
    announcements = [pid for pid in call.catalog if pid.startswith("announce-")]
    for pid in announcements or ["general-none"]:
        await call.say(pid)


async def porsi_service(call: Call) -> Ending:
    """Look a porsi up and serve its menu; "8" looks up another porsi in the same call."""
    while True:
        found = await ask_porsi(call)
        if isinstance(found, Ending):
            return found
        served = await info_menu(call, found)
        if served is not None:
            return served


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
    for _ in range(call.settings.menu_rounds):
        await call.say("porsi-readback")
        for group in speech.digits_grouped(digits):
            await call.say(*group)
        key = await call.menu("porsi-confirm")
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


async def info_menu(call: Call, j: Jemaah) -> Ending | None:
    """Serve one pilgrim's menu. None means the caller asked for another porsi."""
    await call.say_all([*info.status(j), info.as_of(call.data_as_of)])
    if j.status_porsi in NEEDS_AGENT:  # refunds, heirs: only a person can help further
        return Ending.to_agent(Reason.STATUS_NEEDS_AGENT)
    silent = 0
    while silent < call.settings.menu_rounds:
        key = await call.menu("info-menu")
        if key == "8":
            return None
        if key == AGENT:
            return Ending.to_agent(Reason.CALLER_REQUEST)
        if key in TOPICS:
            refused = await tell(call, j, key)
            if refused is not None:
                return refused
        elif not key:
            silent += 1
        elif key != REPEAT:
            await call.say("menu-invalid")
    return await goodbye(call)


# Statuses whose next step is a person's work (refund, heir delegation): straight to one.
NEEDS_AGENT = frozenset({"BATAL", "WAFAT", "PELIMPAHAN"})

TOPICS = {"1": "estimate", "2": "kloter", "3": "documents", "4": "payment", "5": "all"}


async def tell(call: Call, j: Jemaah, key: str) -> Ending | None:
    topic = TOPICS[key]
    call.topic(topic)
    if topic != "estimate":
        refused = await verify_birth(call, j)
        if refused is not None:
            return refused
    said = {
        "estimate": info.estimate(j, call.catalog),
        "kloter": info.kloter(j, call.catalog),
        "documents": info.documents(j),
        "payment": info.payment(j),
    }
    chosen = list(said) if topic == "all" else [topic]
    await call.say_all([u for name in chosen for u in said[name]] + [info.as_of(call.data_as_of)])
    return None
