"""A schedule-change call (route "campaign"): the IVR called the pilgrim; they answered.

Who is calling (the hajj hotline 500425), the kloter whose schedule moved, its new asrama
entry and flight (date, time and zone, the kloter's own: WIB, WITA or WIT). Then 9 hears
it again, 0 reaches an officer (the queue, reason ``schedule_change``), 8 asks for no more
schedule calls to this number (kept and honoured by every later campaign); no key ends the
call politely. What happened is the campaign call's outcome (ivr.campaigns.store).

The dialplan ran AMD() before this (when campaigns.detect_machines): an answering machine
never reaches this flow; it hears the short ``campaign-machine`` message instead.
"""

from __future__ import annotations

import datetime as dt

from ivr import speech
from ivr.call import Call
from ivr.campaigns import store
from ivr.campaigns.store import CampaignCall
from ivr.outcomes import Ending, Reason

AGENT, OPT_OUT, REPEAT = "0", "8", "9"


async def schedule_change(call: Call) -> Ending:
    campaigns, cid = call.services.campaigns, call.handover.campaign_call
    target = campaigns.call(cid) if campaigns is not None and cid is not None else None
    if campaigns is None or target is None:
        call.note("schedule-change call: no campaign call on this line")
        await call.say("campaign-goodbye")
        return Ending.served()
    campaigns.answered(target.id, call.id)
    call.note(f"schedule-change call #{target.id}: kloter {target.kloter}")
    for _ in range(call.settings.menu_rounds):
        await call.say("campaign-intro")
        await _schedule(call, target)
        campaigns.heard(target.id)
        key = await call.menu("campaign-menu")
        if key == AGENT:
            campaigns.heard(target.id, store.OFFICER)
            return Ending.to_agent(Reason.SCHEDULE_CHANGE)
        if key == OPT_OUT:
            campaigns.heard(target.id, store.OPTED_OUT)
            campaigns.opt_out(target.number, call.services.clock())
            call.note("schedule-change calls: this number opted out")
            await call.say("campaign-optout")
            break
        if key != REPEAT:
            if key:
                await call.say("menu-invalid")
            break
    await call.say("campaign-goodbye")
    return Ending.served()


async def _schedule(call: Call, target: CampaignCall) -> None:
    """Kloter X has changed; asrama entry and flight, each a date and a time."""
    zone = target.zone
    await call.say("campaign-kloter", *speech.code(target.kloter), "campaign-changed")
    await call.say("kloter-asrama", *_when(target.asrama, zone))
    await call.say("kloter-flight", *speech.code(target.flight), *_when(target.berangkat, zone))


def _when(at: str, zone: str) -> list[str]:
    moment = dt.datetime.fromisoformat(at)
    return [*speech.date(moment.date()), *speech.time(moment.time(), zone)]  # type: ignore[arg-type]
