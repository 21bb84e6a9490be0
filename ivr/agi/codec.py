"""The FastAGI wire format as a pure codec: bytes in, frozen events out. No sockets.

The protocol, as Asterisk's res_agi.c speaks it over TCP (FastAGI, port 4573):

1. Asterisk connects and sends the environment, one ``agi_key: value\\n`` line per
   variable (``agi_request``, ``agi_uniqueid``, ``agi_callerid``, ``agi_network_script``,
   ``agi_arg_1``...), closed by an empty line.
2. We send one command line (``STREAM FILE welcome "12"\\n``) and Asterisk answers it:
   ``200 result=<r> [(<data>)] [key=value...]``, ``510`` invalid command, ``511`` not
   permitted on a dead channel, ``520`` usage (multi-line ``520-`` ... ``520 `` block).
   ``100 result=0 Trying...`` only announces that the real reply is still to come.
3. When the channel hangs up, Asterisk writes ``HANGUP\\n`` on its own (AGISIGHUP), at any
   moment: before the reply to the command in flight, between replies, or after.

Every parser here can be fed whole, byte by byte or with the next reply glued on, and
yields the same events. All text is UTF-8; bytes that are not valid UTF-8 become U+FFFD
rather than failing the call (variable values come from callers' devices).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from ivr.errors import AgiPeerError, AgiUsageError

# The real environment is about 1 KiB (two dozen short variables plus the AGI() args).
# The cap keeps a confused or hostile peer from growing our buffer without bound.
MAX_HEADER_BYTES = 16 * 1024

# No reply line comes near this (the longest is GET VARIABLE of a long value, and a 520
# usage text is a few KiB); the cap bounds memory per connection while we wait for "\n".
MAX_LINE_BYTES = 64 * 1024

# res_agi.c reads a command into ``char buf[AGI_BUF_LEN]`` (2048) with fgets, so at most
# 2047 bytes including the "\n". A longer line is cut, and its tail would run as a second
# command: we refuse it instead.
MAX_COMMAND_BYTES = 2047

# AgiUsageError.code for a command we refused to send (no AGI code: it never left us).
LOCAL_REFUSAL = 0

_USAGE_END = "520 End of proper usage."


# --- events ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    """``200 result=1 (timeout) endpos=1234``: result, parenthesised data, key=value."""

    code: int
    result: str
    data: str | None = None
    fields: dict[str, str] = field(default_factory=dict)
    text: str = ""  # words that are not key=value, e.g. "Gosub complete"


@dataclass(frozen=True)
class Trying:
    """``100 result=0 Trying...``: the command runs; its real reply follows."""

    text: str = ""


@dataclass(frozen=True)
class Invalid:
    """``510 Invalid or unknown command``."""

    text: str = ""


@dataclass(frozen=True)
class DeadChannel:
    """``511 Command Not Permitted on a dead channel or intercept routine``."""

    text: str = ""


@dataclass(frozen=True)
class Usage:
    """``520``: the command's syntax was wrong; ``text`` is the usage Asterisk sent."""

    text: str = ""


@dataclass(frozen=True)
class Hangup:
    """An unsolicited ``HANGUP`` line: the channel is gone. Not a reply to anything."""


Event = Reply | Trying | Invalid | DeadChannel | Usage | Hangup


# --- line splitting --------------------------------------------------------------------


class _LineBuffer:
    """Splits a byte stream into text lines ("\\n", tolerating "\\r\\n"), with a cap."""

    def __init__(self, cap: int, what: str) -> None:
        self._buf = bytearray()
        self._scanned = 0  # bytes already searched for "\n": keeps byte-by-byte feeds linear
        self._cap = cap
        self._what = what
        self.consumed = 0  # bytes of the lines already returned, "\n" included

    def feed(self, data: bytes) -> None:
        self._buf += data

    def __len__(self) -> int:
        return len(self._buf)

    @property
    def has_bytes(self) -> bool:
        return bool(self._buf)

    def take_rest(self) -> bytes:
        rest, self._buf, self._scanned = bytes(self._buf), bytearray(), 0
        return rest

    def next_line(self) -> str | None:
        end = self._buf.find(b"\n", self._scanned)
        if end < 0:
            self._scanned = len(self._buf)
            self._check(len(self._buf))
            return None
        self._check(end)
        raw = bytes(self._buf[:end])
        del self._buf[: end + 1]
        self._scanned = 0
        self.consumed += end + 1
        return raw.removesuffix(b"\r").decode("utf-8", errors="replace")

    def _check(self, size: int) -> None:
        if size > self._cap:
            raise AgiPeerError(f"{self._what} line longer than {self._cap} bytes")


