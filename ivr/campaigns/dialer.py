"""The campaign dialer: places schedule-change calls through AMI, paced and retried.

Runs in the controller like the callback dispatcher (ivr/queue/dispatcher.py). Each tick:
follow the live import (a new import that moved kloter becomes a campaign, once, see
build.py), settle calls whose outcome never came, then, within calling hours
(campaigns.hours, agents.timezone) and while AMI is up, start due calls of running
campaigns until ``campaigns.at_once`` are ringing or talking.

A call is an AMI Originate (the controller's AMI user) of a Local channel into
``[hajj-campaign-out]``, which dials ``campaigns.dial`` only for a number
``[hajj-callback-allowed]`` accepts; once the pilgrim answers, the other half runs
``[hajj-campaign-call]``: AMD() (``campaigns.detect_machines``), then the controller's
``campaign`` route. The outbound half reports its DIALSTATUS as a ``HajjCampaign``
UserEvent (Stage: ended), an answering machine as Stage: machine; the store turns each
into an outcome and a retry (``campaigns.attempts``, ``retry_after`` apart) or an end.
A stored number that is not one we may call is never originated (outcome refused), and
one that opted out is skipped.

Every node runs a dialer over the same campaigns (with ``[database] url``): each takes a
call with :meth:`Campaigns.claim`, so two never dial the same pilgrim, and
``campaigns.at_once`` counts every node's calls. A call whose outcome never came (its node
lost) is retried by any node's sweep after LONGEST_CALL.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from ivr import chanvars, handover, phone, tasks
from ivr.ami.client import AmiClient
from ivr.campaigns import build, store
from ivr.campaigns.store import CampaignCall, Campaigns, Retry
from ivr.errors import HajjIvrError
from ivr.handover import Handover
from ivr.hours import Schedule
from ivr.settings import CampaignSettings

log = logging.getLogger(__name__)

POLL = 2.0
# An originate AMI reported failed is settled this long later, unless the dialplan's own
# event (with the real DIALSTATUS) came meanwhile.
FAILED_GRACE = 5.0
LONGEST_CALL = 1800.0  # a call dialled this long ago with no outcome is lost: retried
# What on_event reads (manager.conf lets the controller hear these; tests check it).
EVENTS = ("UserEvent", "OriginateResponse")


class CampaignDialer:
    def __init__(
        self,
        ami: AmiClient,
        campaigns: Campaigns,
        settings: CampaignSettings,
        hours: Schedule,
        mirror: Path,
        hotline: str,
        clock: Callable[[], float] = time.time,
        node: str = "",  # this controller's name on the calls it dials (ivr.wiring)
    ) -> None:
        self.ami = ami
        self.node = node
        self.campaigns = campaigns
        self.settings = settings
        self.hours = hours
        self.mirror = mirror
        self.hotline = hotline
        self.clock = clock
        self.retry = Retry(settings.attempts, float(settings.retry_after))
        self._import = ""  # the import followed last
        self._actions: dict[int, str] = {}  # each ringing call's attempt (its ActionID)
        self._failed: dict[int, float] = {}  # attempts AMI reported failed, by call
        self.wake = asyncio.Event()

    # --- events ------------------------------------------------------------------------

    def on_event(self, event: Mapping[str, str]) -> None:
        name = event.get("Event")
        if name == "UserEvent" and event.get("UserEvent") == "HajjCampaign":
            self._stage(event)
        elif (
            name == "OriginateResponse"
            and event.get("ActionID", "").startswith("hajj-cp-")
            and event.get("Response") != "Success"
        ):
            self._originate_failed(event["ActionID"])

    def _originate_failed(self, action: str) -> None:
        """Only the attempt in progress counts: a late answer about an earlier attempt of
        the same call (its DIALSTATUS came first) must not fail the next one."""
        call_id = int(action.split("-")[2])
        if self._actions.get(call_id) == action:
            self._failed[call_id] = self.clock()

    def _stage(self, event: Mapping[str, str]) -> None:
        call_id = event.get("Call", "")
        if not call_id.isdigit():
            return
        stage = event.get("Stage", "")
        if stage == "machine":
            log.info("campaign call %s: answering machine (%s)", call_id, event.get("Cause", ""))
            self.campaigns.machine(int(call_id))
        elif stage == "ended":
            status = event.get("DialStatus", "") or "FAILED"
            self._end(int(call_id), status)

    def _end(self, call_id: int, status: str) -> None:
        self._failed.pop(call_id, None)
        self._actions.pop(call_id, None)
        k = self.campaigns.ended(call_id, status, self.clock(), self.retry)
        if k is not None:
            log.info(
                "campaign call %d to %s: %s -> %s (%s, attempt %d)",
                call_id,
                k.masked,
                status,
                k.outcome,
                k.state,
                k.attempts,
            )
        self.wake.set()

    # --- the loop ----------------------------------------------------------------------

    async def run(self) -> None:
        """Forever: a tick every POLL seconds, or at once when a call ends."""
        await tasks.ticking(self.tick, self.wake, POLL, "campaigns")

    async def tick(self) -> list[CampaignCall]:
        """One round; the calls it started."""
        now = self.clock()
        self.follow_import(now)
        self._settle_lost(now)
        for done in self.campaigns.finish_done(now):
            log.info("campaign %d: finished", done)
        if not self.ami.connected or not self.hours.is_open(_utc(now)):
            return []
        started: list[CampaignCall] = []
        while len(self.campaigns.dialing()) < self.settings.at_once:
            k = self.campaigns.claim(now, self.node)
            if k is None:
                break  # nothing due, or another node's dialer is taking it
            if self._may_call(k, now):
                if not await self._dial(k, now):
                    break
                started.append(k)
        return started

    async def _dial(self, k: CampaignCall, now: float) -> bool:
        """One attempt of a call claimed; False when AMI refused it (counted as failed,
        tried again later)."""
        self.campaigns.dial(k.id, now)
        log.info("campaign call %d: dialling %s", k.id, k.masked)
        fields = self.originate(k)
        self._actions[k.id] = fields["ActionID"]
        try:
            await self.ami.originate(**fields)
        except HajjIvrError as e:
            log.warning("campaign call %d: originate failed (%s)", k.id, type(e).__name__)
            self._end(k.id, "FAILED")
            return False
        return True

    def follow_import(self, now: float) -> None:
        """A new import that moved kloter becomes a campaign (once per import)."""
        key = build.import_key(self.mirror)
        if not key or key == self._import:
            return
        self._import = key
        if self.campaigns.seen(key):
            return
        moved = build.moved(self.mirror)
        if not moved.kloter:
            return
        made = self.campaigns.create(key, moved.kloter, moved.targets, now)
        if made is None:
            return
        log.info(
            "campaign %d: %d kloter moved, %d pilgrims to call",
            made.id,
            len(moved.kloter),
            len(moved.targets),
        )
        if self.settings.auto_start:
            self.campaigns.start(made.id, now)

    def _settle_lost(self, now: float) -> None:
        for k in self.campaigns.dialing():
            failed = self._failed.get(k.id)
            if failed is not None and now - failed >= FAILED_GRACE:
                self._end(k.id, "FAILED")
            elif k.dialed_at is not None and now - k.dialed_at > LONGEST_CALL:
                log.warning("campaign call %d: no outcome heard; tried again later", k.id)
                self._end(k.id, "LOST")

    def _may_call(self, k: CampaignCall, now: float) -> bool:
        if phone.national(k.number) != k.number:
            log.warning("campaign call %d: %s is not a number we may call", k.id, k.masked)
            self.campaigns.settle(k.id, store.REFUSED, now)
            return False
        if k.number in self.campaigns.opted_out():
            self.campaigns.settle(k.id, store.SKIPPED, now)
            return False
        return True

    def originate(self, k: CampaignCall) -> dict[str, str]:
        """The AMI Originate of one attempt (inherited variables reach both halves)."""
        ring = self.settings.ring_seconds
        fields = handover.inherited(
            {
                **handover.encode(Handover(porsi=k.porsi, campaign_call=k.id)),
                chanvars.CAMPAIGN_NUMBER: k.number,
                chanvars.CAMPAIGN_DIAL: self.settings.dial.replace("{number}", k.number),
                chanvars.CAMPAIGN_RING: str(ring),
                chanvars.CAMPAIGN_AMD: "yes" if self.settings.detect_machines else "no",
            }
        )
        return {
            "Channel": "Local/s@hajj-campaign-out/n",
            "Context": "hajj-campaign-call",
            "Exten": "s",
            "Priority": "1",
            "CallerID": f'"Hotline Haji" <{self.hotline}>',
            "Timeout": str((ring + 10) * 1000),
            "ActionID": f"hajj-cp-{k.id}-{k.attempts + 1}-{int(self.clock())}",
            "Variable": ",".join(f"{key}={value}" for key, value in fields.items()),
        }


def _utc(ts: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(ts, dt.UTC)
