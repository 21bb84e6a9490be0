"""`hajj-ivr call`: place a test call through AMI and wait for it to end.

The call is a Local channel: its IVR half runs the hotline exactly as a phone call would
(context hajj-inbound); its caller half (context hajj-test-caller) keys the digits with
SendDTMF once the IVR answers. We name both halves' uniqueids ourselves (ChannelId and
OtherChannelId), so the IVR half's id is the call-log id we print afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from ivr import chanvars
from ivr.ami.client import AmiClient
from ivr.calllog import CallLogReader
from ivr.errors import AmiActionError, AmiTimeout, HajjIvrError

DTMF = re.compile(r"^[0-9*#wW]*$")  # w / W: half a second / a second of pause
PAUSES = {"w": 0.5, "W": 1.0}
_BACKSTOP = 60.0  # seconds past a call's timeout before its end waiter gives up by itself


@dataclass(frozen=True)
class TestCall:
    number: str
    dtmf: str = ""
    delay: float = 1.0  # seconds after answer before the first key
    gap_ms: int = 300  # between keys
    duration_ms: int = 150  # each key's tone
    hold: float = 300.0  # the caller half hangs up after this long at the latest
    timeout: float = 120.0  # we hang up the call after this long
    caller_id: str = '"Uji hajj-ivr" <0800000000>'
    # End the call ourselves as soon as the IVR half sees this event (e.g. QueueCallerJoin).
    end_on: str = ""
    # After the keys the caller speaks (a recorded sentence stands in for a voice).
    audio: bool = False
    # Where the number is dialled: the hotline's callers, or a staff phone's context
    # (hajj-agent-phone: feature codes such as *79, recording prompts).
    context: str = "hajj-inbound"
    # Keys after the voice (with ``audio``): ending a recording, then a review menu's key.
    dtmf_after: str = ""

    def keys_seconds(self) -> float:
        """How long after answer the caller half has keyed everything (SendDTMF timing)."""
        per_key = (self.gap_ms + self.duration_ms) / 1000
        return self.delay + sum(PAUSES.get(key, per_key) for key in self.dtmf)

    def __post_init__(self) -> None:
        for keys in (self.dtmf, self.dtmf_after):
            if not DTMF.match(keys):
                raise HajjIvrError(f"--dtmf {keys!r}: use digits, * and #, w/W for pauses")


@dataclass
class CallResult:
    call_id: str
    ended: bool
    events: list[Mapping[str, str]] = field(default_factory=list)

    def saw(self, event: str) -> bool:
        return any(e.get("Event") == event for e in self.events)


async def place(
    ami: AmiClient,
    call: TestCall,
    stop: asyncio.Event | None = None,
    on_start: Callable[[str], None] | None = None,
) -> CallResult:
    """Originate the test call and wait until its IVR half hangs up.

    We end the call ourselves (as a caller hanging up) after ``call.timeout``, on the
    ``call.end_on`` event, or when ``stop`` is set. ``on_start`` gets the call id at once.
    """
    tag = uuid.uuid4().hex[:16]
    # Asterisk checks a new uniqueid by *prefix* against existing channels, so neither id
    # may be a prefix of the other ("x" and "x-caller" collide).
    call_id, caller_id = f"hajj-test-{tag}", f"hajj-caller-{tag}"
    result = CallResult(call_id, ended=False)
    channel_names: list[str] = []

    def watch(event: Mapping[str, str]) -> None:
        if event.get("Uniqueid") == call_id or event.get("Linkedid") == caller_id:
            result.events.append(dict(event))
            if event.get("Event") == "Newchannel" and event.get("Uniqueid") == call_id:
                channel_names.append(event.get("Channel", ""))

    def ends(event: Mapping[str, str]) -> bool:
        return event.get("Uniqueid") == call_id and event.get("Event") in ("Hangup", call.end_on)

    ami.on_event("*", watch)
    # Listening before the Originate, so no event is missed; the call's timeout counts from
    # the Originate's answer (a paced one waits its turn), this deadline is a backstop.
    ended = ami.wait_event("*", ends, call.timeout + _BACKSTOP)
    try:
        if on_start is not None:
            on_start(call_id)
        await ami.originate(**_originate_fields(call, call_id, caller_id))
        result.ended = await _first_end(ended, stop, call.timeout)
        if not result.ended:
            await _hang_up(ami, call_id, channel_names)
    finally:
        ended.cancel()  # an Originate that failed leaves it waiting for nothing
        ami.off_event("*", watch)  # hundreds of calls at once: each event to its own call
    return result


async def _hang_up(ami: AmiClient, call_id: str, channel_names: list[str]) -> None:
    """End the call as its caller would, and wait until Asterisk says it has ended."""
    hung_up = ami.wait_event("Hangup", lambda e: e.get("Uniqueid") == call_id, 10)
    try:
        with contextlib.suppress(AmiActionError):  # it may have ended meanwhile
            for name in channel_names:
                await ami.action("Hangup", Channel=name)
        with contextlib.suppress(AmiTimeout):
            await hung_up
    finally:
        hung_up.cancel()


async def _first_end(
    ended: asyncio.Future[Mapping[str, str]], stop: asyncio.Event | None, seconds: float
) -> bool:
    """True when the IVR half hung up by itself; False on end_on, stop or timeout."""
    stopping: asyncio.Future[object] = asyncio.ensure_future((stop or asyncio.Event()).wait())
    waiting: set[asyncio.Future[object]] = {ended, stopping}  # type: ignore[arg-type]
    try:
        await asyncio.wait(waiting, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopping.cancel()
    if not ended.done():
        ended.cancel()
        return False
    with contextlib.suppress(AmiTimeout):
        return ended.result().get("Event") == "Hangup"
    return False


async def place_until(
    ami: AmiClient, call: TestCall, reader: CallLogReader, text: str
) -> CallResult:
    """Place the call; once every key is sent, hang up when the IVR has said ``text``."""
    stop, ids = asyncio.Event(), list[str]()
    placed = asyncio.create_task(place(ami, call, stop, ids.append))
    while not placed.done():
        await asyncio.sleep(0.3)
        if ids and not stop.is_set() and _said_after(reader, ids[0], text, call.keys_seconds()):
            stop.set()
    return await placed


def _said_after(reader: CallLogReader, call_id: str, text: str, seconds: float) -> bool:
    row = reader.get(call_id)
    if row is None:
        return False
    lines = reader.transcript(call_id)
    return any(
        x.kind == "say" and text in x.text and x.at > row.started_at + seconds for x in lines
    )


def _originate_fields(call: TestCall, call_id: str, caller_id: str) -> dict[str, str]:
    variables = {
        chanvars.TEST_DTMF: call.dtmf,
        chanvars.TEST_DELAY: f"{call.delay:g}",
        chanvars.TEST_GAP: str(call.gap_ms),
        chanvars.TEST_DURATION: str(call.duration_ms),
        chanvars.TEST_HOLD: f"{call.hold:g}",
        chanvars.TEST_AUDIO: "yes" if call.audio else "no",
        chanvars.TEST_DTMF_AFTER: call.dtmf_after,
    }
    return {
        "Channel": f"Local/{call.number}@{call.context}",
        "Context": "hajj-test-caller",
        "Exten": "s",
        "Priority": "1",
        "CallerID": call.caller_id,
        "ChannelId": caller_id,
        "OtherChannelId": call_id,
        "Timeout": str(int(call.timeout * 1000)),
        "Variable": ",".join(f"{k}={v}" for k, v in variables.items()),
    }
