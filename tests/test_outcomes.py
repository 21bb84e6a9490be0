"""The outcome words agree with their readers: the dialplan, the call log, the screen pop."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from ivr import calllog
from ivr.outcomes import RESULT_OF, SELF_SERVICE, Ending, Outcome, Reason, Result
from ivr.web import screenpop

ROOT = Path(__file__).resolve().parent.parent
DIALPLAN = (ROOT / "dialplan" / "extensions.conf").read_text()
SNAKE_WORD = re.compile(r"\b[a-z]+(?:_[a-z]+)+\b")


def test_outcomes_results_include_every_word_the_dialplan_tests() -> None:
    tested = set(re.findall(r'"\$\{HAJJ_RESULT\}" = "(\w+)"', DIALPLAN))
    assert tested == {"done"}
    assert tested <= {r.value for r in Result}
    assert "Set(HAJJ_RESULT=)" in DIALPLAN  # cleared before the callback route runs


def test_outcomes_every_reason_the_dialplan_sets_is_a_reason() -> None:
    set_lines = [line for line in DIALPLAN.splitlines() if "HAJJ_REASON=" in line]
    words = {w for line in set_lines for w in SNAKE_WORD.findall(line.split("HAJJ_REASON=")[1])}
    assert words == {"controller_incomplete", "controller_unreachable"}
    assert words <= {r.value for r in Reason}


ENDING_MAKERS = ("to_agent", "failed", "callback", "closed", "Ending")


def _reason_words(path: Path) -> set[str]:
    """Bare strings given to an Ending as its reason: every reason should be a Reason."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name | ast.Attribute):
            name = node.func.id if isinstance(node.func, ast.Name) else node.func.attr
            if name in ENDING_MAKERS:
                found |= {
                    arg.value
                    for arg in node.args
                    if isinstance(arg, ast.Constant) and isinstance(arg.value, str)
                }
    return found


def _reasons_named(path: Path) -> set[str]:
    """The Reason members a module names (Reason.X)."""
    return {
        node.attr
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "Reason"
    }


def _flow_sources() -> list[Path]:
    return [*(ROOT / "ivr" / "flows").glob("*.py"), *(ROOT / "ivr").glob("*.py")]


def test_outcomes_flows_and_the_controller_name_reasons_only_as_reason_members() -> None:
    sources = _flow_sources()
    assert set().union(*(_reason_words(p) for p in sources)) == set()
    named = set().union(*(_reasons_named(p) for p in sources))
    assert {"CALLER_REQUEST", "UNKNOWN_ROUTE", "CONTROLLER_ERROR"} <= named
    assert named <= {r.name for r in Reason}


def test_outcomes_every_reason_has_a_screen_pop_text() -> None:
    assert set(screenpop.REASONS) == set(Reason)


def test_outcomes_call_log_words_are_outcomes() -> None:
    default = re.search(r"outcome TEXT NOT NULL DEFAULT '(\w+)'", calllog.SCHEMA.script)
    assert default is not None and default[1] == Outcome.IN_PROGRESS


def test_outcomes_self_service_is_served_without_a_person() -> None:
    assert all(RESULT_OF[o] is Result.DONE for o in SELF_SERVICE)
    assert Outcome.CALLBACK not in SELF_SERVICE  # a person calls back


ENDINGS = {
    "served": (Ending.served(), Outcome.SERVED, Result.DONE, False, ""),
    "to_agent": (Ending.to_agent("no_input"), Outcome.AGENT, Result.AGENT, True, "no_input"),
    "callback": (Ending.callback("callback"), Outcome.CALLBACK, Result.DONE, False, "callback"),
    "closed": (
        Ending.closed("caller_request"),
        Outcome.CLOSED,
        Result.DONE,
        False,
        "caller_request",
    ),
    "failed": (
        Ending.failed("controller_error"),
        Outcome.FAILED,
        Result.FAILED,
        True,
        "controller_error",
    ),
}


@pytest.mark.parametrize("case", ENDINGS)
def test_ending_each_kind_has_its_outcome_result_and_reason(case: str) -> None:
    ending, outcome, result, to_person, reason = ENDINGS[case]
    assert (ending.outcome, ending.result, ending.to_person, ending.reason) == (
        outcome,
        result,
        to_person,
        reason,
    )
    assert ending.announce


def test_ending_caller_who_stays_is_not_announced() -> None:
    assert not Ending.to_agent("caller_request", announce=False).announce


@pytest.mark.parametrize("outcome", [Outcome.HANGUP, Outcome.IN_PROGRESS])
def test_ending_outcome_no_flow_returns_is_refused(outcome: Outcome) -> None:
    with pytest.raises(ValueError, match=outcome.value):
        Ending(outcome)
