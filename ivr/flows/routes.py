"""The route table: every route the dialplan names, its flow and its policy."""

from __future__ import annotations

from ivr import chanvars
from ivr.flows import callback, campaign, doctor, echo, hotline, rating, studio
from ivr.outcomes import Outcome
from ivr.route import Route, RouteTable

TABLE = RouteTable.of(
    # 500425: off duty, a caller for a person is offered a callback on the next staffed day.
    Route(chanvars.ROUTE_HOTLINE, hotline.main_menu, off_duty=callback.closed),
    Route(chanvars.ROUTE_ECHO, echo.read_back),
    Route(chanvars.ROUTE_DOCTOR, doctor.ping),
    # *79 from a staff phone (never the hotline's callers): admins record prompts.
    Route(chanvars.ROUTE_RECORD, studio.record_prompts),
    # Run while the caller is queued: only a callback (or declining one off duty) changes
    # the call's outcome; staying in line leaves it "agent".
    Route(
        chanvars.ROUTE_CALLBACK,
        callback.offer,
        replaces=frozenset({Outcome.CALLBACK, Outcome.CLOSED}),
    ),
    # A schedule-change call the pilgrim answered: 0 off duty offers a callback instead.
    Route(chanvars.ROUTE_CAMPAIGN, campaign.schedule_change, off_duty=callback.closed),
    # The agent hung up first and the caller is still on the line: a rating 1-5. The call
    # stays "agent" in the log whatever happens here.
    Route(chanvars.ROUTE_RATING, rating.after_agent, replaces=frozenset()),
)
