"""Complaint pages over the ASGI app: an agent opens a complaint during a call (the
call's caller and porsi come with it); an official resolves one with a recorded reply."""

from __future__ import annotations

import asyncio
import re
import wave
from collections.abc import Callable
from pathlib import Path
from typing import Any, Self

import httpx

from ivr import config as config_mod
from ivr.agents.store import AgentStore
from ivr.complaints import tickets
from ivr.web.app import build_app
from ivr.web.screenpop import ScreenPop
from tests.rig import web

PIN = re.compile(r'id="pin">(\d{4}) ')
NUMBER = re.compile(r'id="number">(\d+)<')


def logged_in(app: Any, name: str, password: str) -> httpx.AsyncClient:
    """A client that logs in on entering its ``async with``."""

    class Client(httpx.AsyncClient):
        async def __aenter__(self) -> Self:
            await super().__aenter__()
            token = web.csrf((await self.get("/login")).text)
            done = await self.post(
                "/login", data={"name": name, "password": password, "csrf": token}
            )
            assert done.status_code == 303, done.text
            return self

    return Client(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1")


class NoAmi:
    connected = False

    def on_event(self, pattern: str, callback: Callable[[Any], None]) -> None:
        pass


def test_agent_creates_a_complaint_with_the_calls_context(tmp_path: Path) -> None:
    config = config_mod.load(file=None, env={}, overrides={"state_dir": tmp_path})
    password = AgentStore.for_config(config).add("siti", 1)[1].web
    pop = ScreenPop(config.calllog_path, config.mirror_path)
    pop.latest["siti"] = {
        "call_id": "1795650000.1",
        "caller": "081234567890",
        "porsi": "1100123456",
        "verified": True,
        "pilgrim": {"kabupaten": "Kota Surakarta", "embarkasi": "SOC"},
    }
    app = build_app(config, pop=pop, ami=NoAmi())  # type: ignore[arg-type]

    async def agent_opens_a_complaint() -> tuple[str, str]:
        async with logged_in(app, "siti", password) as client:
            page = await client.get("/agent")
            assert 'action="/complaints/new"' in page.text
            done = await client.post(
                "/complaints/new",
                data={"csrf": web.csrf(page.text), "category": "officer_conduct", "note": "kasar"},
            )
            # The new ticket's page answers, with the PIN the agent tells the caller: on
            # this answer only (a hash is kept).
            assert done.status_code == 200
            found = NUMBER.search(done.text)
            assert found, done.text
            number = found[1]
            shown = PIN.search(done.text)
            assert shown, done.text
            again = await client.get(f"/complaints/{number}")
            assert shown[1] not in again.text
            return number, shown[1]

    number, pin = asyncio.run(agent_opens_a_complaint())
    ticket = tickets.for_config(config).get(number)
    assert tickets.for_config(config).pin_ok(ticket, pin)
    assert (ticket.source, ticket.caller, ticket.porsi, ticket.porsi_verified) == (
        "agent",
        "081234567890",
        "1100123456",
        True,
    )
    assert (ticket.call_id, ticket.kabupaten, ticket.note) == (
        "1795650000.1",
        "Kota Surakarta",
        "kasar",
    )


def test_official_resolves_with_a_recorded_reply_and_a_bad_file_is_refused(
    tmp_path: Path,
) -> None:
    config = config_mod.load(file=None, env={}, overrides={"state_dir": tmp_path})
    password = AgentStore.for_config(config).add("rahmat", 0, role="admin")[1].web
    desk = tickets.for_config(config)
    ticket = desk.open(source="phone", category="payment", who="caller", caller="0811")
    app = build_app(config, pop=ScreenPop(config.calllog_path, config.mirror_path), ami=NoAmi())  # type: ignore[arg-type]
    # An officer's reply as a phone or laptop makes it: 44.1 kHz stereo.
    upload = tmp_path / "balasan.wav"
    web.tone_wav(upload, 1.5)

    async def resolve(files: dict[str, tuple[str, bytes]]) -> httpx.Response:
        async with logged_in(app, "rahmat", password) as client:
            page = await client.get(f"/complaints/{ticket.number}")
            assert 'name="reply"' in page.text
            data = {"csrf": web.csrf(page.text), "action": "resolve", "resolution": "", "note": ""}
            return await client.post(f"/complaints/{ticket.number}/action", data=data, files=files)

    async def fetch(path: str) -> httpx.Response:
        async with logged_in(app, "rahmat", password) as client:
            return await client.get(path)

    refused = asyncio.run(resolve({"reply": ("balasan.mp3", b"not audio at all")}))
    assert refused.status_code == 409 and "not audio sox can read" in refused.text
    still = desk.get(ticket.number)
    assert (still.state, still.reply) == ("new", "")
    assert not list(config.recordings_dir.glob("*reply*"))

    done = asyncio.run(resolve({"reply": ("balasan.wav", upload.read_bytes())}))
    assert done.status_code == 303
    resolved = desk.get(ticket.number)
    assert (resolved.state, resolved.resolution, resolved.reply) == (
        "resolved",
        "",
        f"{ticket.number}-reply.wav",
    )
    with wave.open(str(config.recordings_dir / resolved.reply)) as w:  # telephone format
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (8000, 1, 2)
        assert w.getnframes() >= 8000  # the 1.5 s survived the conversion
    assert ("rahmat", "resolved") in [(c.who, c.action) for c in desk.history(resolved)]
    page = asyncio.run(fetch(f"/complaints/{ticket.number}"))
    assert f'src="/complaints/{ticket.number}/reply"' in page.text
    audio = asyncio.run(fetch(f"/complaints/{ticket.number}/reply"))
    assert audio.status_code == 200 and audio.headers["content-type"] == "audio/wav"
    assert audio.content[:4] == b"RIFF"


def test_agent_gives_a_ticket_from_before_pins_a_new_pin(tmp_path: Path) -> None:
    config = config_mod.load(file=None, env={}, overrides={"state_dir": tmp_path})
    password = AgentStore.for_config(config).add("siti", 1)[1].web
    desk = tickets.for_config(config)
    old = desk.open(source="phone", category="transport", who="caller", pin="")  # no PIN
    app = build_app(config, pop=ScreenPop(config.calllog_path, config.mirror_path), ami=NoAmi())  # type: ignore[arg-type]

    async def new_pin() -> tuple[str, str]:
        async with logged_in(app, "siti", password) as client:
            page = await client.get(f"/complaints/{old.number}")
            assert 'id="pin">belum ada' in page.text
            data = {"csrf": web.csrf(page.text), "action": "new_pin"}
            done = await client.post(f"/complaints/{old.number}/action", data=data)
            assert done.status_code == 200
            shown = PIN.search(done.text)  # on the answer to the action only
            assert shown
            return shown[1], (await client.get(f"/complaints/{old.number}")).text

    pin, later = asyncio.run(new_pin())
    assert desk.pin_ok(desk.get(old.number), pin) and pin not in later
    assert [(c.who, c.action) for c in desk.history(desk.get(old.number))][-1] == (
        "siti",
        "new PIN",
    )
