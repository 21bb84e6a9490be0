"""AmiClient against a scripted AMI peer over real loopback sockets."""

from __future__ import annotations

import asyncio
import inspect
import logging
import socket
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import pytest

from ivr.ami.client import AmiClient, Sleep, max_reconnect_delay
from ivr.errors import AmiActionError, AmiDisconnected, AmiError, AmiTimeout

SECRET = "s3cret-never-logged"
BANNER = b"Asterisk Call Manager/9.0.0\r\n"


def encode(*pairs: tuple[str, str]) -> bytes:
    return b"".join(f"{key}: {value}\r\n".encode() for key, value in pairs) + b"\r\n"


def parse(block: bytes) -> dict[str, str]:
    fields: dict[str, str] = {}
    for line in block.decode().split("\r\n"):
        if ": " in line:
            key, value = line.split(": ", 1)
            fields[key] = value
    return fields


class Peer:
    """One connection accepted by the fake; ``frozen`` makes it swallow every action."""

    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self.writer = writer
        self.frozen = False
        self.ended = False  # the client hung up (we read EOF)

    def send(self, **fields: str) -> None:
        self.writer.write(encode(*fields.items()))

    def reply(self, action: Mapping[str, str], **fields: str) -> None:
        self.send(Response="Success", ActionID=action["ActionID"], **fields)


Handler = Callable[[Peer, dict[str, str]], Awaitable[None] | None]


class FakeAmi:
    """A scripted Asterisk manager: Login and Ping as Asterisk 22 answers them, any other
    action per ``handlers`` (unanswered if none)."""

    def __init__(self) -> None:
        self.handlers: dict[str, Handler] = {}
        self.received: list[dict[str, str]] = []
        self.peers: list[Peer] = []
        self.down = False  # Asterisk is restarting: connections are closed at once
        self.refused = 0
        self._tasks: set[asyncio.Task[Any]] = set()

    async def __aenter__(self) -> FakeAmi:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._server.close()
        for peer in self.peers:
            peer.writer.close()
        await self._server.wait_closed()
        await asyncio.gather(*self._tasks)

    def names(self) -> list[str]:
        return [action.get("Action", "") for action in self.received]

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        if self.down:
            self.refused += 1
            writer.close()
            return
        peer = Peer(writer)
        self.peers.append(peer)
        writer.write(BANNER)
        try:
            while True:
                action = parse(await reader.readuntil(b"\r\n\r\n"))
                self.received.append(action)
                if not peer.frozen:
                    await self._answer(peer, action)
        except (asyncio.IncompleteReadError, ConnectionError):
            peer.ended = True
        finally:
            writer.close()

    async def _answer(self, peer: Peer, action: dict[str, str]) -> None:
        name = action.get("Action", "")
        if name in self.handlers:
            result = self.handlers[name](peer, action)
            if inspect.isawaitable(result):
                await result
        elif name == "Login" and action.get("Secret") == SECRET:
            peer.reply(action, Message="Authentication accepted")
            peer.send(Event="FullyBooted", Privilege="system,all", Status="Fully Booted")
        elif name == "Login":  # Asterisk answers, then hangs up
            peer.send(
                Response="Error", ActionID=action["ActionID"], Message="Authentication failed"
            )
            peer.writer.close()
        elif name == "Ping":
            peer.reply(action, Ping="Pong", Timestamp="1732560000.000000")


def client_for(
    fake: FakeAmi, secret: str = SECRET, sleep: Sleep = asyncio.sleep, **options: float
) -> AmiClient:
    settings = {"action_timeout": 1.0, "ping_interval": 5.0, "ping_timeout": 0.2}
    settings |= {"reconnect_delay": 0.05, **options}
    return AmiClient("127.0.0.1", fake.port, "hajj", secret, sleep=sleep, **settings)