# --- the environment header ------------------------------------------------------------


class HeaderParser:
    """Collects the ``agi_key: value`` environment up to its empty line."""

    def __init__(self) -> None:
        self._lines = _LineBuffer(MAX_HEADER_BYTES, "AGI header")
        self.env: dict[str, str] = {}
        self.complete = False
        self.leftover = b""  # bytes after the empty line: the start of the first reply

    def feed(self, data: bytes) -> dict[str, str] | None:
        """Add bytes; return the environment once the empty line arrived, else None."""
        if self.complete:
            self.leftover += data
            return self.env
        self._lines.feed(data)
        while not self.complete and (line := self._lines.next_line()) is not None:
            self._on_line(line)
        if self._lines.consumed + (0 if self.complete else len(self._lines)) > MAX_HEADER_BYTES:
            raise AgiPeerError(f"AGI header larger than {MAX_HEADER_BYTES} bytes")
        if not self.complete:
            return None
        self.leftover = self._lines.take_rest()
        return self.env

    def _on_line(self, line: str) -> None:
        if not line:
            self.complete = True
            return
        key, sep, value = line.partition(": ")
        if not sep and line.endswith(":"):
            # "agi_accountcode: " with its trailing space stripped by some proxy
            key, sep, value = line[:-1], ":", ""
        if not sep or not key or " " in key:
            raise AgiPeerError(f"not an AGI header line: {line[:60]!r}")
        self.env[key] = value


# --- commands --------------------------------------------------------------------------

_COMMAND_NAME = re.compile(r"[A-Za-z]+(?: [A-Za-z]+)*")
# res_agi.c parse_args() splits on space and tab, toggles quoting on '"' and escapes
# the next character after '\'. An empty argument must be sent as "" to keep its place.
_NEEDS_QUOTES = re.compile(r'[ \t"\\]')
# A line break would end our command early and start a second one; C stops at NUL.
_FORBIDDEN = re.compile("[\n\r\0]")


def encode_command(cmd: str, *args: str | int) -> bytes:
    """Build one AGI command line, quoting arguments as res_agi.c parses them.

    Raises AgiUsageError(LOCAL_REFUSAL, ...) for a bad command name, an argument with a
    line break or NUL (it could smuggle in a second command) or a line over 2047 bytes.
    """
    if not _COMMAND_NAME.fullmatch(cmd):
        raise AgiUsageError(LOCAL_REFUSAL, f"not an AGI command name: {cmd!r}")
    words = [cmd]
    for index, arg in enumerate(args, 1):
        words.append(_quote(cmd, index, arg))
    line = (" ".join(words) + "\n").encode("utf-8")
    if len(line) > MAX_COMMAND_BYTES:
        raise AgiUsageError(LOCAL_REFUSAL, f"{cmd} line is {len(line)} bytes, max 2047")
    return line


def _quote(cmd: str, index: int, arg: str | int) -> str:
    text = arg if type(arg) is str else str(arg)
    if _FORBIDDEN.search(text):
        # the value itself is not echoed: it may be a caller's data
        raise AgiUsageError(LOCAL_REFUSAL, f"{cmd} argument {index} has a line break or NUL")
    if text and not _NEEDS_QUOTES.search(text):
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


# --- several variables in one round trip ------------------------------------------------

# GET FULL VARIABLE substitutes an expression on the channel (res_agi.c
# handle_getvariablefull runs ast_str_substitute_variables on it and answers
# "200 result=1 (<text>)"; an unset variable substitutes to ""). Reading "${A}<sep>${B}"
# brings several variables back in one command. The separator is ASCII's unit separator:
# no value we or the dialplan set can hold it (digits, words, queue names), and
# encode_command sends it as it is (res_agi.c splits arguments on space and tab only).
# Checked through the test rig on Asterisk 22.10: values set with "__" in one AGI session
# and by the dialplan come back in a later session exactly as GET VARIABLE reads them.
VARIABLES_SEPARATOR = "\x1f"
VARIABLE_NAME = re.compile(r"[A-Z][A-Z0-9_]*")


