"""The pilgrim's own service (main menu 1) and general information (main menu 2).

A porsi is looked up (steps.ask_porsi) and its information menu served. The estimated
departure is public (as on the ministry's website); kloter, documents and payment are
read only after the pilgrim's date of birth is keyed (steps.verify_birth; a policy
switch in the config). The district office (key 6) is public too: it needs no date of
birth, only the porsi (its district is not in the number: the lookup gives it).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

from ivr.call import Call
from ivr.data.mirror import Jemaah
from ivr.flows import info
from ivr.flows.steps import AGENT, REPEAT, ask_porsi, entries, goodbye, verify_birth
from ivr.outcomes import Ending, Reason

# Admin-editable entries of general information, played in order: prompt id prefixes.
ANNOUNCEMENTS, CANCELLING, DELEGATING = "announce-", "pembatalan-", "pelimpahan-"
BACK = "8"


async def general_information(call: Call) -> Ending | None:
    """Menu 2: the announcements, then a menu: announcements again, the office of a
    pilgrim's district (by porsi), how to cancel a porsi, how to delegate one to an heir.
    None: back to the main menu."""
    call.topic("general")
    await entries(call, ANNOUNCEMENTS, "general-none")
    silent = 0
    while silent < call.settings.menu_rounds:
        key = await call.menu("general-menu")
        if key == BACK:
            return None
        if key == AGENT:
            return Ending.to_agent(Reason.CALLER_REQUEST)
        if key in GENERAL:
            ending = await GENERAL[key](call)
            if ending is not None:
                return ending
        elif not key:
            silent += 1
        elif key != REPEAT:
            await call.say("menu-invalid")
    return None


# A service the main menu adds to the information menu: the pilgrim's call goes on with
# None, or ends. Sub-flows never import each other: flows.hotline composes them here.
InfoAction = Callable[[Call, Jemaah], Awaitable[Ending | None]]


@dataclass(frozen=True)
class InfoMore:
    keys: Mapping[str, InfoAction] = field(default_factory=dict)  # more keys of the menu
    after_status: tuple[Callable[[Call, Jemaah], Awaitable[None]], ...] = ()  # said once


async def _announcements(call: Call) -> None:
    await entries(call, ANNOUNCEMENTS, "general-none")


async def _cancelling(call: Call) -> None:
    call.topic("pembatalan")
    await entries(call, CANCELLING, "procedure-none")


async def _delegating(call: Call) -> None:
    call.topic("pelimpahan")
    await entries(call, DELEGATING, "procedure-none")


async def _office_by_porsi(call: Call) -> Ending | None:
    """The office of any porsi's district: the porsi is looked up for its kd_kab."""
    call.topic("office")
    await call.say("office-by-porsi")
    found = await ask_porsi(call)
    if isinstance(found, Ending):
        return found
    await call.say_all(info.office(call.office(found.kd_kab), call.catalog))
    return None


GENERAL: Mapping[str, Callable[[Call], Awaitable[Ending | None]]] = {
    "1": _announcements,
    "2": _office_by_porsi,
    "3": _cancelling,
    "4": _delegating,
}


async def porsi_service(call: Call, more: InfoMore | None = None) -> Ending:
    """Look a porsi up and serve its menu; "8" looks up another porsi in the same call."""
    while True:
        found = await ask_porsi(call)
        if isinstance(found, Ending):
            return found
        served = await info_menu(call, found, more or InfoMore())
        if served is not None:
            return served


async def info_menu(call: Call, j: Jemaah, more: InfoMore) -> Ending | None:
    """Serve one pilgrim's menu. None means the caller asked for another porsi."""
    await call.say_all([*info.status(j), info.as_of(call.data_as_of)])
    for said in more.after_status:
        await said(call, j)
    if j.status_porsi in NEEDS_AGENT:  # refunds, heirs: only a person can help further
        return Ending.to_agent(Reason.STATUS_NEEDS_AGENT)
    silent = 0
    while silent < call.settings.menu_rounds:
        key = await call.menu("info-menu")
        if key == "8":
            return None
        if key == AGENT:
            return Ending.to_agent(Reason.CALLER_REQUEST)
        if key in TOPICS or key in more.keys:
            ended = await (tell(call, j, key) if key in TOPICS else more.keys[key](call, j))
            if ended is not None:
                return ended
        elif not key:
            silent += 1
        elif key != REPEAT:
            await call.say("menu-invalid")
    return await goodbye(call)


# Statuses whose next step is a person's work (refund, heir delegation): straight to one,
# after the status and what the export says of the refund or the heir.
NEEDS_AGENT = frozenset({"BATAL", "WAFAT", "PELIMPAHAN"})

TOPICS = {
    "1": "estimate",
    "2": "kloter",
    "3": "documents",
    "4": "payment",
    "5": "all",
    "6": "office",
}


async def tell(call: Call, j: Jemaah, key: str) -> Ending | None:
    topic = TOPICS[key]
    call.topic(topic)
    if topic == "office":  # public: the office serves everyone in the district
        await call.say_all(info.office(call.office(j.kd_kab), call.catalog))
        return None
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
