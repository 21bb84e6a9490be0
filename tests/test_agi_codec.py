"""Table tests of the pure FastAGI codec: every case fed whole, byte by byte, and with
the next reply glued on behind it."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from ivr.agi.codec import (
    LOCAL_REFUSAL,
    MAX_COMMAND_BYTES,
    MAX_HEADER_BYTES,
    MAX_LINE_BYTES,
    DeadChannel,
    Event,
    Hangup,
    HeaderParser,
    Invalid,
    Reply,
    ReplyParser,
    Trying,
    Usage,
    encode_command,
)
from ivr.errors import AgiPeerError, AgiUsageError

TRAILER = b"200 result=7\n"
TRAILER_EVENT = Reply(200, "7")


def _whole(data: bytes) -> list[bytes]:
    return [data]


def _bytewise(data: bytes) -> list[bytes]:
    return [data[i : i + 1] for i in range(len(data))]


def _trailing(data: bytes) -> list[bytes]:
    return [data + TRAILER]


def _trailing_bytewise(data: bytes) -> list[bytes]:
    return _bytewise(data + TRAILER)


MODES: dict[str, Callable[[bytes], list[bytes]]] = {
    "whole": _whole,
    "bytewise": _bytewise,
    "trailing": _trailing,
    "trailing-bytewise": _trailing_bytewise,
}


def _events(chunks: list[bytes]) -> tuple[list[Event], ReplyParser]:
    parser = ReplyParser()
    events: list[Event] = []
    for chunk in chunks:
        parser.feed(chunk)
        while (event := parser.next_event()) is not None:
            events.append(event)
    return events, parser


USAGE_BLOCK = (
    b"520-Invalid command syntax.  Proper usage follows:\n"
    b" Usage: SAY NUMBER number escape_digits\n"
    b"        Say a given number.\n"
    b"520 End of proper usage.\n"
)
USAGE_TEXT = " Usage: SAY NUMBER number escape_digits\n        Say a given number."

REPLY_CASES: dict[str, tuple[bytes, list[Event]]] = {
    "200-data-and-fields": (
        b"200 result=1 (timeout) endpos=1234\n",
        [Reply(200, "1", "timeout", {"endpos": "1234"})],
    ),
    "200-fields-only": (b"200 result=0 endpos=3600\n", [Reply(200, "0", None, {"endpos": "3600"})]),
    "200-result-0": (b"200 result=0\n", [Reply(200, "0")]),
    "200-result-minus-1": (b"200 result=-1\n", [Reply(200, "-1")]),
    "200-data-with-spaces": (b"200 result=1 (two words)\n", [Reply(200, "1", "two words")]),
    "200-data-with-parens": (b"200 result=1 (a (b) c)\n", [Reply(200, "1", "a (b) c")]),
    "200-empty-result-timeout": (b"200 result= (timeout)\n", [Reply(200, "", "timeout")]),
    "200-empty-result": (b"200 result=\n", [Reply(200, "")]),
    "200-free-text": (b"200 result=0 Gosub complete\n", [Reply(200, "0", text="Gosub complete")]),
    "200-crlf": (b"200 result=1\r\n", [Reply(200, "1")]),
    "200-utf8-data": ("200 result=1 (Jamaah é)\n".encode(), [Reply(200, "1", "Jamaah é")]),
    "100-trying-then-200": (
        b"100 result=0 Trying...\n200 result=0\n",
        [Trying("result=0 Trying..."), Reply(200, "0")],
    ),
    "510": (b"510 Invalid or unknown command\n", [Invalid("Invalid or unknown command")]),
    "511": (
        b"511 Command Not Permitted on a dead channel or intercept routine\n",
        [DeadChannel("Command Not Permitted on a dead channel or intercept routine")],
    ),
    "520-multi-line": (USAGE_BLOCK, [Usage(USAGE_TEXT)]),
    "520-single-line": (
        b"520 Invalid command syntax.  Proper usage not available.\n",
        [Usage("Invalid command syntax.  Proper usage not available.")],
    ),
    "520-end-glued-to-usage": (
        b"520-Invalid command syntax.  Proper usage follows:\nUsage: X520 End of proper usage.\n",
        [Usage("Usage: X")],
    ),
    "hangup-before-reply": (
        b"HANGUP\n200 result=0 endpos=10\n",
        [Hangup(), Reply(200, "0", None, {"endpos": "10"})],
    ),
    "hangup-between-replies": (
        b"200 result=1\nHANGUP\n200 result=2\n",
        [Reply(200, "1"), Hangup(), Reply(200, "2")],
    ),
}

GARBAGE_CASES: dict[str, bytes] = {
    "text": b"hello there\n",
    "empty-line": b"\n",
    "200-without-result": b"200 foo\n",
    "unknown-code": b"300 result=0\n",
    "four-digit-code": b"2000 result=0\n",
    "503": b"503 result=-2 Memory allocation failure\n",
    "unclosed-data": b"200 result=1 (unclosed\n",
    "oversized-line": b"200 result=1 (" + b"x" * MAX_LINE_BYTES + b")\n",
    "oversized-no-newline": b"2" * (MAX_LINE_BYTES + 1),
    "oversized-520-block": b"520-Usage follows:\n" + b"x" * 99 + b"\n" + (b"y" * 99 + b"\n") * 700,
}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case", REPLY_CASES)
def test_reply_parser_valid_reply_gives_events(case: str, mode: str) -> None:
    data, expected = REPLY_CASES[case]
    events, parser = _events(MODES[mode](data))
    trailer = [TRAILER_EVENT] if mode.startswith("trailing") else []
    assert events == expected + trailer
    assert not parser.pending


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case", GARBAGE_CASES)
def test_reply_parser_garbage_raises_peer_error(case: str, mode: str) -> None:
    with pytest.raises(AgiPeerError):
        _events(MODES[mode](GARBAGE_CASES[case]))


@pytest.mark.parametrize("mode", ["whole", "bytewise"])
@pytest.mark.parametrize(
    "data",
    [b"200 result=1 (time", b"HANGUP", USAGE_BLOCK[:-10], USAGE_BLOCK.split(b"\n")[0] + b"\n"],
    ids=["mid-200", "mid-hangup", "mid-520-end", "after-520-first-line"],
)
def test_reply_parser_eof_mid_reply_is_incomplete(data: bytes, mode: str) -> None:
    events, parser = _events(MODES[mode](data))
    assert events == []
    assert parser.pending


def test_reply_parser_empty_is_not_pending() -> None:
    assert not ReplyParser().pending
    assert ReplyParser().next_event() is None


# --- header ----------------------------------------------------------------------------

HEADER = (
    b"agi_network: yes\n"
    b"agi_network_script: hajj/menu\n"
    b"agi_request: agi://127.0.0.1/hajj/menu\n"
    b"agi_uniqueid: 1700000000.1\n"
    b"agi_callerid: 628123456789\n"
    b"agi_accountcode: \n"
    b"agi_arg_1: id\n"
    b"\n"
)
HEADER_ENV = {
    "agi_network": "yes",
    "agi_network_script": "hajj/menu",
    "agi_request": "agi://127.0.0.1/hajj/menu",
    "agi_uniqueid": "1700000000.1",
    "agi_callerid": "628123456789",
    "agi_accountcode": "",
    "agi_arg_1": "id",
}

HEADER_CASES: dict[str, bytes] = {
    "lf": HEADER,
    "crlf": HEADER.replace(b"\n", b"\r\n"),
    "empty-value-space-stripped": HEADER.replace(b"agi_accountcode: \n", b"agi_accountcode:\n"),
}

BAD_HEADERS: dict[str, bytes] = {
    "http-request": b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
    "no-colon": b"agi_network yes\n\n",
    "empty-key": b": yes\n\n",
    "key-with-space": b"agi network: yes\n\n",
    "oversized-lines": b"agi_x: " + b"y" * 100 + b"\n" + (b"agi_y: " + b"z" * 100 + b"\n") * 200,
    "oversized-no-newline": b"agi_x: " + b"y" * MAX_HEADER_BYTES,
}


def _header(chunks: list[bytes]) -> HeaderParser:
    parser = HeaderParser()
    for index, chunk in enumerate(chunks):
        env = parser.feed(chunk)
        if not parser.complete:
            assert env is None
        elif index == len(chunks) - 1:
            assert env is parser.env
    return parser


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case", HEADER_CASES)
def test_header_parser_complete_header_gives_env_and_leftover(case: str, mode: str) -> None:
    parser = _header(MODES[mode](HEADER_CASES[case]))
    assert parser.complete
    assert parser.env == HEADER_ENV
    assert parser.leftover == (TRAILER if mode.startswith("trailing") else b"")


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case", BAD_HEADERS)
def test_header_parser_bad_header_raises_peer_error(case: str, mode: str) -> None:
    with pytest.raises(AgiPeerError):
        _header(MODES[mode](BAD_HEADERS[case]))


def test_header_parser_without_blank_line_is_incomplete() -> None:
    parser = _header(_bytewise(HEADER[:-1]))
    assert not parser.complete


def test_header_parser_feed_after_complete_extends_leftover() -> None:
    parser = HeaderParser()
    parser.feed(HEADER + b"200 ")
    assert parser.feed(b"result=0\n") == HEADER_ENV
    assert parser.leftover == b"200 result=0\n"


# --- commands --------------------------------------------------------------------------


def _asterisk_split(line: bytes) -> list[str]:
    """Our model of how res_agi.c splits a command line into words (see codec.py)."""
    words: list[str] = []
    word: list[str] | None = None
    quoted = escaped = False
    for char in line.decode().removesuffix("\n"):
        if char == "\\" and not escaped:
            escaped = True
            continue
        if char == '"' and not escaped:
            quoted = not quoted
            if quoted and word is None:
                word = []
                words.append("")
        elif char in " \t" and not quoted and not escaped:
            word = None
        else:
            if word is None:
                word = []
                words.append("")
            words[-1] += char
        escaped = False
    return words


COMMANDS: dict[str, tuple[str, tuple[str | int, ...], bytes]] = {
    "bare": ("ANSWER", (), b"ANSWER\n"),
    "empty-arg-quoted": ("STREAM FILE", ("welcome", ""), b'STREAM FILE welcome ""\n'),
    "plain-args": ("STREAM FILE", ("hajj/welcome", "123#"), b"STREAM FILE hajj/welcome 123#\n"),
    "int-arg": ("WAIT FOR DIGIT", (5000,), b"WAIT FOR DIGIT 5000\n"),
    "space": ("SET VARIABLE", ("NAME", "two words"), b'SET VARIABLE NAME "two words"\n'),
    "tab": ("VERBOSE", ("a\tb", 1), b'VERBOSE "a\tb" 1\n'),
    "quote": ("SET VARIABLE", ("X", 'say "hi"'), b'SET VARIABLE X "say \\"hi\\""\n'),
    "backslash": ("SET VARIABLE", ("X", "a\\b"), b'SET VARIABLE X "a\\\\b"\n'),
    "utf8": ("SET VARIABLE", ("X", "é"), "SET VARIABLE X é\n".encode()),
}


@pytest.mark.parametrize("case", COMMANDS)
def test_encode_command_args_are_quoted_as_asterisk_splits(case: str) -> None:
    cmd, args, expected = COMMANDS[case]
    line = encode_command(cmd, *args)
    assert line == expected
    assert _asterisk_split(line) == [*cmd.split(), *map(str, args)]


@pytest.mark.parametrize(
    "cmd,args",
    [
        ("SET VARIABLE", ("X", "secret\nHANGUP")),
        ("SET VARIABLE", ("X", "a\rb")),
        ("SET VARIABLE", ("X", "a\0b")),
        ("ANSWER\nHANGUP", ()),
        ("", ()),
        ("SET VARIABLE", ("X", "v" * MAX_COMMAND_BYTES)),
    ],
    ids=["newline", "carriage-return", "nul", "newline-in-name", "empty-name", "too-long"],
)
def test_encode_command_unsafe_input_refused_locally(cmd: str, args: tuple[str, ...]) -> None:
    with pytest.raises(AgiUsageError) as caught:
        encode_command(cmd, *args)
    assert caught.value.code == LOCAL_REFUSAL
    assert "secret" not in str(caught.value)


def test_encode_command_longest_allowed_line_passes() -> None:
    line = encode_command("VERBOSE", "v" * (MAX_COMMAND_BYTES - len("VERBOSE \n")))
    assert len(line) == MAX_COMMAND_BYTES
