"""Real sockets: FastAgiServer against a scripted fake Asterisk on 127.0.0.1."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from typing import Any

import pytest

from ivr.agi.channel import AgiChannel
from ivr.agi.server import FastAgiServer
from ivr.errors import (
    AgiCommandFailed,
    AgiError,
    AgiTimeout,
    AgiUsageError,
    CallerHangup,
)

CALLER = "628123456789"
Handler = Callable[[AgiChannel], Awaitable[None]]


def run(coro: Coroutine[Any, Any, None]) -> None:
    """Run one test scenario with a deadline, so a broken server fails instead of hanging."""

    async def bounded() -> None:
        async with asyncio.timeout(20):
            await coro

    asyncio.run(bounded())


def header(script: str, uniqueid: str) -> bytes:
    lines = [
        "agi_network: yes",
        f"agi_network_script: {script}",
        f"agi_request: agi://127.0.0.1/{script}",
        f"agi_uniqueid: {uniqueid}",
        f"agi_callerid: {CALLER}",
        "agi_calleridname: Siti",
        "agi_arg_1: id",
    ]
    return ("\n".join(lines) + "\n\n").encode()


class FakeAsterisk:
    """The Asterisk side of one FastAGI connection, driven line by line by the test."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def connect(cls, port: int, data: bytes = b"") -> FakeAsterisk:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        peer = cls(reader, writer)
        await peer.send(data)
        return peer

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def expect(self, command: str) -> None:
        line = await asyncio.wait_for(self.reader.readline(), 5)
        assert line == command.encode() + b"\n"

    async def reply(self, command: str, answer: bytes) -> None:
        await self.expect(command)
        await self.send(answer)

    async def closed_by_server(self) -> bool:
        """True once the server closed the connection without sending anything more."""
        try:
            return await asyncio.wait_for(self.reader.read(), 5) == b""
        except ConnectionResetError:
            return True

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(OSError):
            await self.writer.wait_closed()


@contextlib.asynccontextmanager
async def serving(
    handler: Handler, **options: Any
) -> AsyncIterator[tuple[FastAgiServer, Callable[..., Awaitable[FakeAsterisk]]]]:
    """A started server on a free port, and a `call(script)` that dials into it."""
    server = FastAgiServer(handler, port=0, **options)
    await server.start()
    peers: list[FakeAsterisk] = []

    async def call(script: str = "hajj/menu", uniqueid: str = "1.1") -> FakeAsterisk:
        peers.append(await FakeAsterisk.connect(server.port, header(script, uniqueid)))
        return peers[-1]

    try:
        yield server, call
    finally:
        for peer in peers:
            await peer.close()
        await server.close()


def recording(flow: Handler, seen: list[object]) -> Handler:
    """Wrap a flow so the test sees what it returned or raised (and the server still does)."""

    async def handler(channel: AgiChannel) -> None:
        try:
            await flow(channel)
        except AgiError as exc:
            seen.append(exc)
            raise

    return handler


async def _wait_idle(server: FastAgiServer) -> None:
    for _ in range(500):
        if not server.active_sessions:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"{server.active_sessions} sessions still active")


# --- sessions --------------------------------------------------------------------------


def test_server_normal_session_runs_handler_and_closes() -> None:
    seen: list[object] = []

    async def flow(ch: AgiChannel) -> None:
        await ch.answer()
        digit = await ch.stream_file("hajj/welcome", "12")
        digits, timed_out = await ch.get_data("hajj/enter-number", 3000, 4)
        await ch.set_variable("IVR_RESULT", "two words")
        value = await ch.get_variable("CHANNEL(language)")
        missing = await ch.get_variable("NOPE")
        await ch.exec("Playback", "beep", "noanswer")
        await ch.verbose("done")
        seen.extend([ch.env["agi_network_script"], ch.env["agi_arg_1"], digit, digits])
        seen.extend([timed_out, value, missing])

    async def scenario() -> None:
        async with serving(recording(flow, seen)) as (server, call):
            peer = await call("hajj/menu")
            await peer.reply("ANSWER", b"200 result=0\n")
            await peer.reply("STREAM FILE hajj/welcome 12", b"200 result=49 endpos=1234\n")
            await peer.reply("GET DATA hajj/enter-number 3000 4", b"200 result=12 (timeout)\n")
            await peer.reply('SET VARIABLE IVR_RESULT "two words"', b"200 result=1\n")
            await peer.reply("GET VARIABLE CHANNEL(language)", b"200 result=1 (id)\n")
            await peer.reply("GET VARIABLE NOPE", b"200 result=0\n")
            await peer.reply(
                "EXEC Playback beep,noanswer", b"100 result=0 Trying...\n200 result=0\n"
            )
            await peer.reply("VERBOSE done 1", b"200 result=1\n")
            assert await peer.closed_by_server()
            await _wait_idle(server)

    run(scenario())
    assert seen == ["hajj/menu", "id", "1", "12", True, "id", None]


