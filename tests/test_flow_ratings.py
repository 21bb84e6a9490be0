"""The rating flow in the fast tier (ivr/flows/rating.py): the route the dialplan runs after
an agent hung up first, with the channel as app_queue leaves it (MEMBERNAME, HAJJ_QUEUE,
the handover's topics), every branch: each score, a bad key then a good one, two bad
keys, no key; and the optional rating at the end of a self-service call, on and off. (A
real agent call: tests/test_call_ratings.py.)"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Iterator
from pathlib import Path

import pytest

from ivr import chanvars, testcall
from ivr.agi.scripted import Caller, ScriptedLine
from ivr.outcomes import Outcome
from ivr.ratings import Rating
from ivr.testcall import CallResult
from tests.rig.fast import FastHotline

ASK = "Mohon beri nilai untuk pelayanan petugas kami."
ASK_SELF = "Sebelum menutup telepon, mohon beri nilai untuk layanan ini."
INVALID = "Maaf, mohon tekan satu angka dari satu sampai lima."
THANKS = "Terima kasih atas penilaian Anda. Wassalamualaikum."
NONE = "Terima kasih telah menghubungi hotline haji. Wassalamualaikum."
# What app_queue and the earlier sessions left on the caller's channel.
AFTER_AGENT = {
    f"__{chanvars.ROUTE}": chanvars.ROUTE_RATING,
    chanvars.MEMBER_NAME: "siti",
    f"__{chanvars.QUEUE}": "hajj-tier2",
    f"__{chanvars.TOPICS}": "estimate kloter",
    f"__{chanvars.REASON}": "caller_request",
}
# Main menu 4 (umrah), then silence: three unanswered menus, goodbye, served.
SELF_SERVED = "4"


def rated(hotline: FastHotline, result: CallResult) -> list[Rating]:
    ratings = hotline.controller.services.ratings
    assert ratings is not None
    return ratings.for_call(result.call_id)


def spoken(hotline: FastHotline, result: CallResult) -> list[str]:
    return hotline.spoken(result.call_id)


def said(lines: list[str], text: str) -> int:
    return sum(text in line for line in lines)


@pytest.mark.parametrize("score", [1, 2, 3, 4, 5])
def test_rating_after_agent_each_score_is_stored_with_agent_tier_and_topics(
    fast: FastHotline, score: int
) -> None:
    result = fast.call_with(AFTER_AGENT, str(score), caller_id=f'"Uji" <08110000{score}>')
    (rating,) = rated(fast, result)
    assert (rating.score, rating.kind, rating.agent, rating.queue) == (
        score,
        "agent",
        "siti",
        "hajj-tier2",
    )
    assert rating.topics == "estimate kloter"
    lines = spoken(fast, result)
    assert said(lines, ASK) == 1 and lines[-1] == THANKS
    assert f"rating {score} (agent siti)" in fast.notes(result.call_id)
    assert result.ended  # thanked, then the dialplan hung up


def test_rating_bad_key_asks_again_once_and_the_next_key_counts(fast: FastHotline) -> None:
    result = fast.call_with(AFTER_AGENT, "7WW4", caller_id='"Uji" <0811000020>')
    assert [r.score for r in rated(fast, result)] == [4]
    lines = spoken(fast, result)
    assert said(lines, INVALID) == 1 and said(lines, THANKS) == 1


def test_rating_two_bad_keys_store_nothing_and_thank_the_caller(fast: FastHotline) -> None:
    # The 0 cuts the apology short (typed ahead): it answers the question asked again.
    result = fast.call_with(AFTER_AGENT, "7WW0", caller_id='"Uji" <0811000021>')
    assert rated(fast, result) == []
    lines = spoken(fast, result)
    assert said(lines, INVALID) == 1 and said(lines, THANKS) == 0 and lines[-1] == NONE
    assert "rating: no score keyed" in fast.notes(result.call_id)


def test_rating_no_key_asks_twice_then_thanks_without_a_rating(fast: FastHotline) -> None:
    result = fast.call_with(AFTER_AGENT, "", caller_id='"Uji" <0811000022>')
    assert rated(fast, result) == []
    lines = spoken(fast, result)
    assert said(lines, ASK) == 2 and lines[-1] == NONE
    assert result.ended


def test_rating_caller_hanging_up_during_the_question_stores_nothing(
    fast: FastHotline,
) -> None:
    result = fast.call_with(AFTER_AGENT, "", caller_id='"Uji" <0811000023>', hold=2)
    assert rated(fast, result) == []
    assert NONE not in spoken(fast, result) and THANKS not in spoken(fast, result)


def test_rating_route_leaves_the_calls_outcome_as_it_was(fast: FastHotline) -> None:
    """The call the queue took keeps "agent" (and its reason) after the rating session."""
    log = fast.controller.services.calllog
    call_id = "hajj-test-rated-after-agent"
    log.start(call_id, "0811000024", "hotline")
    log.finish(call_id, Outcome.AGENT, "caller_request")
    spec = testcall.TestCall(fast.config.ivr.hotline, "3", caller_id='"Uji" <0811000024>')
    line = ScriptedLine(
        call_id, Caller.from_test_call(spec, fast.lengths), fast.clock, fast.lengths
    )
    for name, value in AFTER_AGENT.items():
        line.set_variable(name, value)
    asyncio.run(fast.controller.handle(line.session(chanvars.ROUTE_RATING)))
    row, _ = fast.record(call_id)
    assert row is not None and (row.outcome, row.reason) == ("agent", "caller_request")
    assert [r.score for r in rated(fast, CallResult(call_id, True))] == [3]
    assert line.variables[chanvars.RESULT] == "done"  # the dialplan hangs up


# --- a self-service call, rated only when ivr.rate_self_service is on ----------------------


@pytest.fixture(scope="module")
def rating_self(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastHotline]:
    env = {"HAJJ_IVR_IVR_RATE_SELF_SERVICE": "true"}
    running = FastHotline.start(Path(tmp_path_factory.mktemp("rating-self")), env=env)
    try:
        yield running
    finally:
        running.close()


def question_ends(hotline: FastHotline, result: CallResult) -> float:
    """Seconds after answer when the self-service rating question had been said."""
    row, lines = hotline.record(result.call_id)
    assert row is not None
    return next(x.at for x in lines if x.kind == "say" and ASK_SELF in x.text) - row.started_at


def test_self_service_rating_on_asks_after_goodbye_and_stores_a_self_rating(
    rating_self: FastHotline,
) -> None:
    # The same call twice: first to learn when the question ends (simulated time is
    # exact), then keying 5 a second into the wait for the key.
    first = rating_self.call(SELF_SERVED, caller_id='"Uji" <0811000030>')
    assert rated(rating_self, first) == []
    delay, per_key = 1.0, 0.45
    pause = math.ceil(question_ends(rating_self, first) - delay - per_key) + 1
    result = rating_self.call(SELF_SERVED + "W" * pause + "5", caller_id='"Uji" <0811000031>')
    (rating,) = rated(rating_self, result)
    assert (rating.score, rating.kind, rating.agent, rating.queue) == (5, "self", "", "")
    assert rating.topics == "umrah"
    row, _ = rating_self.record(result.call_id)
    assert row is not None and row.outcome == "served"
    lines = spoken(rating_self, result)
    goodbye = next(i for i, line in enumerate(lines) if "Terima kasih telah menghubungi" in line)
    assert ASK_SELF in lines[goodbye + 1] and lines[-1] == THANKS


def test_self_service_rating_on_never_asks_a_caller_going_to_an_agent(
    rating_self: FastHotline,
) -> None:
    result = rating_self.call("0", caller_id='"Uji" <0811000032>', end_on="QueueCallerJoin")
    assert ASK_SELF not in " ".join(spoken(rating_self, result))


def test_self_service_rating_off_by_default_asks_nothing(fast: FastHotline) -> None:
    assert fast.config.ivr.rate_self_service is False
    result = fast.call(SELF_SERVED, caller_id='"Uji" <0811000033>')
    row, _ = fast.record(result.call_id)
    assert row is not None and row.outcome == "served"
    assert ASK_SELF not in " ".join(spoken(fast, result)) and rated(fast, result) == []