async def eventually(condition: Callable[[], bool], within: float = 3.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not condition():
        assert loop.time() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


# --- login ---------------------------------------------------------------------------


def test_connect_right_secret_logs_in() -> None:
    async def main() -> None:
        async with FakeAmi() as fake:
            client = client_for(fake)
            await client.connect(timeout=2.0)
            assert client.connected
            assert fake.received[0] | {"ActionID": "-"} == {
                "Action": "Login",
                "ActionID": "-",
                "Events": "on",
                "Secret": SECRET,
                "Username": "hajj",
            }
            assert SECRET not in repr(client)
            await client.close()

    asyncio.run(main())


def test_connect_wrong_secret_raises_ami_error_without_the_secret(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "wrong-secret-xyz"

    async def main() -> None:
        async with FakeAmi() as fake:
            client = client_for(fake, secret=wrong)
            with pytest.raises(AmiError, match="refused login as 'hajj': Authentication failed"):
                await client.connect(timeout=2.0)
            assert not client.connected
            await client.close()

    asyncio.run(main())
    assert wrong not in caplog.text


def test_connect_nobody_listening_raises_ami_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]

    async def main() -> None:
        client = AmiClient("127.0.0.1", port, "hajj", SECRET)
        with pytest.raises(AmiError, match="cannot reach AMI"):
            await client.connect(timeout=2.0)
        await client.close()

    asyncio.run(main())


def test_connect_login_unanswered_raises_timeout() -> None:
    async def main() -> None:
        async with FakeAmi() as fake:
            fake.handlers["Login"] = lambda peer, action: None
            client = client_for(fake)
            with pytest.raises(AmiTimeout):
                await client.connect(timeout=0.2)
            await client.close()

    asyncio.run(main())


# --- actions -------------------------------------------------------------------------


def test_action_answered_returns_plain_fields() -> None:
    async def main() -> None:
        async with FakeAmi() as fake:
            fake.handlers["Getvar"] = lambda peer, a: peer.reply(a, Variable="LANG", Value="id")
            client = client_for(fake)
            await client.connect()
            answer = await client.action("Getvar", Channel="PJSIP/1-01", Variable="LANG")
            assert dict(answer) == {
                "Response": "Success",
                "ActionID": fake.received[-1]["ActionID"],
                "Variable": "LANG",
                "Value": "id",
            }
            assert fake.received[-1]["Channel"] == "PJSIP/1-01"
            await client.close()

    asyncio.run(main())


def test_action_error_response_raises_action_error_with_message() -> None:
    async def main() -> None:
        async with FakeAmi() as fake:
            fake.handlers["Hangup"] = lambda peer, a: peer.send(
                Response="Error", ActionID=a["ActionID"], Message="No such channel"
            )
            client = client_for(fake)
            await client.connect()
            with pytest.raises(AmiActionError, match="No such channel"):
                await client.action("Hangup", Channel="PJSIP/9-99")
            assert client.connected
            await client.close()

    asyncio.run(main())


def test_action_unanswered_raises_timeout_and_late_answer_is_ignored() -> None:
    async def main() -> None:
        async with FakeAmi() as fake:
            held: list[dict[str, str]] = []
            fake.handlers["Getvar"] = lambda peer, a: held.append(a)
            client = client_for(fake, action_timeout=0.2)
            await client.connect()
            loop = asyncio.get_running_loop()
            started = loop.time()
            with pytest.raises(AmiTimeout, match="Getvar"):
                await client.action("Getvar", Variable="A")
            assert loop.time() - started < 1.0  # bounded by the timeout, not hanging
            fake.peers[0].reply(held[0], Value="late")
            fake.handlers["Getvar"] = lambda peer, a: peer.reply(a, Value="fresh")
            assert (await client.action("Getvar", Variable="B"))["Value"] == "fresh"
            await client.close()

    asyncio.run(main())


def test_action_peer_drops_before_answer_raises_disconnected_and_is_not_replayed() -> None:
    async def main() -> None:
        async with FakeAmi() as fake:
            fake.handlers["Status"] = lambda peer, a: peer.writer.close()
            client = client_for(fake, action_timeout=5.0)
            await client.connect()
            with pytest.raises(AmiDisconnected, match="may or may not have run"):
                await client.action("Status")
            await eventually(lambda: client.connected and len(fake.peers) == 2)
            await client.action("Ping")
            assert fake.names().count("Status") == 1
            await client.close()

    asyncio.run(main())


def test_action_while_disconnected_raises_and_is_never_sent() -> None:
    async def main() -> None:
        async with FakeAmi() as fake:
            client = client_for(fake, reconnect_delay=0.3)
            await client.connect()
            fake.peers[0].writer.close()
            await eventually(lambda: not client.connected)
            with pytest.raises(AmiDisconnected, match="UserEvent was not sent"):
                await client.action("UserEvent", UserEvent="stale")
            with pytest.raises(AmiDisconnected):
                await client.originate(Channel="Local/500@test", Application="Wait", Data="1")
            await eventually(lambda: client.connected)
            await client.action("Ping")  # FullyBooted came before this answer
            assert "UserEvent" not in fake.names()
            assert "Originate" not in fake.names()
            await client.close()

    asyncio.run(main())


def test_action_field_with_line_break_raises_before_sending() -> None:
    async def main() -> None:
        async with FakeAmi() as fake:
            client = client_for(fake)
            await client.connect()
            with pytest.raises(AmiError, match="line break"):
                await client.action("UserEvent", UserEvent="x\r\nAction: Originate")
            await client.action("Ping")
            assert fake.names() == ["Login", "Ping"]
            await client.close()

    asyncio.run(main())


def test_action_list_event_list_returns_the_items() -> None:
    def channels(peer: Peer, action: dict[str, str]) -> None:
        peer.reply(action, EventList="start", Message="Channels will follow")
        peer.send(Event="CoreShowChannel", ActionID=action["ActionID"], Channel="PJSIP/1-01")
        peer.send(Event="Newexten", Channel="PJSIP/3-03")  # unrelated, interleaved
        peer.send(Event="CoreShowChannel", ActionID=action["ActionID"], Channel="PJSIP/2-02")
        peer.send(
            Event="CoreShowChannelsComplete",
            ActionID=action["ActionID"],
            EventList="Complete",
            ListItems="2",
        )

    async def main() -> None:
        async with FakeAmi() as fake:
            fake.handlers["CoreShowChannels"] = channels
            client = client_for(fake)
            seen: list[str] = []
            client.on_event("Newexten", lambda e: seen.append(e["Channel"]))
            await client.connect()
            items = await client.action_list("CoreShowChannels")
            assert [(i["Event"], i["Channel"]) for i in items] == [
                ("CoreShowChannel", "PJSIP/1-01"),
                ("CoreShowChannel", "PJSIP/2-02"),
            ]
            assert seen == ["PJSIP/3-03"]
            await client.close()

    asyncio.run(main())


def test_action_list_error_response_raises_action_error_at_once() -> None:
    async def main() -> None:
        async with FakeAmi() as fake:
            fake.handlers["QueueStatus"] = lambda peer, a: peer.send(
                Response="Error", ActionID=a["ActionID"], Message="Permission denied"
            )
            client = client_for(fake, action_timeout=5.0)
            await client.connect()
            with pytest.raises(AmiActionError, match="Permission denied"):
                await client.action_list("QueueStatus")
            await client.close()

    asyncio.run(main())


def test_originate_async_false_sends_async_true() -> None:
    def originate(peer: Peer, action: dict[str, str]) -> None:
        peer.reply(action, Message="Originate successfully queued")
        peer.send(  # in the same TCP write: the waiter must already listen
            Event="OriginateResponse",
            ActionID=action["ActionID"],
            Response="Success",
            Channel="Local/500@test-00000001;1",
            Reason="4",
        )

    async def main() -> None:
        async with FakeAmi() as fake:
            fake.handlers["Originate"] = originate
            client = client_for(fake)
            await client.connect()
            outcome = client.wait_event(
                "OriginateResponse", lambda e: e.get("ActionID") == "call-1", 1.0
            )
            fields = {"Channel": "Local/500@test", "Exten": "s", "async": "no", "Async": "false"}
            answer = await client.originate(ActionID="call-1", **fields)
            assert answer["Message"] == "Originate successfully queued"
            assert (await outcome)["Reason"] == "4"
            sent = fake.received[-1]
            assert {k: v for k, v in sent.items() if k.lower() == "async"} == {"Async": "true"}
            await client.close()

    asyncio.run(main())


def test_command_output_lines_returns_text() -> None:
    def command(peer: Peer, action: dict[str, str]) -> None:
        pairs = [("Response", "Success"), ("ActionID", action["ActionID"])]
        pairs += [("Message", "Command output follows")]
        pairs += [("Output", "Asterisk 22.1.0 built by root"), ("Output", "on x86_64")]
        peer.writer.write(encode(*pairs))

    async def main() -> None:
        async with FakeAmi() as fake:
            fake.handlers["Command"] = command
            client = client_for(fake)
            await client.connect()
            assert await client.command("core show version") == (
                "Asterisk 22.1.0 built by root\non x86_64"
            )
            assert fake.received[-1]["Command"] == "core show version"
            await client.close()

    asyncio.run(main())


# --- events --------------------------------------------------------------------------


def test_on_event_callback_raising_keeps_connection_and_dispatch(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def sync_boom(event: Mapping[str, str]) -> None:
        raise RuntimeError("sync boom")

    async def async_boom(event: Mapping[str, str]) -> None:
        raise RuntimeError("async boom")

    async def main() -> None:
        async with FakeAmi() as fake:
            client = client_for(fake)
            seen: list[str] = []
            client.on_event("Hangup", sync_boom)
            client.on_event("Hang*", async_boom)
            client.on_event("*", lambda e: seen.append(e["Event"]))
            await client.connect()
            fake.peers[0].send(Event="Hangup", Channel="PJSIP/1-01", Cause="16")
            await eventually(lambda: "Hangup" in seen)
            await eventually(lambda: "async boom" in caplog.text)
            fake.peers[0].send(Event="Newchannel", Channel="PJSIP/2-02")
            await eventually(lambda: "Newchannel" in seen)
            assert (await client.action("Ping"))["Ping"] == "Pong"
            await client.close()

    asyncio.run(main())
    assert "sync boom" in caplog.text
    assert caplog.text.count("Traceback") == 2
    assert "never retrieved" not in caplog.text


def test_wait_event_predicate_matches_returns_event_else_times_out() -> None:
    async def main() -> None:
        async with FakeAmi() as fake:
            client = client_for(fake)
            await client.connect()
            hangup_b = client.wait_event("Hangup", lambda e: e["Channel"] == "B", 1.0)
            peer = fake.peers[0]
            peer.send(Event="Hangup", Channel="A")
            peer.send(Event="Newchannel", Channel="B")
            peer.send(Event="Hangup", Channel="B", Cause="16")
            assert dict(await hangup_b) == {"Event": "Hangup", "Channel": "B", "Cause": "16"}
            with pytest.raises(AmiTimeout, match="no Hangup event"):
                await client.wait_event("Hangup", lambda e: False, 0.1)
            await client.close()

    asyncio.run(main())


def test_event_utf8_character_split_across_packets_survives() -> None:
    async def main() -> None:
        async with FakeAmi() as fake:
            client = client_for(fake)
            await client.connect()
            waiter = client.wait_event("Newchannel", lambda e: True, 1.0)
            data = encode(("Event", "Newchannel"), ("CallerIDName", "Jamaah Ümi"))
            cut = data.index("Ü".encode()) + 1  # inside the two-byte character
            fake.peers[0].writer.write(data[:cut])
            await fake.peers[0].writer.drain()
            await asyncio.sleep(0.05)
            fake.peers[0].writer.write(data[cut:])
            assert (await waiter)["CallerIDName"] == "Jamaah Ümi"
            await client.close()

    asyncio.run(main())


# --- keepalive and close -------------------------------------------------------------


def test_keepalive_frozen_peer_is_dropped_and_client_reconnects(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def main() -> None:
        async with FakeAmi() as fake:
            client = client_for(fake, ping_interval=0.1, ping_timeout=0.1)
            await client.connect()
            fake.peers[0].frozen = True  # TCP stays up, nothing is answered any more
            await eventually(lambda: fake.peers[0].ended)
            await eventually(lambda: client.connected and len(fake.peers) == 2)
            assert (await client.action("Ping"))["Ping"] == "Pong"
            assert fake.names().count("Login") == 2
            await client.close()

    asyncio.run(main())
    assert "did not answer Ping" in caplog.text


def test_event_shutdown_drops_connection_and_client_reconnects() -> None:
    async def main() -> None:
        async with FakeAmi() as fake:
            client = client_for(fake)
            seen: list[str] = []
            client.on_event("Shutdown", lambda e: seen.append(e["Shutdown"]))
            await client.connect()
            fake.peers[0].send(Event="Shutdown", Shutdown="Cleanly", Restart="True")
            await eventually(lambda: fake.peers[0].ended)
            await eventually(lambda: client.connected and len(fake.peers) == 2)
            assert seen == ["Cleanly"]
            await client.close()

    asyncio.run(main())


def test_close_connected_leaves_no_tasks_timers_or_reconnects() -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        async with FakeAmi() as fake:
            client = client_for(fake, ping_interval=0.05)
            started = asyncio.Event()

            async def slow(event: Mapping[str, str]) -> None:
                started.set()
                await asyncio.sleep(60)

            client.on_event("FullyBooted", slow)
            await client.connect()
            await started.wait()
            waiter = client.wait_event("Hangup", lambda e: True, 60.0)
            await client.close()
            assert not client.connected
            with pytest.raises(AmiDisconnected):
                await waiter
            with pytest.raises(AmiDisconnected):
                await client.action("Ping")
            assert asyncio.all_tasks() - {asyncio.current_task()} <= fake._tasks
            assert [h for h in loop._scheduled if not h.cancelled()] == []  # type: ignore[attr-defined]
            await eventually(lambda: fake.peers[0].ended)
            await asyncio.sleep(0.2)
            assert len(fake.peers) == 1
            await client.close()  # twice is harmless
        assert asyncio.all_tasks() == {asyncio.current_task()}

    asyncio.run(main())


# --- reconnect after an outage -------------------------------------------------------


def test_max_reconnect_delay_loopback_is_short_remote_is_long() -> None:
    assert max_reconnect_delay("127.0.0.1") <= 3.0
    assert max_reconnect_delay("::1") <= 3.0
    assert max_reconnect_delay("localhost") <= 3.0
    assert max_reconnect_delay("10.1.2.3") == 30.0
    assert max_reconnect_delay("pbx.example.org") == 30.0


def test_reconnect_loopback_outage_backs_off_to_the_cap_and_runs_on_connect_again() -> None:
    async def main() -> None:
        delays: list[float] = []

        async def sleep(seconds: float) -> None:  # the schedule, not the wall clock
            delays.append(seconds)
            await asyncio.sleep(0.01)

        async with FakeAmi() as fake:
            client = client_for(fake, reconnect_delay=0.5, sleep=sleep)
            logins: list[bool] = []

            async def resync(ami: AmiClient) -> None:
                logins.append(ami.connected)
                await ami.action("Ping")  # the hook may talk to Asterisk at once

            client.on_connect(resync)
            await client.connect()
            await eventually(lambda: logins == [True])
            fake.down = True
            fake.peers[0].writer.close()  # Asterisk goes away...
            await eventually(lambda: fake.refused >= 6)
            fake.down = False  # ...and comes back
            await eventually(lambda: client.connected and logins == [True, True])
            assert delays[:6] == [0.5, 1.0, 2.0, 2.0, 2.0, 2.0]
            assert max(delays) == max_reconnect_delay("127.0.0.1") == 2.0
            assert fake.names().count("Ping") >= 2
            await client.close()

    asyncio.run(main())


def test_on_connect_hook_raising_is_logged_and_the_client_stays_up(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def main() -> None:
        async with FakeAmi() as fake:
            client = client_for(fake)

            def broken(ami: AmiClient) -> None:
                raise RuntimeError("resync bug")

            client.on_connect(broken)
            await client.connect()
            await eventually(lambda: "on_connect" in caplog.text)
            assert (await client.action("Ping"))["Ping"] == "Pong"
            await client.close()

    asyncio.run(main())
