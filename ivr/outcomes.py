"""The words for how a call ended, in one place: the call log's outcome, the dialplan's
result, why a person takes over, and what a flow returns (Ending).

Three vocabularies, three readers. ``Outcome`` is what the call log and the dashboard show
(calls.outcome). ``Result`` is HAJJ_RESULT, the one word the dialplan tests after AGI():
"done" hangs up, anything else (or nothing, when the controller died) goes to a person.
``Reason`` is HAJJ_REASON: why a person takes over, shown on the agent's screen; the
dialplan sets two of them itself when the controller could not.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Outcome(StrEnum):
    """calls.outcome in the call log."""

    SERVED = "served"
    AGENT = "agent"
    CALLBACK = "callback"  # a callback was requested; the call itself ended
    CLOSED = "closed"  # off duty, and the caller declined a callback
    HANGUP = "hangup"
    FAILED = "failed"
    IN_PROGRESS = "in_progress"  # the IVR part is running (the DDL's default)


class Result(StrEnum):
    """HAJJ_RESULT: what the dialplan tests after AGI() (extensions.conf [hajj-ivr])."""

    DONE = "done"
    AGENT = "agent"
    FAILED = "failed"


# The outcomes a flow can end with, and what the dialplan does with each. HANGUP and
# IN_PROGRESS are the controller's own: no flow returns them.
RESULT_OF: dict[Outcome, Result] = {
    Outcome.SERVED: Result.DONE,
    Outcome.CALLBACK: Result.DONE,
    Outcome.CLOSED: Result.DONE,
    Outcome.AGENT: Result.AGENT,
    Outcome.FAILED: Result.FAILED,
}
# Calls the IVR answered without a person (the wallboard's self-service share).
SELF_SERVICE = frozenset({Outcome.SERVED, Outcome.CLOSED})


class Reason(StrEnum):
    """HAJJ_REASON: why a person takes over (or took over)."""

    CALLER_REQUEST = "caller_request"  # "0" in a menu
    NO_INPUT = "no_input"  # no key in the main menu's rounds
    PORSI_FAILED = "porsi_failed"
    LICENCE_FAILED = "licence_failed"  # an umrah agency's licence number, keyed 3 times
    DOB_FAILED = "dob_failed"
    STATUS_NEEDS_AGENT = "status_needs_agent"  # a refund or an heir: a person's work
    LOOKUP_ERROR = "lookup_error"  # the data mirror could not be read
    COMPLAINT_REQUEST = "complaint_request"
    CONTROLLER_ERROR = "controller_error"  # a flow raised
    UNKNOWN_ROUTE = "unknown_route"
    CALLBACK = "callback"  # a callback's agent leg
    CORRECTION_RESOLVED = "correction_resolved"  # a callback: a unit resolved a data case
    SCHEDULE_CHANGE = "schedule_change"  # "0" in a schedule-change call
    # Limits across calls (ivr.guard): a person checks who is calling.
    DOB_LOCKED = "dob_locked"  # too many wrong dates of birth (this porsi or this number)
    LOOKUP_LIMIT = "lookup_limit"  # this number looked up too many porsi this hour
    COMPLAINT_LOCKED = "complaint_locked"  # too many wrong ticket numbers or PINs
    COMPLAINT_NO_PIN = "complaint_no_pin"  # a ticket from before PINs
    # Set by the dialplan: the controller could not be reached, or broke off mid-call.
    CONTROLLER_UNREACHABLE = "controller_unreachable"
    CONTROLLER_INCOMPLETE = "controller_incomplete"
    # Set at start for calls a previous controller left in progress (CallLog.reconcile).
    CONTROLLER_RESTART = "controller_restart"
    # Set by another node for the calls of a node whose heartbeat stopped (ivr.silentnodes).
    NODE_SILENT = "node_silent"


@dataclass(frozen=True)
class Ending:
    """How a flow ended: the call log's outcome, why a person takes over, whether to say so."""

    outcome: Outcome
    reason: str = ""  # a Reason, or a reason the call already carried (the callback route)
    # "Please hold, connecting you" before the hand-over; not when the caller chose to stay.
    announce: bool = True

    def __post_init__(self) -> None:
        if self.outcome not in RESULT_OF:
            raise ValueError(f"a flow cannot end with outcome {self.outcome.value!r}")

    @property
    def result(self) -> Result:
        return RESULT_OF[self.outcome]

    @property
    def to_person(self) -> bool:
        """The dialplan sends the caller to a person (the queue or the callback offer)."""
        return self.result is not Result.DONE

    @classmethod
    def served(cls) -> Ending:
        return cls(Outcome.SERVED)

    @classmethod
    def to_agent(cls, reason: str, *, announce: bool = True) -> Ending:
        return cls(Outcome.AGENT, reason, announce)

    @classmethod
    def callback(cls, reason: str) -> Ending:
        """A callback was requested: the call ends, a person calls back."""
        return cls(Outcome.CALLBACK, reason)

    @classmethod
    def closed(cls, reason: str) -> Ending:
        """Off duty, and the caller declined a callback."""
        return cls(Outcome.CLOSED, reason)

    @classmethod
    def failed(cls, reason: str) -> Ending:
        """The controller failed the call; the dialplan still routes it to a person."""
        return cls(Outcome.FAILED, reason)
