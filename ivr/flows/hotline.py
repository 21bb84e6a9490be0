"""The 500425 main menu: the one flow that composes the others (porsi service, general
information, complaints, umrah), so sub-flows never import each other."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from functools import partial

from ivr.call import Call
from ivr.flows import complaint, correction, pilgrim, rating, steps, umrah
from ivr.outcomes import Ending, Reason

# What the pilgrim's information menu offers beyond its topics: 7 "data saya tidak
# sesuai" (a correction case), and the news of a resolved one after the status.
INFO_MORE = pilgrim.InfoMore(
    keys={"7": correction.report}, after_status=(correction.tell_resolved,)
)

# A key of the main menu and what it runs; None from a sub-flow: back to the main menu.
MAIN_MENU: Mapping[str, Callable[[Call], Awaitable[Ending | None]]] = {
    "1": partial(pilgrim.porsi_service, more=INFO_MORE),
    "2": pilgrim.general_information,
    "3": complaint.menu,
    "4": umrah.menu,
}


async def main_menu(call: Call) -> Ending:
    # Every call that reaches an officer is recorded ([hajj-record]): callers are told first.
    await call.say("greeting", "recorded-notice")
    silent = 0
    while silent < call.settings.menu_rounds:
        key = await call.menu("menu-main")
        if key in MAIN_MENU:
            ending = await MAIN_MENU[key](call)
            if ending is not None:
                return await rating.after_self_service(call, ending)
        elif key == steps.AGENT:
            return Ending.to_agent(Reason.CALLER_REQUEST)
        elif not key:
            silent += 1
        elif key != steps.REPEAT:
            await call.say("menu-invalid")
    # Keys may never reach us (an old phone, DTMF lost on the line): a person can help.
    return Ending.to_agent(Reason.NO_INPUT)
