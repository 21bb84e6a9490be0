"""What a call flow sees: speak prompts, collect keys, keep the transcript, and what the
call learned for the person who may take it over (the handover).

Every prompt may be interrupted by a key (barge-in): the key is kept and the flow's next
input reads it first, so a caller who knows the menu never has to wait for it. While keys
are waiting, further prompts are skipped (the caller is typing ahead). The transcript
holds exactly the text the caller heard, in order, flagged where a key cut it short.

The handover changes only through the methods here (lookup, dob_verified, topic,
about_ticket, decided, and ``learn`` for a fact with no rule of its own), each through
``learn``, which applies the verified rule. A session reads what earlier ones learned
(``arrive``) and hands it on (``hand_over``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ivr import chanvars, handover, phone
from ivr.admin.studio import Studio
from ivr.calllog import CallLog
from ivr.campaigns.store import Campaigns
from ivr.channel import Channel
from ivr.complaints.desk import ComplaintDesk
from ivr.config import IvrSettings
from ivr.corrections.desk import CorrectionDesk
from ivr.data.mirror import Jemaah, Mirror
from ivr.data.offices import Office
from ivr.data.ppiu import Answer
from ivr.errors import AgiError
from ivr.guard import Guard
from ivr.handover import Handover
from ivr.metrics import Metrics
from ivr.outcomes import Ending
from ivr.ppiulog import PpiuLog
from ivr.prompts.catalog import Catalog, Prompt
from ivr.queue.desk import Desk
from ivr.ratings import Ratings

KEYS = "0123456789*#"


@dataclass(frozen=True)
class CallServices:
    """What a call may use besides its channel, built once at start (ivr/wiring.py).
    A new service is a field here and a line in wiring.call_services: Call and the
    controller do not change."""

    settings: IvrSettings
    catalog: Callable[[], Catalog]  # the catalog in force; a call keeps the one it began with
    calllog: CallLog
    mirror: Mirror
    desk: Desk  # the agent desk: staffed hours, callbacks, queue stays
    complaints: ComplaintDesk
    guard: Guard  # limits across calls (dates of birth, PINs, lookups)
    ppiu: PpiuLog  # umrah agency licences asked about (the fraud report)
    corrections: CorrectionDesk  # "my data is wrong": cases by unit
    studio: Studio  # prompts recorded by phone: admins' PINs, takes, recordings kept
    clock: Callable[[], float] = time.time
    campaigns: Campaigns | None = None  # schedule-change calls (the campaign route)
    metrics: Metrics | None = None  # lookup latency (ivr/metrics.py)
    ratings: Ratings | None = None  # satisfaction ratings (the rating route)


class Call:
    def __init__(self, channel: Channel, services: CallServices) -> None:
        self._channel = channel
        self._calllog = services.calllog
        self._mirror = services.mirror
        self.services = services
        self.catalog = services.catalog()
        self.settings = services.settings
        self.id = channel.uniqueid
        self.caller = channel.env.get("agi_callerid", "")
        self.masked_caller = phone.mask(self.caller, 0, 3)  # for logs
        self.started = time.monotonic()
        self.pending: deque[str] = deque()
        # After an entry filled up, the "#" the caller still presses out of habit is not an
        # answer to the next question: the next "#" is dropped (and its prompt replayed).
        self.swallow_hash = False
        # What the IVR learned, handed to the agent when the call goes to a person.
        self.handover = Handover()
        self._dob_porsi = ""  # the porsi whose date of birth was keyed right in this call
        self.offer = ""  # HAJJ_OFFER: why the callback route runs ("nobody" or "waited")
        # HAJJ_CALLER_TRUST: false for a SIP From nobody vouches for (chanvars.CALLER_TRUST).
        self.caller_trusted = True

    async def say(self, *fragments: str | Prompt, shown: str = "") -> None:
        """Play prompt fragments as one utterance (ids or Prompt objects).

        ``shown`` stands for the text in the transcript (a secret the caller hears, such
        as a PIN, is never written down).
        """
        prompts = [f if isinstance(f, Prompt) else self.catalog[f] for f in fragments]
        heard: list[Prompt] = []
        interrupted = False
        for prompt in prompts:
            if self.pending:
                break
            heard.append(prompt)
            key = await self._channel.stream_file(prompt.sound, KEYS)
            if key == "#" and self.swallow_hash:
                self.swallow_hash = False
                key = await self._channel.stream_file(prompt.sound, KEYS)
            if key:
                self.pending.append(key)
                interrupted = True
                break
        if heard:
            text = shown or " ".join(p.text for p in heard)
            ids = "" if shown else " ".join(p.id for p in heard)  # ids would tell it too
            self._calllog.add(self.id, "say", text, ids, interrupted)

    async def record(self, path: Path, *, max_seconds: int, silence_seconds: int) -> None:
        """The caller's voice after a beep into ``path``.wav, until "#", ``silence_seconds``
        of silence or ``max_seconds``. A hang-up meanwhile keeps what was recorded."""
        await self._channel.record_file(str(path), "wav", "#", max_seconds * 1000, silence_seconds)

    async def say_all(self, utterances: list[list[str]]) -> None:
        for utterance in utterances:
            await self.say(*utterance)

    async def menu(self, prompt: str) -> str:
        """Play a menu and wait for one key ("" when the caller keys nothing)."""
        await self.say(prompt)
        key = await self.key(self.settings.first_digit_timeout)
        self._calllog.add(self.id, "input", key)
        return key

    async def key(self, wait: float) -> str:
        """One key: a typed-ahead one, else wait up to ``wait`` seconds ("" if none)."""
        key = self.pending.popleft() if self.pending else await self._wait_key(wait)
        if key == "#" and self.swallow_hash:
            self.swallow_hash = False
            key = await self._wait_key(wait)
        self.swallow_hash = False
        return key

    async def _wait_key(self, wait: float) -> str:
        return await self._channel.wait_for_digit(int(wait * 1000))

    async def collect(
        self, max_digits: int, *, terminators: str = "#", restart: str = "*", echo: bool = True
    ) -> str:
        """Keys until ``max_digits``, a terminator, or a pause; ``restart`` clears the entry.

        ``echo=False`` keeps the keys out of the transcript (a date of birth).
        """
        digits = ""
        wait = self.settings.first_digit_timeout
        while len(digits) < max_digits:
            key = await self.key(wait)
            if not key or key in terminators:
                break
            digits = "" if key in restart else digits + key
            wait = self.settings.digit_timeout
        self.swallow_hash = len(digits) == max_digits and "#" in terminators
        self._calllog.add(self.id, "input", digits if echo else "*" * len(digits))
        return digits

    # --- the session: what earlier ones learned, and handing the call on ------------------

    async def arrive(self) -> None:
        """What earlier sessions of this call learned (the dialplan keeps it as channel
        variables) and why this one runs: one GET FULL VARIABLE."""
        names = (*handover.NAMES, chanvars.OFFER, chanvars.CALLER_TRUST)
        found = await self._channel.get_variables(names)
        known = handover.decode(found)
        self._dob_porsi = known.porsi if known.verified else ""
        self.handover = known
        self.offer = found[chanvars.OFFER]
        self.caller_trusted = found[chanvars.CALLER_TRUST] != chanvars.TRUST_NONE

    async def answered_by(self) -> str:
        """The agent who answered the call's last queue stay (app_queue's MEMBERNAME on
        this channel), "" when none did."""
        found = await self._channel.get_variables((chanvars.MEMBER_NAME,))
        return found[chanvars.MEMBER_NAME]

    async def hand_over(self, ending: Ending) -> None:
        """Tell the dialplan how the call goes on: for a person, "please hold" and the
        handover (inherited by the agent's leg); then HAJJ_RESULT."""
        self.decided(ending.reason)
        if ending.to_person:
            self.note(f"to agent: {ending.reason}")
            with contextlib.suppress(AgiError):
                if ending.announce and not self._channel.hung_up:
                    self.pending.clear()
                    await self.say("to-agent")
            for name, value in handover.inherited(handover.encode(self.handover)).items():
                await self._channel.set_variable(name, value)
        await self._channel.set_variable(chanvars.RESULT, ending.result)

    # --- what the call learned ---------------------------------------------------------

    def lookup(self, porsi: str) -> Jemaah | None:
        """Look a keyed porsi up in the mirror; the call log and the handover keep it."""
        self.learn(porsi=porsi)
        started = time.perf_counter()
        found = self._mirror.lookup(porsi)
        if self.services.metrics is not None:
            self.services.metrics.looked_up(time.perf_counter() - started)
        self.note(f"porsi {'found: ' + found.status_porsi if found else 'not found'}")
        if found:
            self._calllog.lookup(self.id, porsi, found.kabupaten, found.provinsi)
        else:
            self._calllog.lookup(self.id, porsi, None)
        return found

    def ppiu(self, licence: str) -> Answer:
        """Look an umrah agency's licence up in the mirror; the call log keeps what was
        found (the fraud report counts unknown and revoked numbers)."""
        answer = self._mirror.ppiu(licence)
        self.learn(ppiu=f"{licence} {answer.check}")
        self.services.ppiu.add(self.id, licence, answer.check)
        self.note(f"ppiu {licence}: {answer.check}")
        return answer

    def office(self, kd_kab: str) -> Office | None:
        """The district office serving ``kd_kab`` (None when the export has none)."""
        found = self._mirror.office(kd_kab)
        self.note(f"office {kd_kab}: {'found' if found else 'none on file'}")
        return found

    @property
    def data_as_of(self) -> dt.date:
        """The date of the data the mirror holds (said after a pilgrim's details)."""
        return self._mirror.as_of

    def dob_verified(self, porsi: str) -> None:
        """The caller keyed this porsi's date of birth right."""
        self._dob_porsi = porsi
        self.learn()
        self.note("date of birth verified")

    def knows_dob(self, porsi: str) -> bool:
        """This porsi's date of birth was keyed right in this call."""
        return handover.verified(porsi, self._dob_porsi)

    def topic(self, name: str) -> None:
        """A topic the caller asked about (estimate, kloter, ...), for reports."""
        self.learn(topics=(*self.handover.topics, name))
        self._calllog.topic(self.id, name)

    def about_ticket(self, number: str) -> None:
        """A complaint ticket filed or asked about in this call."""
        self.learn(ticket=number)

    def decided(self, reason: str) -> None:
        """Why a person takes over (or took over), once the flow knows."""
        self.learn(reason=reason)

    def learn(self, **changes: Any) -> None:
        """Handover fields by name (an unknown one raises TypeError); ``verified`` always
        follows the rule, whatever is passed."""
        known = replace(self.handover, **changes)
        self.handover = replace(known, verified=handover.verified(known.porsi, self._dob_porsi))

    def note(self, text: str) -> None:
        """An event in the transcript that was not spoken (a lookup, a decision)."""
        self._calllog.add(self.id, "event", text)
