"""Schedule-change calls in the fast tier: every branch of the answered call (heard, 9
repeats, 0 an officer, 8 opts out, another key) through the real controller and the
modelled dialplan. The real tier (tests/test_call_campaigns.py) keeps one SIPp call."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from ivr import chanvars
from ivr.campaigns import store
from ivr.campaigns.store import CampaignCall, Campaigns, Target
from tests.rig.fast import FastHotline
from tests.scenarios import campaigns as checks
from tests.scenarios.campaigns import KLOTER, NUMBER, PORSI


def _campaigns(fast: FastHotline) -> Campaigns:
    found = fast.controller.services.campaigns
    assert found is not None
    return found


def _placed(fast: FastHotline, key: str) -> CampaignCall:
    """A running campaign's call to the fixed pilgrim, as the dialer dials it."""
    campaigns = _campaigns(fast)
    new = Target(PORSI, NUMBER, KLOTER, "2026-04-22 08:00", "2026-04-23 08:00", "GA6101", "WIB")
    made = campaigns.create(key, [KLOTER], [new], fast.clock())
    assert made is not None and campaigns.start(made.id, fast.clock())
    k = campaigns.next_due(fast.clock())
    assert k is not None
    campaigns.dial(k.id, fast.clock())
    return k


def _answer(fast: FastHotline, k: CampaignCall, dtmf: str) -> tuple[str, CampaignCall]:
    variables: Mapping[str, str] = {
        f"__{chanvars.ROUTE}": chanvars.ROUTE_CAMPAIGN,
        f"__{chanvars.CAMPAIGN_CALL}": str(k.id),
        f"__{chanvars.PORSI}": k.porsi,
    }
    result = fast.call_with(variables, dtmf, timeout=120)
    after = _campaigns(fast).call(k.id)
    assert after is not None
    return result.call_id, after


def test_campaign_call_heard_says_who_calls_and_the_new_schedule(fast: FastHotline) -> None:
    call_id, k = _answer(fast, _placed(fast, "heard"), checks.HEAR)
    checks.check_heard(fast.spoken(call_id), k, call_id)


def test_campaign_call_9_repeats_the_schedule(fast: FastHotline) -> None:
    call_id, k = _answer(fast, _placed(fast, "repeat"), checks.REPEAT)
    spoken = fast.spoken(call_id)
    assert sum(line.startswith("Masuk asrama haji") for line in spoken) == 2
    checks.check_heard(spoken, k, call_id)


def test_campaign_call_0_reaches_an_officer_with_the_reason(fast: FastHotline) -> None:
    k = _placed(fast, "officer")
    variables = {
        f"__{chanvars.ROUTE}": chanvars.ROUTE_CAMPAIGN,
        f"__{chanvars.CAMPAIGN_CALL}": str(k.id),
    }
    result = fast.call_with(variables, checks.OFFICER, timeout=120)
    checks.check_schedule_said_with_the_new_dates(fast.spoken(result.call_id))
    (to_agent,) = [e for e in result.events if e.get("UserEvent") == "HajjToAgent"]
    assert to_agent["Reason"] == "schedule_change" and to_agent["Route"] == "campaign"
    after = _campaigns(fast).call(k.id)
    assert after is not None and after.outcome == store.OFFICER


def test_campaign_call_8_opts_the_number_out(fast: FastHotline) -> None:
    call_id, k = _answer(fast, _placed(fast, "opt-out"), checks.OPT_OUT)
    checks.check_opted_out(fast.spoken(call_id), k, _campaigns(fast))


def test_campaign_call_another_key_is_invalid_then_goodbye(fast: FastHotline) -> None:
    call_id, k = _answer(fast, _placed(fast, "other"), checks.OTHER_KEY)
    spoken = fast.spoken(call_id)
    assert "Maaf, pilihan tersebut tidak tersedia." in spoken
    checks.check_heard(spoken, k, call_id)


def test_campaign_call_without_a_campaign_call_says_goodbye(fast: FastHotline) -> None:
    result = fast.call_with({f"__{chanvars.ROUTE}": chanvars.ROUTE_CAMPAIGN}, "", timeout=60)
    assert fast.spoken(result.call_id) == [
        "Terima kasih. Informasi lengkap ada di hotline haji lima nol nol, empat dua lima."
        " Wassalamualaikum."
    ]


@pytest.fixture(autouse=True)
def _no_opt_outs(fast: FastHotline) -> None:
    """Each test dials the same number: an earlier opt-out must not skip it."""
    _campaigns(fast).sql.run("DELETE FROM campaign_optouts")
