"""Why an agent pauses: the reasons an agent may choose, on the phone and in the console.

The word (Indonesian) is what Asterisk carries: the QueuePause Reason, PauseQueueMember's
reason in the dialplan, the PAUSE line of queue_log and the QueueMemberPause event; the
agent reports add up paused time by it. Each reason has a feature code on the agents'
phones (dialplan [hajj-agent-phone]; tests/test_dialplan.py checks they agree).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PauseReason:
    word: str  # what Asterisk logs
    label: str  # what a page shows
    code: str  # the phone's feature code


BREAK = PauseReason("istirahat", "Istirahat", "*41")
PRAYER = PauseReason("salat", "Salat", "*42")
TRAINING = PauseReason("pelatihan", "Pelatihan", "*43")
AFTER_CALL = PauseReason("pascapanggilan", "Pascapanggilan (kerja setelah panggilan)", "*44")
REASONS = (BREAK, PRAYER, TRAINING, AFTER_CALL)
WORDS = frozenset(r.word for r in REASONS)


def queue_pause(interface: str, paused: bool, reason: str = "") -> dict[str, str]:
    """AMI QueuePause's fields for the member ``interface`` (a reason only when given)."""
    fields = {"Interface": interface, "Paused": "true" if paused else "false"}
    if reason:
        fields["Reason"] = reason
    return fields


def prompt(reason: PauseReason) -> str:
    """The prompt the phone plays once paused for ``reason``."""
    return f"agent-paused-{reason.word}"