def test_channel_hangup_line_before_reply_sets_flag_without_shift() -> None:
    seen: list[object] = []

    async def flow(ch: AgiChannel) -> None:
        seen.append(await ch.stream_file("hajj/welcome"))
        seen.append(ch.hung_up)
        seen.append(await ch.get_variable("IVR_STEP"))

    async def scenario() -> None:
        async with serving(recording(flow, seen)) as (_, call):
            peer = await call()
            await peer.reply('STREAM FILE hajj/welcome ""', b"HANGUP\n200 result=0 endpos=10\n")
            await peer.reply("GET VARIABLE IVR_STEP", b"200 result=1 (menu)\n")
            assert await peer.closed_by_server()

    run(scenario())
    assert seen == ["", True, "menu"]


def test_channel_multiline_520_then_next_reply_stays_in_sync() -> None:
    seen: list[object] = []
    usage = (
        b"520-Invalid command syntax.  Proper usage follows:\n"
        b"Usage: SAY NUMBER <number> <escape digits>\n"
        b"520 End of proper usage.\n"
    )

    async def flow(ch: AgiChannel) -> None:
        with pytest.raises(AgiUsageError) as caught:
            await ch.command("SAY NUMBER")
        seen.append((caught.value.code, "SAY NUMBER <number>" in caught.value.message))
        seen.append(await ch.get_variable("X"))

    async def scenario() -> None:
        async with serving(recording(flow, seen)) as (_, call):
            peer = await call()
            await peer.reply("SAY NUMBER", usage)
            await peer.reply("GET VARIABLE X", b"200 result=1 (after)\n")
            assert await peer.closed_by_server()

    run(scenario())
    assert seen == [(520, True), "after"]


@pytest.mark.parametrize(
    "answer,code", [(b"510 Invalid or unknown command\n", 510), (b"511 Not on dead\n", 511)]
)
def test_channel_rejected_command_raises_usage_error(answer: bytes, code: int) -> None:
    seen: list[object] = []

    async def flow(ch: AgiChannel) -> None:
        await ch.command("FROB")

    async def scenario() -> None:
        async with serving(recording(flow, seen)) as (_, call):
            peer = await call()
            await peer.reply("FROB", answer)
            assert await peer.closed_by_server()

    run(scenario())
    assert [type(e) for e in seen] == [AgiUsageError]
    assert isinstance(seen[0], AgiUsageError) and seen[0].code == code


def test_channel_dead_channel_after_hangup_raises_caller_hangup() -> None:
    seen: list[object] = []

    async def flow(ch: AgiChannel) -> None:
        await ch.answer()
        await ch.stream_file("hajj/welcome")

    async def scenario() -> None:
        async with serving(recording(flow, seen)) as (_, call):
            peer = await call()
            await peer.reply("ANSWER", b"200 result=0\nHANGUP\n")
            await peer.reply('STREAM FILE hajj/welcome ""', b"511 Command Not Permitted\n")
            assert await peer.closed_by_server()

    run(scenario())
    assert [type(e) for e in seen] == [CallerHangup]


def test_channel_result_minus_one_then_hangup_raises_caller_hangup() -> None:
    seen: list[object] = []

    async def flow(ch: AgiChannel) -> None:
        await ch.stream_file("hajj/welcome")

    async def scenario() -> None:
        async with serving(recording(flow, seen)) as (_, call):
            peer = await call()
            await peer.reply('STREAM FILE hajj/welcome ""', b"200 result=-1 endpos=0\n")
            await asyncio.sleep(0.05)  # res_agi.c notices the hangup just after replying
            await peer.send(b"HANGUP\n")
            assert await peer.closed_by_server()

    run(scenario())
    assert [type(e) for e in seen] == [CallerHangup]


def test_channel_result_minus_one_on_live_channel_raises_command_failed() -> None:
    seen: list[object] = []

    async def flow(ch: AgiChannel) -> None:
        await ch.stream_file("hajj/missing")

    async def scenario() -> None:
        async with serving(recording(flow, seen)) as (_, call):
            peer = await call()
            await peer.reply('STREAM FILE hajj/missing ""', b"200 result=-1 endpos=0\n")
            assert await peer.closed_by_server()

    run(scenario())
    assert [type(e) for e in seen] == [AgiCommandFailed]


