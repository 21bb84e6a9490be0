"""What a call learned, for the person who takes it over: one frozen value, one encoder to
channel variables, one decoder from them.

Each field travels as its own channel variable, HAJJ_<FIELD> (NAMES). The controller sets
them with "__" when a flow hands over: Asterisk copies them to every channel the caller's
channel creates (the agent's leg, both halves of a Local channel). The dispatcher sets them
the same way when it originates a callback. The dialplan reads some of them (the queue, the
HajjToAgent event) and sets some (a reason when the controller failed, the queue on a
transfer, wait_from when the call first queues), which is why they are separate variables
and not one combined value that would go stale. manager.conf's channelvars lists them, so
every app_queue event carries all of them (from_event). A later AGI session of the same
call reads them back in one GET FULL VARIABLE.

A new fact for the agent is a field here and a row in the screen pop: nothing else.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace
from typing import Any, get_type_hints

from ivr import chanvars
from ivr.ami import events


@dataclass(frozen=True)
class Handover:
    reason: str = ""  # why a person takes over (outcomes.Reason, or the dialplan's own)
    porsi: str = ""  # the porsi looked up last
    verified: bool = False  # its own date of birth was keyed right in this call
    topics: tuple[str, ...] = ()  # what the caller asked about, in order (single words)
    ticket: str = ""  # a complaint ticket filed or asked about
    correction: str = ""  # a data correction case filed in this call
    queue: str = chanvars.FIRST_QUEUE  # the tier's queue; a transfer up a tier changes it
    wait_from: int | None = None  # unix time the call first queued: its place in line
    callback_id: int | None = None  # set on a callback's agent leg
    ppiu: str = ""  # the umrah agency licence asked last and what was found ("... revoked")
    campaign_call: int | None = None  # a schedule-change call (ivr.campaigns) the IVR placed


def verified(porsi: str, dob_porsi: str) -> bool:
    """The verified rule, the one place it lives: the agent may trust a porsi only when the
    date of birth keyed in this call was that porsi's."""
    return bool(porsi) and porsi == dob_porsi


def variable(field: str) -> str:
    """The channel variable of a field: porsi -> HAJJ_PORSI."""
    return f"HAJJ_{field.upper()}"


NAMES: tuple[str, ...] = tuple(variable(f.name) for f in fields(Handover))


# --- encoding ----------------------------------------------------------------------------


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"  # a flag is always said (HajjToAgent shows "no")
    if isinstance(value, tuple):
        return " ".join(value)
    if value is None or value == 0:  # no number yet (a count not started, no id)
        return ""
    return str(value)


def encode(h: Handover) -> dict[str, str]:
    """Channel variables by name, without prefix: every field whose text is not empty.
    An empty one is left out, never cleared, because the dialplan may have set it."""
    texts = {variable(f.name): _text(getattr(h, f.name)) for f in fields(h)}
    return {name: text for name, text in texts.items() if text}


def inherited(variables: Mapping[str, str]) -> dict[str, str]:
    """``__NAME``: Asterisk copies the variable to every channel this one creates, and on."""
    return {f"__{name}": value for name, value in variables.items()}


# --- decoding ----------------------------------------------------------------------------

_PARSERS: dict[object, Callable[[str], object]] = {
    str: str,
    bool: lambda text: text == "yes",
    tuple[str, ...]: lambda text: tuple(text.split()),
    int | None: int,
    int: int,
}
# field -> parser, from the annotations: a field of a type without a parser fails here, at
# import (tests import this module), never in a call.
_PARSE = {name: _PARSERS[hint] for name, hint in get_type_hints(Handover).items()}


def decode(found: Mapping[str, str]) -> Handover:
    """From variables by name: an AMI event's ChanVariable headers or an AGI read. Unset,
    empty or malformed values keep the default, so a stray value never breaks a pop."""
    values: dict[str, Any] = {}  # each parsed to its field's type (_PARSE)
    for name, parse in _PARSE.items():
        text = found.get(variable(name), "").strip()
        if text:
            with contextlib.suppress(ValueError):
                values[name] = parse(text)
    return replace(Handover(), **values)


def from_event(event: Mapping[str, str]) -> Handover:
    """The caller's channel variables carried by an app_queue event (ChanVariable; the
    agent's own leg is DestChanVariable and is not read)."""
    return decode(events.variables(event))
