"""A channel for tests: a caller scripted like the real rig's, in simulated time.

The caller keys the same DTMF strings `hajj-ivr call` sends through SendDTMF in
[hajj-test-caller]: after HAJJ_TEST_DELAY, 100 ms of quiet, then each digit as a
``duration`` ms tone followed by a ``gap`` ms pause; "w"/"W" pause half a second / a second
(main/app.c dtmf_stream). A key counts when its tone ends (DTMF END, the frame STREAM FILE,
WAIT FOR DIGIT and RECORD FILE react to). A key that ends while no command reads keys is
lost, as res_agi reads and drops frames between commands. A prompt lasts as long as its
WAV. Nothing sleeps: each command moves the line's clock, so a five-minute call runs in
milliseconds. The controller runs unchanged on top (ScriptedChannel is an ivr.channel
Channel).
"""

from __future__ import annotations

import math
import re
import wave
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Protocol

from ivr.agi.codec import split_variables, variables_expression
from ivr.errors import AgiCommandFailed, CallerHangup

QUIET = 0.1  # dtmf_stream sleeps this long before the first digit
PAUSES = {"w": 0.5, "W": 1.0}
RATE = 8000  # what RECORD FILE writes for a telephone call (format wav: 8 kHz, 16-bit)
# res_agi RECORD FILE trims the tail it recorded after the last sound: on a DTMF end 200 ms
# (the tone), on silence detection the silence minus one second.
DTMF_TRIM = 0.2
_SUBSTITUTION = re.compile(r"\$\{(\w+)\}")


@dataclass(frozen=True)
class Key:
    at: float  # seconds after answer when the tone ends
    digit: str


def keys_of(
    dtmf: str, delay: float, gap_ms: int, duration_ms: int
) -> tuple[tuple[Key, ...], float]:
    """Each key's end time, and when the caller has keyed everything (dtmf_stream's timing;
    SendDTMF does not run at all for an empty string)."""
    if not dtmf:
        return (), delay
    t, keys = delay + QUIET, []
    for ch in dtmf:
        if ch in PAUSES:
            t += PAUSES[ch]
            continue
        t += duration_ms / 1000
        keys.append(Key(t, ch))
        t += gap_ms / 1000
    return tuple(keys), t


class SoundLengths:
    """How long Asterisk plays a sound: the WAV's frames / rate. The file is
    sounds_dir/<language>/<name>.wav (``first``'s before it, when given: a hotline's own
    edits over a shared build), or <name>.wav for an absolute name (a recording); None
    when missing. Cached per file and modification time."""

    def __init__(self, sounds_dir: Path, language: str = "id", first: Path | None = None) -> None:
        self._dirs = [d / language for d in (first, sounds_dir) if d is not None]
        self._cache: dict[tuple[Path, int], float] = {}

    def __call__(self, name: str) -> float | None:
        if name.startswith("/"):
            paths = [Path(f"{name}.wav")]
        else:
            paths = [folder / f"{name}.wav" for folder in self._dirs]
        for path in paths:
            try:
                key = (path, path.stat().st_mtime_ns)
            except FileNotFoundError:
                continue
            return self._length(key)
        return None

    def _length(self, key: tuple[Path, int]) -> float:
        path = key[0]
        if key not in self._cache:
            with wave.open(str(path)) as w:
                self._cache[key] = w.getnframes() / w.getframerate()
        return self._cache[key]


class VirtualClock:
    """Unix time that only the simulated lines move. Stores may take it as their clock."""

    def __init__(self, start: float) -> None:
        self._start = start
        self.elapsed = 0.0

    def __call__(self) -> float:
        return self._start + self.elapsed

    def advance(self, seconds: float) -> None:
        self.elapsed += seconds


class CallSpec(Protocol):
    """What a scripted caller is made from (ivr.testcall.TestCall has these)."""

    @property
    def dtmf(self) -> str: ...
    @property
    def delay(self) -> float: ...
    @property
    def gap_ms(self) -> int: ...
    @property
    def duration_ms(self) -> int: ...
    @property
    def hold(self) -> float: ...
    @property
    def dtmf_after(self) -> str: ...
    @property
    def timeout(self) -> float: ...
    @property
    def caller_id(self) -> str: ...
    @property
    def audio(self) -> bool: ...