def test_channel_no_reply_raises_timeout_and_closes_socket() -> None:
    seen: list[object] = []

    async def flow(ch: AgiChannel) -> None:
        try:
            await ch.answer()
        except AgiTimeout as exc:
            seen.append(exc)
        await ch.verbose("still there?")  # the stream is closed: the same error again

    async def scenario() -> None:
        async with serving(recording(flow, seen), command_timeout=0.2) as (server, call):
            peer = await call()
            await peer.expect("ANSWER")
            assert await peer.closed_by_server()
            await _wait_idle(server)

    run(scenario())
    assert [type(e) for e in seen] == [AgiTimeout, AgiTimeout]


def test_channel_quick_command_after_a_long_one_times_out_on_its_own_budget() -> None:
    """One timer serves the channel's commands: armed for a long STREAM FILE budget, it
    must still cut the quick command that follows at the quick budget."""
    seen: list[object] = []

    async def flow(ch: AgiChannel) -> None:
        await ch.stream_file("hajj/long", timeout=30)
        try:
            await ch.answer()  # were the 30 s budget used, run()'s 20 s bound would fail
        except AgiTimeout as exc:
            seen.append(exc)

    async def scenario() -> None:
        async with serving(recording(flow, seen), command_timeout=0.2) as (server, call):
            peer = await call()
            await peer.reply('STREAM FILE hajj/long ""', b"200 result=0 endpos=8000\n")
            await peer.expect("ANSWER")
            assert await peer.closed_by_server()
            await _wait_idle(server)

    run(scenario())
    assert [type(e) for e in seen] == [AgiTimeout]
    assert "no reply within 0.2 s" in str(seen[0])


def test_channel_replies_slower_than_nothing_but_within_budget_never_time_out() -> None:
    """Many quick commands, each answered after a pause, across several of the timer's
    periods: the timer re-arms for each and never cuts one that is within its budget."""
    seen: list[object] = []
    answered: list[str] = []

    async def flow(ch: AgiChannel) -> None:
        for n in range(8):
            await ch.verbose(f"n{n}")
            answered.append(f"n{n}")

    async def scenario() -> None:
        async with serving(recording(flow, seen), command_timeout=0.3) as (server, call):
            peer = await call()
            for n in range(8):
                await peer.expect(f"VERBOSE n{n} 1")
                await asyncio.sleep(0.1)  # a third of the budget: 0.8 s in all
                await peer.send(b"200 result=1\n")
            await _wait_idle(server)

    run(scenario())
    assert seen == [] and len(answered) == 8


def test_channel_second_command_before_the_first_reply_is_refused_stream_kept() -> None:
    """AGI replies carry no id: a command sent while another awaits its reply is a bug in
    the flow, refused at once; the first command still gets its own reply."""
    seen: list[object] = []
    got: list[str | None] = []

    async def flow(ch: AgiChannel) -> None:
        first = asyncio.create_task(ch.get_variable("A"))
        await asyncio.sleep(0.05)
        try:
            await ch.get_variable("B")
        except AgiUsageError as exc:
            seen.append(exc)
        got.append(await first)

    async def scenario() -> None:
        async with serving(recording(flow, seen)) as (server, call):
            peer = await call()
            await peer.expect("GET VARIABLE A")
            await asyncio.sleep(0.2)
            await peer.send(b"200 result=1 (one)\n")
            await _wait_idle(server)

    run(scenario())
    assert [type(e) for e in seen] == [AgiUsageError]
    assert "while GET VARIABLE awaits its reply" in str(seen[0])
    assert got == ["one"]


def test_channel_eof_mid_reply_raises_caller_hangup(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="ivr.agi")
    seen: list[object] = []

    async def flow(ch: AgiChannel) -> None:
        try:
            await ch.answer()
        except CallerHangup as exc:
            seen.append(exc)
        await ch.verbose("gone?")  # fails at once, nothing is written to the dead socket

    async def scenario() -> None:
        async with serving(recording(flow, seen)) as (server, call):
            peer = await call()
            await peer.reply("ANSWER", b"200 resu")
            peer.writer.write_eof()
            assert await peer.closed_by_server()
            await _wait_idle(server)

    run(scenario())
    assert [type(e) for e in seen] == [CallerHangup, CallerHangup]
    assert "mid-reply" in str(seen[0])
    hangups = [r for r in caplog.records if "caller hung up" in r.getMessage()]
    assert [r.levelno for r in hangups] == [logging.INFO]


# --- probes, isolation, limits ---------------------------------------------------------


