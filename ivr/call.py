"""What a call flow sees: speak prompts, collect keys, and keep the transcript.

Every prompt may be interrupted by a key (barge-in): the key is kept and the flow's next
input reads it first, so a caller who knows the menu never has to wait for it. While keys
are waiting, further prompts are skipped (the caller is typing ahead). The transcript
holds exactly the text the caller heard, in order, flagged where a key cut it short.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from ivr import chanvars
from ivr.calllog import CallLog
from ivr.channel import Channel
from ivr.complaints.desk import ComplaintDesk
from ivr.config import IvrSettings
from ivr.data.mirror import Mirror
from ivr.guard import Guard
from ivr.prompts.catalog import Catalog, Prompt
from ivr.queue.desk import Desk

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
    clock: Callable[[], float] = time.time


class Call:
    def __init__(self, channel: Channel, services: CallServices) -> None:
        self.channel = channel
        self.services = services
        self.catalog = services.catalog()
        self.settings = services.settings
        self.calllog = services.calllog
        self.mirror = services.mirror
        self.id = channel.uniqueid
        self.caller = channel.env.get("agi_callerid", "")
        self.started = time.monotonic()
        self.pending: deque[str] = deque()
        # After an entry filled up, the "#" the caller still presses out of habit is not an
        # answer to the next question: the next "#" is dropped (and its prompt replayed).
        self.swallow_hash = False
        # What the IVR learned, handed to the agent when the call goes to a person.
        self.porsi = ""
        self.verified = ""  # the porsi whose date of birth the caller keyed correctly
        self.topics: list[str] = []
        self.reason = ""  # why a person takes over, once the flow has decided
        self.queue = chanvars.FIRST_QUEUE  # the tier's queue the call waits in
        self.waiting_since = services.clock()  # when it first queued (its place in line)
        self.ticket = ""  # a complaint ticket made or asked about in this call

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
            key = await self.channel.stream_file(prompt.sound, KEYS)
            if key == "#" and self.swallow_hash:
                self.swallow_hash = False
                key = await self.channel.stream_file(prompt.sound, KEYS)
            if key:
                self.pending.append(key)
                interrupted = True
                break
        if heard:
            text = shown or " ".join(p.text for p in heard)
            ids = "" if shown else " ".join(p.id for p in heard)  # ids would tell it too
            self.calllog.add(self.id, "say", text, ids, interrupted)

    async def say_all(self, utterances: list[list[str]]) -> None:
        for utterance in utterances:
            await self.say(*utterance)

    async def menu(self, prompt: str) -> str:
        """Play a menu and wait for one key ("" when the caller keys nothing)."""
        await self.say(prompt)
        key = await self.key(self.settings.first_digit_timeout)
        self.calllog.add(self.id, "input", key)
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
        return await self.channel.wait_for_digit(int(wait * 1000))

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
        self.calllog.add(self.id, "input", digits if echo else "*" * len(digits))
        return digits

    def topic(self, name: str) -> None:
        """A topic the caller asked about (estimate, kloter, ...), for reports."""
        self.topics.append(name)
        self.note(f"topic: {name}")

    def note(self, text: str) -> None:
        """An event in the transcript that was not spoken (a lookup, a decision)."""
        self.calllog.add(self.id, "event", text)
