"""The campaign dialer against a fake AMI, over the campaigns on SQLite and PostgreSQL:
pacing (calls at once), calling hours, retries after no answer, busy, failure or a
machine, opt-outs, refused numbers, and following imports. (The real thing:
tests/test_call_campaigns.py; several dialers at once: tests/test_campaign_claims.py.)"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field

import pytest

from ivr.campaigns import store
from ivr.campaigns.dialer import FAILED_GRACE, CampaignDialer
from ivr.campaigns.store import Campaigns, Target
from ivr.config import AgentSettings
from ivr.data.importer import import_export
from ivr.data.sample import write_sample
from ivr.errors import AmiActionError
from ivr.settings import CampaignSettings, campaign_hours
from tests.rig.clock import Clock
from tests.rig.postgres import Backend
from tests.scenarios import campaigns as scenario

SETTINGS = CampaignSettings(
    at_once=2, attempts=3, retry_after=600, dial="PJSIP/{number}@trunk", ring_seconds=20
)
HOUR = 3600.0
ASRAMA = "2026-04-22 08:00"


@dataclass
class FakeAmi:
    connected: bool = True
    originated: list[Mapping[str, str]] = field(default_factory=list)
    refuse: bool = False

    async def originate(self, **fields: str) -> Mapping[str, str]:
        if self.refuse:
            raise AmiActionError("Originate refused")
        self.originated.append(fields)
        return {"Response": "Success"}


@dataclass
class Rig:
    dialer: CampaignDialer
    ami: FakeAmi
    campaigns: Campaigns
    clock: Clock

    def tick(self) -> list[int]:
        return [k.id for k in asyncio.run(self.dialer.tick())]

    def ended(self, call_id: int, status: str) -> None:
        self.dialer.on_event(
            {
                "Event": "UserEvent",
                "UserEvent": "HajjCampaign",
                "Call": str(call_id),
                "Stage": "ended",
                "DialStatus": status,
            }
        )

    def call(self, call_id: int) -> store.CampaignCall:
        found = self.campaigns.call(call_id)
        assert found is not None
        return found


def _rig(backend: Backend, settings: CampaignSettings = SETTINGS) -> Rig:
    """The dialer over the campaigns on either backend (the store's tests too)."""
    campaigns = Campaigns(backend.sql((store.SCHEMA,), (store.PG_SCHEMA,)))
    tmp_path = backend.folder
    ami, clock = FakeAmi(), Clock()
    hours = campaign_hours(settings, AgentSettings())
    dialer = CampaignDialer(
        ami,  # type: ignore[arg-type]
        campaigns,
        settings,
        hours,
        tmp_path / "mirror.sqlite",
        "500425",
        clock,
    )
    return Rig(dialer, ami, campaigns, clock)


def _targets(*numbers: str) -> list[Target]:
    return [
        Target(f"11000000{i:02d}", n, "SOC-01", ASRAMA, "2026-04-23 05:10", "GA6101", "WIB")
        for i, n in enumerate(numbers)
    ]


@pytest.fixture
def rig(backend: Backend) -> Rig:
    return _rig(backend)


def _running(rig: Rig, *numbers: str) -> list[int]:
    made = rig.campaigns.create("import-1", ["SOC-01"], _targets(*numbers), rig.clock.now)
    assert made is not None and rig.campaigns.start(made.id, rig.clock.now)
    return [k.id for k in rig.campaigns.calls(made.id)]


def test_dialer_calls_nothing_until_a_campaign_is_started(rig: Rig) -> None:
    made = rig.campaigns.create("import-1", ["SOC-01"], _targets("081100000001"), rig.clock.now)
    assert made is not None and rig.tick() == [] and rig.ami.originated == []
    rig.campaigns.start(made.id, rig.clock.now)
    assert len(rig.tick()) == 1


def test_dialer_originates_through_the_campaign_context_with_what_the_dialplan_needs(
    rig: Rig,
) -> None:
    (first,) = _running(rig, "081100000001")
    assert rig.tick() == [first]
    (fields,) = rig.ami.originated
    assert fields["Channel"] == "Local/s@hajj-campaign-out/n"
    assert fields["Context"] == "hajj-campaign-call"
    assert fields["CallerID"] == '"Hotline Haji" <500425>'
    variables = fields["Variable"].split(",")
    for wanted in (
        f"__HAJJ_CAMPAIGN_CALL={first}",
        "__HAJJ_CAMPAIGN_NUMBER=081100000001",
        "__HAJJ_CAMPAIGN_DIAL=PJSIP/081100000001@trunk",
        "__HAJJ_CAMPAIGN_RING=20",
        "__HAJJ_CAMPAIGN_AMD=yes",
        "__HAJJ_PORSI=1100000000",
    ):
        assert wanted in variables
    assert rig.call(first).state == store.DIALING and rig.call(first).attempts == 1


def test_dialer_keeps_at_most_at_once_calls_and_starts_the_next_when_one_ends(rig: Rig) -> None:
    ids = _running(rig, "081100000001", "081100000002", "081100000003")
    assert rig.tick() == ids[:2]
    assert rig.tick() == []  # two ringing: the third waits
    rig.ended(ids[0], "ANSWER")
    assert rig.tick() == ids[2:]


def test_dialer_calls_only_within_calling_hours(rig: Rig) -> None:
    _running(rig, "081100000001")
    rig.clock.now = 1_800_000_000.0 + 6 * HOUR  # 21:00 in Jakarta: after 20:00
    assert rig.tick() == []
    rig.clock.now += 12 * HOUR  # 09:00 the next day
    assert len(rig.tick()) == 1


def test_dialer_retries_no_answer_and_busy_after_retry_after_then_gives_up(rig: Rig) -> None:
    (k,) = _running(rig, "081100000001")
    rig.tick()
    rig.ended(k, "NOANSWER")
    assert (rig.call(k).state, rig.call(k).outcome) == (store.WAITING, store.NO_ANSWER)
    assert rig.tick() == []  # not before retry_after
    rig.clock.now += SETTINGS.retry_after
    assert rig.tick() == [k]
    rig.ended(k, "BUSY")
    rig.clock.now += SETTINGS.retry_after
    assert rig.tick() == [k]
    rig.ended(k, "CHANUNAVAIL")
    done = rig.call(k)
    assert (done.state, done.outcome, done.attempts) == (store.DONE, store.FAILED, 3)
    rig.clock.now += SETTINGS.retry_after
    assert rig.tick() == [] and len(rig.ami.originated) == 3


def test_dialer_machine_is_tried_again_a_person_who_heard_is_not(rig: Rig) -> None:
    machine, person = _running(rig, "081100000001", "081100000002")
    rig.tick()
    event = {"Event": "UserEvent", "UserEvent": "HajjCampaign", "Stage": "machine"}
    rig.dialer.on_event({**event, "Call": str(machine)})
    rig.ended(machine, "ANSWER")
    rig.campaigns.answered(person, "call-1")
    rig.campaigns.heard(person)
    rig.ended(person, "ANSWER")
    assert (rig.call(machine).state, rig.call(machine).outcome) == (store.WAITING, store.MACHINE)
    assert (rig.call(person).state, rig.call(person).outcome) == (store.DONE, store.HEARD)


def test_dialer_originate_failure_without_dialplan_event_settles_after_grace(rig: Rig) -> None:
    (k,) = _running(rig, "081100000001")
    rig.tick()
    action = rig.ami.originated[0]["ActionID"]
    rig.dialer.on_event({"Event": "OriginateResponse", "ActionID": action, "Response": "Failure"})
    rig.tick()
    assert rig.call(k).state == store.DIALING  # the dialplan's DIALSTATUS may still come
    rig.clock.now += FAILED_GRACE
    rig.tick()
    assert (rig.call(k).state, rig.call(k).outcome) == (store.WAITING, store.FAILED)


def test_dialer_late_originate_failure_of_an_earlier_attempt_is_ignored(rig: Rig) -> None:
    (k,) = _running(rig, "081100000001")
    rig.tick()
    first = rig.ami.originated[0]["ActionID"]
    rig.ended(k, "NOANSWER")  # the dialplan's event came first
    rig.dialer.on_event({"Event": "OriginateResponse", "ActionID": first, "Response": "Failure"})
    rig.clock.now += SETTINGS.retry_after
    assert rig.tick() == [k]
    rig.clock.now += FAILED_GRACE
    rig.tick()
    assert rig.call(k).state == store.DIALING  # the second attempt still rings


def test_dialer_originate_refused_by_ami_is_a_failed_attempt_tried_later(rig: Rig) -> None:
    (k,) = _running(rig, "081100000001")
    rig.ami.refuse = True
    assert rig.tick() == []
    assert (rig.call(k).state, rig.call(k).outcome, rig.call(k).attempts) == (
        store.WAITING,
        store.FAILED,
        1,
    )
    rig.ami.refuse = False
    rig.clock.now += SETTINGS.retry_after
    assert rig.tick() == [k]


def test_dialer_never_originates_a_number_we_may_not_call_or_one_that_opted_out(
    rig: Rig,
) -> None:
    foreign, opted, fine = _running(rig, "0099887766", "081100000002", "081100000003")
    rig.campaigns.sql.run(
        "INSERT INTO campaign_optouts VALUES ('081100000002', ?)", (rig.clock.now,)
    )
    assert rig.tick() == [fine]
    assert rig.call(foreign).outcome == store.REFUSED
    assert rig.call(opted).outcome == store.SKIPPED
    # Taken (claimed) but never dialled: no attempt counted.
    assert rig.call(foreign).attempts == rig.call(opted).attempts == 0


def test_dialer_opt_out_ends_the_other_waiting_calls_to_that_number(rig: Rig) -> None:
    a, b = _running(rig, "081100000001", "081100000001")
    rig.campaigns.opt_out("081100000001", rig.clock.now)
    assert rig.call(a).outcome == rig.call(b).outcome == store.SKIPPED
    assert rig.tick() == []


def test_dialer_campaign_finishes_when_every_call_is_done(rig: Rig) -> None:
    (k,) = _running(rig, "081100000001")
    rig.tick()
    rig.campaigns.heard(k)
    rig.ended(k, "ANSWER")
    rig.tick()
    (campaign,) = rig.campaigns.all()
    assert campaign.state == store.FINISHED


def test_dialer_pause_stops_new_calls_resume_goes_on(rig: Rig) -> None:
    ids = _running(rig, "081100000001", "081100000002", "081100000003")
    (campaign,) = rig.campaigns.all()
    rig.tick()
    assert rig.campaigns.pause(campaign.id)
    rig.ended(ids[0], "ANSWER")
    assert rig.tick() == []
    assert rig.campaigns.start(campaign.id, rig.clock.now)
    assert rig.tick() == [ids[2]]


def test_dialer_follows_an_import_that_moves_a_kloter_once(backend: Backend) -> None:
    tmp_path = backend.folder
    rig = _rig(backend, CampaignSettings(auto_start=True, dial="PJSIP/{number}@trunk"))
    write_sample(tmp_path / "sample")
    import_export(tmp_path / "sample", tmp_path / "mirror.sqlite")
    rig.tick()
    assert rig.campaigns.all() == []  # the first import moves nothing
    scenario.import_moved(tmp_path / "sample", tmp_path / "mirror.sqlite", tmp_path / "moved")
    started = rig.tick()
    (campaign,) = rig.campaigns.all()
    assert campaign.state == store.RUNNING and campaign.kloter == scenario.KLOTER
    assert len(started) == 2  # at_once, auto_start
    rig.dialer._import = ""  # as after a restart: the same import makes no second campaign
    rig.tick()
    assert len(rig.campaigns.all()) == 1


def test_dialer_after_a_restart_nothing_is_ringing(rig: Rig) -> None:
    (k,) = _running(rig, "081100000001")
    rig.tick()
    assert rig.campaigns.recover() == 1 and rig.call(k).state == store.WAITING
