"""Umrah (main menu 4): is this travel agency licensed? And the umrah announcements.

The caller keys the agency's licence number (PPIU), hears it read back like a porsi, and
then whether it is licensed, frozen or revoked, the registered name and city (spelled:
``speech.spell``), and the data's date. An unknown number is said plainly, with the
advice to check before paying; so is an export that carried no list of agencies (then
nothing is claimed about the agency at all).
"""

from __future__ import annotations

import logging

from ivr import speech
from ivr.call import Call
from ivr.data.ppiu import LICENCE, LICENCE_DIGITS, Agency, Answer, Check
from ivr.errors import DataError
from ivr.flows import info
from ivr.flows.steps import AGENT, REPEAT, confirm_digits, entries, goodbye
from ivr.outcomes import Ending, Reason

log = logging.getLogger(__name__)

# The licence read back as 4 + 4 + 5 digits, as a porsi is read in 2 + 4 + 4.
GROUPS = (4, 4, 5)
assert sum(GROUPS) == LICENCE_DIGITS
# What the caller hears first for each finding.
VERDICT = {
    Check.LICENSED: "ppiu-licensed",
    Check.FROZEN: "ppiu-frozen",
    Check.REVOKED: "ppiu-revoked",
    Check.UNKNOWN: "ppiu-unknown",
    Check.NO_LIST: "ppiu-no-list",
}


async def menu(call: Call) -> Ending:
    """1 check an agency's licence, 2 the umrah announcements, 0 officer, 9 again."""
    call.topic("umrah")
    silent = 0
    while silent < call.settings.menu_rounds:
        key = await call.menu("umrah-menu")
        if key == "1":
            ending = await check_licence(call)
            if ending is not None:
                return ending
        elif key == "2":
            await announcements(call)
        elif key == AGENT:
            return Ending.to_agent(Reason.CALLER_REQUEST)
        elif not key:
            silent += 1
        elif key != REPEAT:
            await call.say("menu-invalid")
    return await goodbye(call)


async def announcements(call: Call) -> None:
    """The admin-editable umrah announcements (prompts/umrah-announcements.toml), in order."""
    call.topic("umrah_announcements")
    await entries(call, "umrah-announce-", "umrah-none")


async def check_licence(call: Call) -> Ending | None:
    """Key, confirm and look up a licence; None once its answer was said."""
    call.topic("ppiu")
    for _ in range(call.settings.max_tries):
        await call.say("ppiu-enter")
        digits = await call.collect(LICENCE_DIGITS)
        if not LICENCE.match(digits):
            call.note(f"licence incomplete: {len(digits)} digits")
            await call.say("ppiu-malformed")
            continue
        answer = await confirm_digits(call, digits, "ppiu-readback", GROUPS)
        if answer == AGENT:
            return Ending.to_agent(Reason.CALLER_REQUEST)
        if answer != "1":
            call.note("licence read-back rejected")
            continue
        try:
            found = call.ppiu(digits)
        except DataError as e:
            log.error("call %s: PPIU lookup failed: %s", call.id, e)
            await call.say("lookup-failed")
            return Ending.to_agent(Reason.LOOKUP_ERROR)
        await call.say_all(said(found))
        if found.check is not Check.NO_LIST:
            await call.say(*info.as_of(call.data_as_of))
        return None
    await call.say("ppiu-too-many-tries")
    return Ending.to_agent(Reason.LICENCE_FAILED)


def said(found: Answer) -> list[list[str]]:
    """What the caller hears about a licence: the verdict, then who holds it."""
    spoken = [[VERDICT[found.check]]]
    if found.agency is not None:
        spoken += agency(found.agency)
    if found.check is Check.LICENSED:
        spoken.append(["ppiu-five-certain"])
    return spoken


def agency(a: Agency) -> list[list[str]]:
    """The registered name and city, spelled word by word; a valid licence's end date."""
    spoken = [["ppiu-name"], *speech.spell(a.nama), ["ppiu-city"], *speech.spell(a.kota)]
    if a.status == "BERLAKU" and a.berlaku_sampai is not None:
        spoken.append(["ppiu-valid-until", *speech.date(a.berlaku_sampai)])
    return spoken