# The caller's "voice" in [hajj-test-caller]: Playback(hajj/queue-periodic&...) twice.
VOICE, VOICE_TIMES = "hajj/queue-periodic", 2


@dataclass(frozen=True)
class Caller:
    """What the scripted caller does (the rig's TestCall in simulated terms)."""

    number: str
    keys: tuple[Key, ...]
    speaks: tuple[float, float] | None  # a voice from..to, after the keys (then dtmf_after)
    hangs_up_at: float  # keys (+ voice) + hold, or the test's timeout if earlier
    cut_by_test: bool = False  # hangs_up_at is the test's timeout (the rig hangs up)

    @classmethod
    def from_test_call(cls, spec: CallSpec, lengths: SoundLengths) -> Caller:
        keys, done = keys_of(spec.dtmf, spec.delay, spec.gap_ms, spec.duration_ms)
        speaks = None
        if spec.audio:
            speaks = (done, done + VOICE_TIMES * (lengths(VOICE) or 0.0))
            done = speaks[1]
        after, done = keys_of(spec.dtmf_after, done, spec.gap_ms, spec.duration_ms)
        keys += after
        number = spec.caller_id.rpartition("<")[2].rstrip(">") or spec.caller_id
        ends = done + spec.hold
        return cls(number, keys, speaks, min(ends, spec.timeout), spec.timeout < ends)


class ScriptedLine:
    """One Asterisk channel: its variables, its caller, its clock. AGI sessions come and
    go on it (the hotline, later the callback offer), as on a real channel."""

    def __init__(
        self,
        uniqueid: str,
        caller: Caller,
        clock: VirtualClock,
        lengths: SoundLengths,
        until: Callable[[], bool] = lambda: False,
        stream_overhead: float = 0.0,
    ) -> None:
        self.uniqueid = uniqueid
        self.caller = caller
        self.clock = clock
        self.lengths = lengths
        self.until = until  # the test's stop condition: the caller hangs up once it holds
        self.stream_overhead = stream_overhead  # per prompt, on top of its WAV (measured 0)
        self.t = 0.0  # seconds since answer
        self.variables: dict[str, str] = {}  # names without "_"/"__", as Asterisk keeps them
        self.inherited: set[str] = set()  # which were set with "__"
        self.events: list[dict[str, str]] = []  # what AMI would have reported
        self.hung_up = False
        # "caller" (its script ran out), "test" (until, end_on or the test's timeout), "ivr"
        self.hung_up_by = ""
        self._next_key = 0

    def session(self, route: str) -> ScriptedChannel:
        return ScriptedChannel(self, route)

    def wait(self, seconds: float) -> bool:
        """A dialplan wait (Queue): keys are lost; False when the caller hangs up first."""
        try:
            self.advance(seconds, "")
        except CallerHangup:
            return False
        return True

    def hang_up(self, by: str = "ivr") -> None:
        """The line goes down: the dialplan's Hangup(), the caller, or the test."""
        if not self.hung_up:
            self.hung_up, self.hung_up_by = True, by
            self.events.append({"Event": "Hangup", "Uniqueid": self.uniqueid})

    def check(self) -> None:
        """Before a command that needs a live channel: CallerHangup once it is gone."""
        if not self.hung_up and self.t >= self.caller.hangs_up_at:
            self._caller_hangs_up()
        if not self.hung_up and self.until():
            self.hang_up("test")
        if self.hung_up:
            raise CallerHangup("scripted caller hung up")

    def advance(self, seconds: float, escape: str) -> str:
        """Move the clock through one command. Return the first key in ``escape`` whose
        tone ends inside it (the clock stops there); other keys ending inside are dropped.
        Raise CallerHangup when the caller hangs up inside it."""
        self.check()
        end = self.t + seconds
        keys = self.caller.keys
        while self._next_key < len(keys) and keys[self._next_key].at < end:
            key = keys[self._next_key]
            self._next_key += 1
            if key.at >= self.t and key.digit in escape and key.at < self.caller.hangs_up_at:
                self._move(key.at)
                return key.digit
        if end >= self.caller.hangs_up_at:
            self._move(self.caller.hangs_up_at)
            self._caller_hangs_up()
            raise CallerHangup("scripted caller hung up")
        self._move(end)
        return ""

    def _caller_hangs_up(self) -> None:
        self.hang_up("test" if self.caller.cut_by_test else "caller")

    def _move(self, to: float) -> None:
        self.clock.advance(to - self.t)
        self.t = to

    def set_variable(self, name: str, value: str) -> None:
        bare = name.lstrip("_")
        if name.startswith("__"):
            self.inherited.add(bare)
        if value:
            self.variables[bare] = value
        else:  # Asterisk deletes a variable set to ""
            self.variables.pop(bare, None)

    def substitute(self, expression: str) -> str:
        """Asterisk's ${NAME} substitution (an unset variable becomes "")."""
        return _SUBSTITUTION.sub(lambda m: self.variables.get(m[1], ""), expression)


