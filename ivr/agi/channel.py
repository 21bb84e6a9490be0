"""One FastAGI call: send a command, wait for its reply, turn failures into exceptions.

AGI is strictly request/reply on one TCP stream, so one command is in flight at a time
and a stream that timed out or sent garbage is closed rather than trusted again: a late
reply would otherwise be taken as the answer to the next command. That is also why the
commands take a ``timeout`` argument (ruff's ASYNC109 prefers the caller's
``asyncio.timeout``): the timeout must close the stream, and each command knows how long
its media may play.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType

from ivr.agi.codec import (
    LOCAL_REFUSAL,
    DeadChannel,
    Event,
    Hangup,
    Invalid,
    Reply,
    ReplyParser,
    Trying,
    Usage,
    encode_command,
    split_variables,
    variables_expression,
)
from ivr.agi.deadline import Deadline
from ivr.errors import (
    AgiCommandFailed,
    AgiError,
    AgiPeerError,
    AgiTimeout,
    AgiUsageError,
    CallerHangup,
)

logger = logging.getLogger(__name__)

QUICK_TIMEOUT = 5.0  # ANSWER, GET/SET VARIABLE, VERBOSE: Asterisk answers in milliseconds
MEDIA_TIMEOUT = 120.0  # STREAM FILE and EXEC: longer than any prompt we play
DIGIT_WAIT_MS = 10_000  # GET DATA with timeout 0 waits Asterisk's own default; budget this
TIMEOUT_MARGIN = 5.0  # on top of a wait Asterisk times itself (WAIT FOR DIGIT, GET DATA)
# After "200 result=-1" Asterisk sends "HANGUP" next if the caller is gone (res_agi.c
# notices the hangup only after it answered). This long we wait to tell the two apart.
HANGUP_GRACE = 0.5
_READ_CHUNK = 4096
# A STREAM FILE's wall time and the samples Asterisk played (its reply's endpos).
Played = Callable[[float, int], None]
# An AGI command's name and the seconds from writing it to its reply (or its failure).
Commanded = Callable[[str, float], None]


class AgiChannel:
    """One call's AGI session; ``env`` is the header Asterisk sent when it connected."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        env: Mapping[str, str],
        leftover: bytes = b"",
        *,
        command_timeout: float = QUICK_TIMEOUT,
        hangup_grace: float = HANGUP_GRACE,
        on_played: Played | None = None,
        on_command: Commanded | None = None,
    ) -> None:
        self.env: Mapping[str, str] = MappingProxyType(dict(env))
        self.hung_up = False
        self._reader = reader
        self._writer = writer
        self._parser = ReplyParser()
        self._parser.feed(leftover)
        self._busy = ""  # the command awaiting its reply
        self._command_timeout = command_timeout
        self._hangup_grace = hangup_grace
        self._broken: AgiError | None = None  # why the stream can no longer be trusted
        self._deadline: Deadline | None = None  # made on the first command (needs the loop)
        self.on_played = on_played  # told each STREAM FILE's time and samples played
        self.on_command = on_command  # told each command's time (None: no clock read)

    @property
    def uniqueid(self) -> str:
        return self.env.get("agi_uniqueid", "?")

    # --- the one primitive -------------------------------------------------------------

    async def command(
        self,
        cmd: str,
        *args: str | int,
        timeout: float | None = None,  # noqa: ASYNC109 (see the module docstring)
    ) -> Reply:
        """Send one command and return its 200 reply.

        Raises AgiTimeout (no reply in ``timeout`` s, default the quick timeout; the socket
        is then closed), CallerHangup (EOF, or a failure on a hung-up channel),
        AgiUsageError (510/511/520) and AgiCommandFailed (result=-1 on a live channel).
        """
        line = encode_command(cmd, *args)
        if self._busy:
            # A second command before the first's reply: AGI replies carry no id, so the
            # two could not be told apart. Flows await each command; this is a bug.
            raise AgiUsageError(LOCAL_REFUSAL, f"{cmd} sent while {self._busy} awaits its reply")
        if self._broken is not None:
            # same kind of error again: the flow sees why the call cannot go on
            raise type(self._broken)(f"{cmd}: AGI stream closed after: {self._broken}")
        self._busy = cmd
        started = 0.0 if self.on_command is None else time.perf_counter()
        try:
            event = await self._exchange(cmd, line, timeout or self._command_timeout)
            if type(event) is Reply and event.result != "-1":
                return event  # the usual answer, without a coroutine more
            return await self._checked(cmd, event)
        except (AgiPeerError, AgiTimeout) as exc:
            self._break(exc)
            raise
        except asyncio.CancelledError:
            # cut off mid-exchange: the reply may still come and would answer the next
            self._break(AgiTimeout(f"{cmd} was cancelled before its reply"))
            raise
        finally:
            self._busy = ""
            if self.on_command is not None:
                self.on_command(cmd, time.perf_counter() - started)

    async def _exchange(self, cmd: str, line: bytes, budget: float) -> Event:
        """Write ``line``, return its reply (HANGUP and 100 Trying lines noted, skipped)."""
        if self._deadline is None:
            self._deadline = Deadline()
        self._deadline.start(budget)
        try:
            self._writer.write(line)
            if self._writer.transport.get_write_buffer_size():
                await self._writer.drain()  # only when the kernel's buffer is full
            while True:
                # Usually nothing is buffered yet: then read before parsing.
                event = self._parser.next_event() if self._parser.buffered else None
                if event is None:
                    data = await self._reader.read(_READ_CHUNK)  # (inline: once per reply)
                    if not data:
                        cut = " mid-reply" if self._parser.pending else ""
                        raise self._lost(f"Asterisk closed the AGI connection{cut}")
                    self._parser.feed(data)
                elif isinstance(event, Hangup):
                    self._note_hangup()
                elif not isinstance(event, Trying):
                    return event
        except asyncio.CancelledError:
            if self._deadline.timed_out():
                raise AgiTimeout(f"{cmd}: no reply within {budget:g} s") from None
            raise
        except ConnectionError as exc:
            raise self._lost(f"{cmd}: connection lost ({exc})") from exc
        finally:
            self._deadline.stop()

    async def _received(self) -> bytes:
        """The next bytes from Asterisk; EOF or a reset is the caller gone."""
        try:
            data = await self._reader.read(_READ_CHUNK)
        except ConnectionError as exc:
            raise self._lost(f"AGI connection lost ({exc})") from exc
        if not data:
            cut = " mid-reply" if self._parser.pending else ""
            raise self._lost(f"Asterisk closed the AGI connection{cut}")
        return data

    async def _next_event(self) -> Event:
        while (event := self._parser.next_event()) is None:
            self._parser.feed(await self._received())
        return event

    async def _checked(self, cmd: str, event: Event) -> Reply:
        if isinstance(event, Invalid):
            raise AgiUsageError(510, f"{cmd}: {event.text}")
        if isinstance(event, DeadChannel):
            if self.hung_up:
                raise CallerHangup(f"{cmd}: channel already hung up")
            raise AgiUsageError(511, f"{cmd}: {event.text}")
        if isinstance(event, Usage):
            raise AgiUsageError(520, f"{cmd}: {event.text}")
        assert isinstance(event, Reply)  # Hangup and Trying never leave _exchange
        if event.result == "-1":
            if self.hung_up or await self._hangup_follows():
                raise CallerHangup(f"{cmd}: caller hung up")
            raise AgiCommandFailed(f"{cmd}: result=-1")
        return event

    async def _hangup_follows(self) -> bool:
        """After result=-1, wait briefly for the HANGUP line (or EOF) that explains it."""
        try:
            async with asyncio.timeout(self._hangup_grace):
                event = await self._next_event()
        except TimeoutError:
            return False
        except CallerHangup:  # EOF: the connection went with the caller
            return True
        if not isinstance(event, Hangup):
            raise AgiPeerError(f"unsolicited AGI reply: {type(event).__name__}")
        self._note_hangup()
        return True

    def _note_hangup(self) -> None:
        if not self.hung_up:
            logger.info("call %s: Asterisk reports HANGUP", self.uniqueid)
        self.hung_up = True

    def _lost(self, message: str) -> CallerHangup:
        """The connection is gone; later commands fail at once instead of writing to it."""
        exc = CallerHangup(message)
        self.hung_up = True
        self._break(exc)
        return exc

    def _break(self, reason: AgiError) -> None:
        self._broken = reason
        self._writer.close()
        if self._deadline is not None:
            self._deadline.close()

    # --- commands ------------------------------------------------------------------------

    async def answer(self) -> None:
        await self.command("ANSWER")

    async def stream_file(
        self,
        name: str,
        escape_digits: str = "",
        *,
        timeout: float = MEDIA_TIMEOUT,  # noqa: ASYNC109
    ) -> str:
        """Play ``name``; return the escape digit that interrupted it, or ""."""
        started = time.monotonic()
        reply = await self.command("STREAM FILE", name, escape_digits, timeout=timeout)
        if self.on_played is not None and (endpos := reply.fields.get("endpos", "")).isdigit():
            self.on_played(time.monotonic() - started, int(endpos))
        return _digit(reply)

    async def record_file(
        self, path: str, fmt: str, escape_digits: str, max_ms: int, silence_s: int
    ) -> str:
        """Record the caller after a beep until an escape digit, ``silence_s`` of silence
        or ``max_ms``; return the digit that ended it, or "". A hang-up mid-recording
        raises CallerHangup (Asterisk keeps what was recorded)."""
        budget = max_ms / 1000 + TIMEOUT_MARGIN + 2
        reply = await self.command(
            "RECORD FILE",
            path,
            fmt,
            escape_digits,
            max_ms,
            "BEEP",
            f"s={silence_s}",
            timeout=budget,
        )
        return _digit(reply)

    async def wait_for_digit(self, timeout_ms: int) -> str:
        """Wait for one DTMF digit; "" on timeout. A negative wait is cut at MEDIA_TIMEOUT."""
        budget = MEDIA_TIMEOUT if timeout_ms < 0 else timeout_ms / 1000 + TIMEOUT_MARGIN
        reply = await self.command("WAIT FOR DIGIT", timeout_ms, timeout=budget)
        return _digit(reply)

    async def get_data(self, file: str, timeout_ms: int, max_digits: int) -> tuple[str, bool]:
        """Play ``file`` and collect up to ``max_digits``; return (digits, timed_out)."""
        per_digit = max(timeout_ms, DIGIT_WAIT_MS) / 1000
        budget = MEDIA_TIMEOUT + per_digit * (max_digits + 1)
        reply = await self.command("GET DATA", file, timeout_ms, max_digits, timeout=budget)
        return reply.result, reply.data == "timeout"

    async def set_variable(self, name: str, value: str) -> None:
        await self.command("SET VARIABLE", name, value)

    async def get_variable(self, name: str) -> str | None:
        """The channel variable's value, or None when it is not set (``result=0``)."""
        reply = await self.command("GET VARIABLE", name)
        if reply.result == "0":
            return None
        return reply.data or ""

    async def get_variables(self, names: Sequence[str]) -> dict[str, str]:
        """Several channel variables in one round trip (GET FULL VARIABLE); an unset one
        reads as ""."""
        reply = await self.command("GET FULL VARIABLE", variables_expression(names))
        return split_variables(names, reply.data if reply.result == "1" else None)

    async def exec(
        self,
        app: str,
        *args: str,
        timeout: float = MEDIA_TIMEOUT,  # noqa: ASYNC109
    ) -> Reply:
        """Run a dialplan application; Asterisk takes its arguments as one "," list."""
        reply = await self.command("EXEC", app, ",".join(args), timeout=timeout)
        if reply.result == "-2":
            raise AgiCommandFailed(f"EXEC: no application {app!r} in Asterisk")
        return reply

    async def verbose(self, msg: str, level: int = 1) -> None:
        await self.command("VERBOSE", msg, level)

    async def hangup(self) -> None:
        """Hang the channel up; a channel that is already gone is not an error."""
        with contextlib.suppress(CallerHangup):
            await self.command("HANGUP")


def _digit(reply: Reply) -> str:
    """Decode a DTMF result: the digit's ASCII code, 0 when no digit was pressed."""
    try:
        code = int(reply.result)
    except ValueError:
        raise AgiPeerError(f"not a digit code: result={reply.result[:20]!r}") from None
    if not 0 <= code < 128:
        raise AgiPeerError(f"not a digit code: result={code}")
    return chr(code) if code else ""