async def _normal_call(call: Callable[..., Awaitable[FakeAsterisk]]) -> None:
    peer = await call()
    await peer.reply("ANSWER", b"200 result=0\n")
    assert await peer.closed_by_server()


async def _answer_only(ch: AgiChannel) -> None:
    await ch.answer()


def test_server_connect_and_close_probes_keep_loop_idle_and_serving() -> None:
    async def scenario() -> None:
        async with serving(_answer_only) as (server, call):
            for _ in range(20):
                probe = await FakeAsterisk.connect(server.port)
                await probe.close()
            await _wait_idle(server)
            # a server spinning on the closed sockets would burn this whole second
            started = time.process_time()
            await asyncio.sleep(1.0)
            assert time.process_time() - started < 0.5
            await _normal_call(call)

    run(scenario())


def test_server_silent_probe_closed_after_header_timeout_others_served() -> None:
    async def scenario() -> None:
        async with serving(_answer_only, header_timeout=0.3) as (server, call):
            silent = await FakeAsterisk.connect(server.port)
            half = await FakeAsterisk.connect(server.port, b"agi_network: yes\n")
            await _normal_call(call)  # served while both probes are still open
            assert await silent.closed_by_server()
            assert await half.closed_by_server()
            await silent.close()
            await half.close()
            await _wait_idle(server)

    run(scenario())


def test_server_garbage_header_closes_socket() -> None:
    async def scenario() -> None:
        async with serving(_answer_only) as (server, call):
            probe = await FakeAsterisk.connect(server.port, b"GET / HTTP/1.1\r\n\r\n")
            assert await probe.closed_by_server()
            await probe.close()
            await _normal_call(call)

    run(scenario())


def test_server_handler_error_leaves_other_sessions_unharmed(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="ivr.agi")
    finished: list[str] = []

    async def handler(ch: AgiChannel) -> None:
        await ch.answer()
        if ch.env["agi_network_script"] == "boom":
            raise RuntimeError("flow bug")
        await ch.verbose("second")
        finished.append(ch.uniqueid)

    async def scenario() -> None:
        async with serving(handler) as (_, call):
            good = await call("hajj/menu", "1.1")
            await good.reply("ANSWER", b"200 result=0\n")
            bad = await call("boom", "2.2")
            await bad.reply("ANSWER", b"200 result=0\n")
            assert await bad.closed_by_server()
            await good.reply("VERBOSE second 1", b"200 result=1\n")
            assert await good.closed_by_server()

    run(scenario())
    assert finished == ["1.1"]
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1 and errors[0].exc_info is not None
    assert "2.2" in errors[0].getMessage()
    assert CALLER not in caplog.text and "Siti" not in caplog.text


def test_server_over_max_sessions_refuses_connection(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="ivr.agi")

    async def scenario() -> None:
        async with serving(_answer_only, max_sessions=1) as (server, call):
            first = await call()
            await first.expect("ANSWER")  # its session is running now
            refused = await call()
            assert await refused.closed_by_server()
            assert server.active_sessions == 1
            await first.send(b"200 result=0\n")
            assert await first.closed_by_server()
            await _wait_idle(server)
            await _normal_call(call)

    run(scenario())
    assert any("max_sessions" in r.getMessage() for r in caplog.records)


def test_server_close_cancels_running_sessions() -> None:
    async def scenario() -> None:
        async with serving(_answer_only) as (server, call):
            peer = await call()
            await peer.expect("ANSWER")
            await server.close()
            assert server.active_sessions == 0
            assert await peer.closed_by_server()

    run(scenario())


def test_server_on_command_hears_each_command_by_name_failures_too() -> None:
    """What /metrics' AGI latency histogram is fed: one call per command, its name without
    arguments, its time (a failed command counts as well)."""
    heard: list[tuple[str, float]] = []

    async def flow(ch: AgiChannel) -> None:
        await ch.answer()
        await ch.stream_file("hajj/welcome", "12")
        with contextlib.suppress(AgiUsageError):
            await ch.set_variable("X", "1")

    async def scenario() -> None:
        async with serving(flow, on_command=lambda c, s: heard.append((c, s))) as (server, call):
            peer = await call("hajj/menu")
            await peer.reply("ANSWER", b"200 result=0\n")
            await peer.reply("STREAM FILE hajj/welcome 12", b"200 result=0 endpos=800\n")
            await peer.reply("SET VARIABLE X 1", b"510 Invalid or unknown command\n")
            await _wait_idle(server)

    run(scenario())
    assert [name for name, _ in heard] == ["ANSWER", "STREAM FILE", "SET VARIABLE"]
    assert all(0 <= seconds < 20 for _, seconds in heard)