def variables_expression(names: Sequence[str]) -> str:
    """The GET FULL VARIABLE argument that reads ``names`` in one round trip.

    A name that is not a plain channel variable (``HAJJ_PORSI``) is our bug: it could
    call a dialplan function. Raises AgiUsageError(LOCAL_REFUSAL, ...).
    """
    if not names:
        raise AgiUsageError(LOCAL_REFUSAL, "GET FULL VARIABLE: no variable names")
    for name in names:
        if not VARIABLE_NAME.fullmatch(name):
            raise AgiUsageError(LOCAL_REFUSAL, f"not a channel variable name: {name[:40]!r}")
    return VARIABLES_SEPARATOR.join(f"${{{name}}}" for name in names)


def split_variables(names: Sequence[str], data: str | None) -> dict[str, str]:
    """Asterisk's substitution back into values by name ("" when unset).

    ``data`` None (result=0: Asterisk found no channel) reads every variable as unset.
    Raises AgiPeerError when the values do not line up with the names.
    """
    parts = [""] * len(names) if data is None else data.split(VARIABLES_SEPARATOR)
    if len(parts) != len(names):
        raise AgiPeerError(f"GET FULL VARIABLE: {len(parts)} values for {len(names)} names")
    return dict(zip(names, parts, strict=True))


# --- replies ---------------------------------------------------------------------------


class ReplyParser:
    """Turns Asterisk's reply stream into events; ``next_event`` is None until complete."""

    def __init__(self) -> None:
        self._lines = _LineBuffer(MAX_LINE_BYTES, "AGI reply")
        self._usage: list[str] | None = None  # body of an open "520-" block
        self._usage_bytes = 0

    def feed(self, data: bytes) -> None:
        self._lines.feed(data)

    @property
    def buffered(self) -> bool:
        """True while bytes not yet returned as an event are buffered."""
        return self._lines.has_bytes

    @property
    def pending(self) -> bool:
        """True while part of a reply is buffered (EOF now would cut a reply)."""
        return len(self._lines) > 0 or self._usage is not None

    def next_event(self) -> Event | None:
        while (line := self._lines.next_line()) is not None:
            event = self._usage_line(line) if self._usage is not None else self._line(line)
            if event is not None:
                return event
        return None

    def _line(self, line: str) -> Event | None:
        if line == "HANGUP":
            return Hangup()
        if line.startswith("520-"):
            self._usage, self._usage_bytes = [], len(line)
            return None
        code, sep, rest = line[:3], line[3:4], line[4:]
        if sep not in ("", " "):
            raise _garbage(line)
        if code == "200":
            return _parse_200(line, rest)
        simple = _SIMPLE_REPLIES.get(code)
        if simple is None:
            raise _garbage(line)
        return simple(rest)

    def _usage_line(self, line: str) -> Event | None:
        assert self._usage is not None
        if line.startswith("520 "):
            return self._end_usage()
        if line.endswith(_USAGE_END):
            # res_agi.c sends the usage with "%s": when it lacks a final "\n" the end
            # marker is glued to its last line.
            self._usage.append(line.removesuffix(_USAGE_END))
            return self._end_usage()
        self._usage_bytes += len(line) + 1
        if self._usage_bytes > MAX_LINE_BYTES:
            raise AgiPeerError(f"AGI 520 usage block larger than {MAX_LINE_BYTES} bytes")
        self._usage.append(line)
        return None

    def _end_usage(self) -> Usage:
        assert self._usage is not None
        text, self._usage = "\n".join(self._usage).strip("\n"), None
        return Usage(text)


_SIMPLE_REPLIES: dict[str, type[Trying | Invalid | DeadChannel | Usage]] = {
    "100": Trying,
    "510": Invalid,
    "511": DeadChannel,
    "520": Usage,
}


def _parse_200(line: str, rest: str) -> Reply:
    """Parse ``result=<r> [(<data>)] [key=value | word]...``; data may hold spaces."""
    if not rest.startswith("result="):
        raise _garbage(line)
    result, _, tail = rest.removeprefix("result=").partition(" ")
    data = None
    if tail.startswith("("):
        # the last ")" closes the data: a variable's value may itself contain ")"
        close = tail.rfind(")")
        if close < 0:
            raise _garbage(line)
        data, tail = tail[1:close], tail[close + 1 :]
    fields: dict[str, str] = {}
    words: list[str] = []
    for token in tail.split():
        key, eq, value = token.partition("=")
        if eq and key:
            fields[key] = value
        else:
            words.append(token)
    return Reply(200, result, data, fields, " ".join(words))


def _garbage(line: str) -> AgiPeerError:
    return AgiPeerError(f"not an AGI reply: {line[:60]!r}")