class ScriptedChannel:
    """One AGI session on a scripted line; conforms to ivr.channel.Channel."""

    def __init__(self, line: ScriptedLine, route: str) -> None:
        self.line = line
        self.env: Mapping[str, str] = MappingProxyType(
            {
                "agi_network_script": route,
                "agi_request": f"agi://127.0.0.1/{route}",
                "agi_uniqueid": line.uniqueid,
                "agi_callerid": line.caller.number,
                "agi_language": "id",
            }
        )

    @property
    def uniqueid(self) -> str:
        return self.line.uniqueid

    @property
    def hung_up(self) -> bool:
        return self.line.hung_up

    async def stream_file(self, name: str, escape_digits: str = "") -> str:
        self.line.check()
        length = self.line.lengths(name)
        if length is None:  # Asterisk answers 200 result=-1 on a live channel
            raise AgiCommandFailed(f"STREAM FILE {name}: result=-1")
        return self.line.advance(length + self.line.stream_overhead, escape_digits)

    async def wait_for_digit(self, timeout_ms: int) -> str:
        seconds = math.inf if timeout_ms < 0 else timeout_ms / 1000
        return self.line.advance(seconds, "0123456789*#ABCD")

    async def record_file(
        self, path: str, fmt: str, escape_digits: str, max_ms: int, silence_s: int
    ) -> str:
        """After the beep (an escape digit in it ends the command, nothing recorded), until
        the first of: an escape digit, ``silence_s`` of silence after the caller's voice,
        ``max_ms``. The file is written also when the caller hangs up meanwhile."""
        line = self.line
        beep = line.lengths("beep") or 0.0
        digit = line.advance(beep, escape_digits)
        if digit:
            return digit
        start = line.t
        ends, trim = self._recording_ends(start, max_ms / 1000, silence_s)
        try:
            digit = line.advance(ends - start, escape_digits)
        except CallerHangup:
            _write_silence(Path(f"{path}.{fmt}"), line.t - start)
            raise
        kept = line.t - start - (DTMF_TRIM if digit else trim)
        _write_silence(Path(f"{path}.{fmt}"), max(kept, 0.0))
        return digit

    def _recording_ends(self, start: float, max_s: float, silence_s: int) -> tuple[float, float]:
        """When the recording stops unless a key comes first, and the tail res_agi trims."""
        speaks = self.line.caller.speaks
        quiet_from = start
        if speaks is not None and speaks[0] < start + silence_s and speaks[1] > start:
            quiet_from = speaks[1]  # the silence detector counts from the voice's end
        if quiet_from + silence_s < start + max_s:
            return quiet_from + silence_s, max(silence_s - 1.0, 0.0)
        return start + max_s, 0.0

    async def set_variable(self, name: str, value: str) -> None:
        self.line.set_variable(name, value)  # allowed on a hung-up channel, as in res_agi

    async def get_variables(self, names: Sequence[str]) -> dict[str, str]:
        """One GET FULL VARIABLE, built and split by the production codec."""
        return split_variables(names, self.line.substitute(variables_expression(names)))


def _write_silence(path: Path, seconds: float) -> None:
    """What RECORD FILE leaves: 8 kHz mono 16-bit, as long as the recording ran."""
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(b"\0\0" * round(seconds * RATE))
