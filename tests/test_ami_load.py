"""AmiClient under load, against the scripted AMI peer: a busy Asterisk (events streaming,
Pong late) is kept while a silent one is dropped; originates leave in a paced line; and no
waiter a caller gave up on ends as "Future exception was never retrieved" (issue 14)."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Mapping
from typing import Any

import pytest

from ivr import testcall
from ivr.errors import AmiTimeout
from tests.test_ami_client import FakeAmi, Peer, client_for, eventually


async def _stream(peer: Peer, running: asyncio.Event) -> None:
    """Events every 20 ms, as Asterisk sends them during hundreds of calls."""
    while running.is_set():
        peer.send(Event="QueueCallerJoin", Uniqueid="busy.1", Queue="hajj-tier1")
        await asyncio.sleep(0.02)


def test_keepalive_busy_peer_answering_ping_late_is_kept(caplog: pytest.LogCaptureFixture) -> None:
    async def main() -> None:
        async with FakeAmi() as fake:
            running = asyncio.Event()
            pongs: list[str] = []

            async def late_pong(peer: Peer, action: dict[str, str]) -> None:
                await asyncio.sleep(0.6)  # three ping timeouts behind the events
                peer.reply(action, Ping="Pong")
                pongs.append(action["ActionID"])

            fake.handlers["Ping"] = late_pong
            client = client_for(fake, ping_interval=0.05, ping_timeout=0.2)
            await client.connect()
            running.set()
            streaming = asyncio.create_task(_stream(fake.peers[0], running))
            await eventually(lambda: len(pongs) >= 2)
            running.clear()
            await streaming
            assert client.connected and len(fake.peers) == 1
            assert not fake.peers[0].ended
            await client.close()

    asyncio.run(main())
    assert "dropping" not in caplog.text


def test_keepalive_peer_falls_silent_and_never_answers_ping_is_dropped(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def main() -> None:
        async with FakeAmi() as fake:
            running = asyncio.Event()
            fake.handlers["Ping"] = lambda peer, action: None  # never answered
            client = client_for(fake, ping_interval=0.05, ping_timeout=0.2)
            await client.connect()
            running.set()
            streaming = asyncio.create_task(_stream(fake.peers[0], running))
            await asyncio.sleep(0.5)  # Pings unanswered, but the events keep it alive
            assert client.connected and len(fake.peers) == 1
            running.clear()  # now silence
            await streaming
            await eventually(lambda: fake.peers[0].ended)
            await client.close()

    asyncio.run(main())
    assert "did not answer Ping and sent nothing" in caplog.text


def _unretrieved(loop: asyncio.AbstractEventLoop) -> list[Mapping[str, Any]]:
    """What the loop reports as never retrieved, from now on."""
    reported: list[Mapping[str, Any]] = []
    loop.set_exception_handler(lambda _loop, context: reported.append(context))
    return reported


def test_place_originate_unanswered_leaves_no_future_unretrieved() -> None:
    async def main() -> list[Mapping[str, Any]]:
        reported = _unretrieved(asyncio.get_running_loop())
        async with FakeAmi() as fake:
            fake.handlers["Originate"] = lambda peer, action: None  # Asterisk swamped
            client = client_for(fake, action_timeout=0.1)
            await client.connect()
            call = testcall.TestCall("500425", "1", timeout=0.3)
            with pytest.raises(AmiTimeout, match="Originate"):
                await testcall.place(client, call)
            await asyncio.sleep(0.4)  # the call's end waiter times out, nobody awaits it
            await client.close()
        gc.collect()
        return reported

    assert asyncio.run(main()) == []


def test_close_with_waiters_nobody_awaits_reports_nothing_unretrieved() -> None:
    async def main() -> list[Mapping[str, Any]]:
        reported = _unretrieved(asyncio.get_running_loop())
        async with FakeAmi() as fake:
            client = client_for(fake)
            await client.connect()
            for n in range(3):
                client.wait_event("Hangup", lambda e: e.get("Uniqueid") == "gone", 60 + n)
            await client.close()
        gc.collect()
        return reported

    assert asyncio.run(main()) == []


def test_originate_many_at_once_reach_the_peer_paced_in_order() -> None:
    async def main() -> tuple[list[str], float]:
        async with FakeAmi() as fake:
            arrived: list[tuple[float, str]] = []
            loop = asyncio.get_running_loop()

            def answer(peer: Peer, action: dict[str, str]) -> None:
                arrived.append((loop.time(), action["Channel"]))
                peer.reply(action, Message="Originate successfully queued")

            fake.handlers["Originate"] = answer
            client = client_for(fake, originates_per_second=20.0)
            await client.connect()
            await asyncio.gather(
                *(client.originate(Channel=f"Local/{n}@t", Application="Wait") for n in range(5))
            )
            await client.close()
            return [c for _, c in arrived], arrived[-1][0] - arrived[0][0]

    order, span = asyncio.run(main())
    assert order == [f"Local/{n}@t" for n in range(5)]
    assert span >= 4 * 0.05 * 0.9  # four gaps of 1/20 s at least: never all at once


def test_off_event_callback_no_longer_called() -> None:
    async def main() -> list[str]:
        async with FakeAmi() as fake:
            seen: list[str] = []

            def note(event: Mapping[str, str]) -> None:
                seen.append(event["Uniqueid"])

            client = client_for(fake)
            client.on_event("Hangup", note)
            await client.connect()
            fake.peers[0].send(Event="Hangup", Uniqueid="1")
            await eventually(lambda: seen == ["1"])
            client.off_event("Hangup", note)
            client.off_event("Hangup", note)  # twice is harmless
            fake.peers[0].send(Event="Hangup", Uniqueid="2")
            await client.action("Ping")  # the event came before this answer
            await client.close()
            return seen

    assert asyncio.run(main()) == ["1"]
