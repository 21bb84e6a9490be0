"""The handover: every field survives its trips (channel variables, AMI events), and its
names are the ones the dialplan and manager.conf use."""

from __future__ import annotations

import re
from dataclasses import fields, replace
from pathlib import Path

import pytest

from ivr import chanvars, handover
from ivr.agi.codec import split_variables, variables_expression
from ivr.ami.events import variables
from ivr.asterisk import render
from ivr.asterisk.render import render_text
from ivr.handover import Handover

DIALPLAN = Path(__file__).resolve().parent.parent / "dialplan"

ALL_SET = Handover(
    reason="dob_failed",
    porsi="1100123456",
    verified=True,
    topics=("estimate", "kloter", "complaint"),
    ticket="26041234",
    queue="hajj-tier2",
    wait_from=1_776_000_000,
    callback_id=42,
    ppiu="8120001357924 revoked",
)
# One row per field with a value other than its default, and all of them at once.
ROUND_TRIPS = {
    f.name: replace(Handover(), **{f.name: getattr(ALL_SET, f.name)}) for f in fields(Handover)
}
ROUND_TRIPS["all"] = ALL_SET
ROUND_TRIPS["default"] = Handover()


@pytest.mark.parametrize("case", ROUND_TRIPS)
def test_handover_every_field_round_trips_through_encode_and_decode(case: str) -> None:
    h = ROUND_TRIPS[case]
    assert handover.decode(handover.encode(h)) == h


@pytest.mark.parametrize("case", ROUND_TRIPS)
def test_handover_round_trips_through_an_ami_event(case: str) -> None:
    h = ROUND_TRIPS[case]
    # AmiClient joins the repeated ChanVariable headers with newlines.
    headers = "\n".join(f"{name}={value}" for name, value in handover.encode(h).items())
    event = {"Event": "QueueCallerJoin", "ChanVariable": headers, "DestChanVariable": ""}
    assert handover.decode(variables(event)) == h
    assert handover.from_event(event) == h


def _substitute(expression: str, channel: dict[str, str]) -> str:
    """Asterisk's ${NAME} substitution (unset: "")."""
    return re.sub(r"\$\{(\w+)\}", lambda m: channel.get(m[1], ""), expression)


@pytest.mark.parametrize("case", ROUND_TRIPS)
def test_handover_round_trips_through_get_full_variable(case: str) -> None:
    h = ROUND_TRIPS[case]
    # Set with "__" by one AGI session; Asterisk keeps them under the bare name.
    channel = {
        name.removeprefix("__"): v for name, v in handover.inherited(handover.encode(h)).items()
    }
    names = (*handover.NAMES, chanvars.OFFER)
    read = split_variables(names, _substitute(variables_expression(names), channel))
    assert read[chanvars.OFFER] == ""
    assert handover.decode(read) == h


def test_handover_from_event_reads_the_callers_leg_not_the_agents() -> None:
    event = {
        "ChanVariable": "HAJJ_PORSI=1100123456\nHAJJ_REASON=caller_request",
        "DestChanVariable": "HAJJ_PORSI=9999999999\nHAJJ_REASON=callback",
    }
    h = handover.from_event(event)
    assert (h.porsi, h.reason) == ("1100123456", "caller_request")


def test_handover_encode_says_flags_and_leaves_empty_fields_out() -> None:
    assert handover.encode(Handover()) == {
        chanvars.VERIFIED: "no",
        chanvars.QUEUE: chanvars.FIRST_QUEUE,
    }
    assert handover.encode(ALL_SET) == {
        chanvars.REASON: "dob_failed",
        chanvars.PORSI: "1100123456",
        chanvars.VERIFIED: "yes",
        chanvars.TOPICS: "estimate kloter complaint",
        chanvars.TICKET: "26041234",
        chanvars.QUEUE: "hajj-tier2",
        chanvars.WAIT_FROM: "1776000000",
        chanvars.CALLBACK_ID: "42",
        handover.variable("ppiu"): "8120001357924 revoked",
    }


def test_handover_inherited_variables_carry_the_double_underscore() -> None:
    assert handover.inherited({chanvars.PORSI: "1100123456"}) == {"__HAJJ_PORSI": "1100123456"}


# The handover variables the dialplan reads or sets itself. A new fact for the agent need
# not be here: the screen pop reads it from the events' channelvars.
DIALPLAN_READS = (
    chanvars.REASON,
    chanvars.PORSI,
    chanvars.VERIFIED,
    chanvars.TOPICS,
    chanvars.TICKET,
    chanvars.QUEUE,
    chanvars.WAIT_FROM,
    chanvars.CALLBACK_ID,
)


def test_handover_names_hold_every_variable_the_dialplan_reads() -> None:
    assert set(DIALPLAN_READS) <= set(handover.NAMES)
    extensions = (DIALPLAN / "extensions.conf").read_text()
    assert all(f"${{{name}}}" in extensions for name in DIALPLAN_READS)


def test_dialplan_channelvars_carry_every_handover_field() -> None:
    manager = (DIALPLAN / "manager.conf").read_text()
    line = re.search(r"^channelvars\s*=\s*(.+)$", manager, re.M)
    assert line is not None
    rendered = render_text(line[1], {"channelvars": ",".join(render.CHANNELVARS)}, "manager.conf")
    assert set(handover.NAMES) <= set(rendered.split(","))


MALFORMED = {
    "wait_from-not-a-number": ({chanvars.WAIT_FROM: "x"}, Handover()),
    "callback_id-empty": ({chanvars.CALLBACK_ID: ""}, Handover()),
    "callback_id-float": ({chanvars.CALLBACK_ID: "4.2"}, Handover()),
    "verified-not-yes": ({chanvars.VERIFIED: "1"}, Handover()),
    "blank-porsi": ({chanvars.PORSI: "   "}, Handover()),
    "unknown-names": ({"HAJJ_ROUTE": "hotline", "OTHER": "x"}, Handover()),
    "one-bad-others-kept": (
        {chanvars.WAIT_FROM: "soon", chanvars.PORSI: "1100123456"},
        Handover(porsi="1100123456"),
    ),
}


@pytest.mark.parametrize("case", MALFORMED)
def test_handover_malformed_values_keep_defaults(case: str) -> None:
    found, expected = MALFORMED[case]
    assert handover.decode(found) == expected


VERIFIED = {
    "same-porsi": ("1100123456", "1100123456", True),
    "no-birth-date-keyed": ("1100123456", "", False),
    "another-porsis-birth-date": ("1100123456", "0100654321", False),
    "birth-date-but-no-porsi-now": ("", "1100123456", False),
    "nothing": ("", "", False),
}


@pytest.mark.parametrize("case", VERIFIED)
def test_handover_verified_only_for_the_porsi_whose_birth_date_was_keyed(case: str) -> None:
    porsi, dob_porsi, expected = VERIFIED[case]
    assert handover.verified(porsi, dob_porsi) is expected
