""" "Data saya tidak sesuai" (information menu 7): a correction case for the unit that
owns the data.

After any answer about a porsi the caller presses 7, chooses what is wrong (estimate,
kloter and schedule, passport and visa, payment, name, other), may leave a short message
after the beep, and may give a number to be called back on (their own national number,
read back and confirmed). The case goes to the unit that owns the field
(ivr.corrections.units) and the caller hears its number, digit by digit, twice, and who
will check. Kloter, documents, payment and name are read only after the date of birth,
so a case about them is filed only after it too (docs/decisions.md, "Data corrections").

Once the unit resolved a case, the next call for that porsi hears so right after the
status (``tell_resolved``), once.
"""

from __future__ import annotations

import logging

from ivr import phone
from ivr.call import Call
from ivr.corrections import units
from ivr.corrections.cases import CaseError, NewCase
from ivr.data.mirror import Jemaah
from ivr.flows import steps
from ivr.outcomes import Ending, Reason

log = logging.getLogger(__name__)

YES, NO = "1", "2"


async def report(call: Call, j: Jemaah) -> Ending | None:
    """Information menu 7. None: back to the information menu."""
    call.topic("correction")
    field = await _field(call)
    if field is None:
        return Ending.to_agent(Reason.CALLER_REQUEST)
    if not field:
        return None
    if field in units.PERSONAL:
        refused = await steps.verify_birth(call, j)
        if refused is not None:
            return refused
    unit = units.owner(j, field)
    try:
        number = _file(call, j, field, unit)
    except CaseError as e:
        log.error("call %s: %s", call.id, e)
        call.note("correction case could not be stored")
        await call.say("correction-failed")
        return Ending.to_agent(Reason.CONTROLLER_ERROR)
    call.learn(correction=number)
    call.note(f"correction case {number} ({field}) for {unit.key}")
    answer = await _yes_no(call, "correction-message-ask")
    if answer == YES:
        await _record(call, number)
    if answer != steps.AGENT:
        answer = await _callback_number(call, number)
    await steps.tell_digits(call, number, ("correction-number", "correction-number-again"))
    await call.say(f"correction-unit-{unit.kind}")
    # "0" in a question after filing: the caller hears the case's number first.
    return Ending.to_agent(Reason.CALLER_REQUEST) if answer == steps.AGENT else None


async def _yes_no(call: Call, prompt: str) -> str:
    """1 yes, 2 no, 0 an officer; 9 (or no key) asks again; "" when never answered."""
    for _ in range(call.settings.menu_rounds):
        key = await call.menu(prompt)
        if key in (YES, NO, steps.AGENT):
            return key
        if key and key != steps.REPEAT:
            await call.say("menu-invalid")
    return ""


def _file(call: Call, j: Jemaah, field: str, unit: units.Unit) -> str:
    """The case in the store (inline, one small row in WAL); its number."""
    cases = call.services.corrections.cases
    number = cases.new_number()
    verified = call.knows_dob(j.nomor_porsi)
    snapshot = units.snapshot(j, field)
    now = call.services.clock()
    cases.open(
        NewCase(number, now, call.id, j.nomor_porsi, field, unit.key, unit.name, verified, snapshot)
    )
    return number


async def _field(call: Call) -> str | None:
    """What is wrong: a field; None for an officer; "" after no answer (back to the menu)."""
    for _ in range(call.settings.menu_rounds):
        key = await call.menu("correction-field")
        if key.isdigit() and 1 <= int(key) <= len(units.FIELDS):
            return units.FIELDS[int(key) - 1]
        if key == steps.AGENT:
            return None
        if key and key != steps.REPEAT:
            await call.say("menu-invalid")
    return ""


async def _record(call: Call, number: str) -> None:
    """The message after the beep, up to complaints.correction_record_seconds; a hang-up
    keeps what was recorded (the case is already filed)."""
    desk = call.services.corrections
    name = f"correction-{number}"
    await call.say("correction-record")
    try:
        await call.record(
            desk.recordings / name,
            max_seconds=desk.max_seconds,
            silence_seconds=desk.silence_seconds,
        )
    finally:
        desk.cases.recorded(number, f"{name}.wav")
    call.note("correction message recorded")


async def _callback_number(call: Call, number: str) -> str:
    """The caller's own national number, read back and confirmed with 1, is where we call
    back once the unit resolved the case; no such number: they hear it on their next call.
    The caller's answer (9 reads the number again)."""
    own = phone.national(call.caller)
    if not own:
        call.note("correction: no national number to call back")
        return ""
    key = await steps.confirm_digits(
        call, own, "correction-callback-readback", _fours(len(own)), "correction-callback-confirm"
    )
    if key == YES:
        call.services.corrections.cases.call_back_at(number, own)
        call.note("correction: callback number confirmed")
    return key


def _fours(length: int) -> tuple[int, ...]:
    fours, rest = divmod(length, 4)
    return (4,) * fours + ((rest,) if rest else ())


async def tell_resolved(call: Call, j: Jemaah) -> None:
    """After the status: each case of this porsi the unit resolved since, once."""
    cases = call.services.corrections.cases
    for case in cases.untold(j.nomor_porsi):
        await call.say("correction-resolved", f"correction-about-{case.field}", "correction-done")
        cases.told(case.number, call.services.clock())
        call.note(f"correction case {case.number}: told resolved")
