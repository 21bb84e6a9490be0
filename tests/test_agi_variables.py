"""Several channel variables in one GET FULL VARIABLE: the expression we send, the reply
split back by name (every reply fed whole, byte by byte and with the next reply glued
on), and AgiChannel.get_variables against a scripted Asterisk on a real socket."""

from __future__ import annotations

import pytest

from ivr.agi.channel import AgiChannel
from ivr.agi.codec import (
    LOCAL_REFUSAL,
    VARIABLES_SEPARATOR,
    Reply,
    encode_command,
    split_variables,
    variables_expression,
)
from ivr.errors import AgiPeerError, AgiUsageError
from tests.test_agi_codec import MODES, TRAILER_EVENT, _asterisk_split, _events
from tests.test_agi_server import _wait_idle, recording, run, serving

US = VARIABLES_SEPARATOR
NAMES = ("HAJJ_PORSI", "HAJJ_TOPICS", "HAJJ_OFFER")


def test_variables_expression_reads_each_name_between_separators() -> None:
    assert variables_expression(NAMES) == f"${{HAJJ_PORSI}}{US}${{HAJJ_TOPICS}}{US}${{HAJJ_OFFER}}"
    assert variables_expression(["X"]) == "${X}"


def test_variables_expression_survives_asterisks_argument_split() -> None:
    line = encode_command("GET FULL VARIABLE", variables_expression(NAMES))
    assert _asterisk_split(line) == ["GET", "FULL", "VARIABLE", variables_expression(NAMES)]


@pytest.mark.parametrize(
    "names",
    [(), ("hajj_porsi",), ("CHANNEL(language)",), ("A}${B",), ("A B",), ("",), ("1X",)],
    ids=["none", "lowercase", "function", "brace", "space", "empty", "digit-first"],
)
def test_variables_expression_refuses_what_is_not_a_variable_name(names: tuple[str, ...]) -> None:
    with pytest.raises(AgiUsageError) as caught:
        variables_expression(names)
    assert caught.value.code == LOCAL_REFUSAL


# What Asterisk answers for NAMES, and the values by name.
REPLIES: dict[str, tuple[bytes, dict[str, str]]] = {
    "all-set": (
        f"200 result=1 (1100123456{US}estimate kloter{US}nobody)\n".encode(),
        {"HAJJ_PORSI": "1100123456", "HAJJ_TOPICS": "estimate kloter", "HAJJ_OFFER": "nobody"},
    ),
    "none-set": (
        f"200 result=1 ({US}{US})\n".encode(),
        {"HAJJ_PORSI": "", "HAJJ_TOPICS": "", "HAJJ_OFFER": ""},
    ),
    "last-set": (
        f"200 result=1 ({US}{US}waited)\n".encode(),
        {"HAJJ_PORSI": "", "HAJJ_TOPICS": "", "HAJJ_OFFER": "waited"},
    ),
    "parens-and-utf8": (
        f"200 result=1 (a (b){US}é ){US}x)\n".encode(),
        {"HAJJ_PORSI": "a (b)", "HAJJ_TOPICS": "é )", "HAJJ_OFFER": "x"},
    ),
    "no-channel": (b"200 result=0\n", {"HAJJ_PORSI": "", "HAJJ_TOPICS": "", "HAJJ_OFFER": ""}),
}


def _values(reply: Reply) -> dict[str, str]:
    return split_variables(NAMES, reply.data if reply.result == "1" else None)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case", REPLIES)
def test_split_variables_reply_gives_values_by_name(case: str, mode: str) -> None:
    data, expected = REPLIES[case]
    events, parser = _events(MODES[mode](data))
    trailer = [TRAILER_EVENT] if mode.startswith("trailing") else []
    assert events[1:] == trailer and isinstance(events[0], Reply)
    assert _values(events[0]) == expected
    assert not parser.pending


@pytest.mark.parametrize(
    "data",
    [f"a{US}b", f"a{US}b{US}c{US}d", "", "only one"],
    ids=["too-few", "too-many", "empty", "no-separator"],
)
def test_split_variables_values_not_lining_up_raise_peer_error(data: str) -> None:
    with pytest.raises(AgiPeerError):
        split_variables(NAMES, data)


def test_split_variables_one_name_empty_value() -> None:
    assert split_variables(["X"], "") == {"X": ""}


# --- over a socket ---------------------------------------------------------------------


def test_channel_get_variables_one_round_trip_then_stays_in_sync() -> None:
    seen: list[object] = []

    async def flow(ch: AgiChannel) -> None:
        seen.append(await ch.get_variables(NAMES))
        seen.append(await ch.get_variables(["HAJJ_QUEUE"]))
        seen.append(await ch.get_variable("AFTER"))

    async def scenario() -> None:
        async with serving(recording(flow, seen)) as (server, call):
            peer = await call()
            expression = variables_expression(NAMES)
            await peer.reply(f"GET FULL VARIABLE {expression}", REPLIES["last-set"][0])
            await peer.reply("GET FULL VARIABLE ${HAJJ_QUEUE}", b"200 result=0\n")
            await peer.reply("GET VARIABLE AFTER", b"200 result=1 (ok)\n")
            assert await peer.closed_by_server()
            await _wait_idle(server)

    run(scenario())
    assert seen == [REPLIES["last-set"][1], {"HAJJ_QUEUE": ""}, "ok"]


def test_channel_get_variables_misaligned_reply_raises_peer_error() -> None:
    seen: list[object] = []

    async def flow(ch: AgiChannel) -> None:
        await ch.get_variables(NAMES)

    async def scenario() -> None:
        async with serving(recording(flow, seen)) as (server, call):
            peer = await call()
            await peer.reply(
                f"GET FULL VARIABLE {variables_expression(NAMES)}", b"200 result=1 (a)\n"
            )
            assert await peer.closed_by_server()
            await _wait_idle(server)

    run(scenario())
    assert len(seen) == 1 and isinstance(seen[0], AgiPeerError)
