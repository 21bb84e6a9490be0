"""Routes carry their policy (ivr/route.py, the table in ivr/flows/routes.py): the off-duty
detour, which later outcomes replace the call's, an unknown route failing to a person."""

from __future__ import annotations

import asyncio
import re
import uuid
from pathlib import Path

from ivr import chanvars, testcall
from ivr.agi.scripted import Caller, ScriptedLine
from ivr.calllog import CallLogReader
from ivr.flows.routes import TABLE
from ivr.outcomes import Outcome, Reason, Result
from tests.rig.fast import FastHotline

EXTENSIONS = Path(__file__).resolve().parent.parent / "dialplan" / "extensions.conf"


def test_route_table_names_exactly_the_routes_the_dialplan_runs() -> None:
    text = EXTENSIONS.read_text()
    named = set(re.findall(r"Set\(__HAJJ_ROUTE=(\w+)\)", text))
    named |= set(re.findall(r"AGI\(\$\{HAJJ_AGI\}/(\w+)\)", text))
    assert set(TABLE.routes) == named


def test_route_without_replaces_logs_every_outcome() -> None:
    hotline = TABLE.find(chanvars.ROUTE_HOTLINE)
    assert [hotline.logged(o) for o in Outcome] == list(Outcome)


def test_route_later_keeps_the_calls_outcome_unless_a_callback_or_closed() -> None:
    later = TABLE.find(chanvars.ROUTE_CALLBACK)
    assert later.logged(Outcome.CALLBACK) is Outcome.CALLBACK
    assert later.logged(Outcome.CLOSED) is Outcome.CLOSED
    assert later.logged(Outcome.AGENT) is None
    assert later.logged(Outcome.HANGUP) is None


def test_route_unknown_name_fails_to_a_person(fast: FastHotline) -> None:
    call_id = f"hajj-test-{uuid.uuid4().hex[:16]}"
    caller = Caller.from_test_call(testcall.TestCall(fast.config.ivr.hotline, ""), fast.lengths)
    line = ScriptedLine(call_id, caller, fast.clock, fast.lengths)
    asyncio.run(fast.controller.handle(line.session("no-such-route")))
    assert line.variables[chanvars.RESULT] == Result.FAILED
    row = CallLogReader(fast.config.calllog_path).get(call_id)
    assert row is not None
    assert (row.route, row.outcome, row.reason) == (
        "no-such-route",
        Outcome.FAILED,
        Reason.UNKNOWN_ROUTE,
    )
