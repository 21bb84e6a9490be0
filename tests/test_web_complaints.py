"""An agent opens a complaint during a call: the call's caller and porsi come with it."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from ivr import config as config_mod
from ivr.agents.store import AgentStore
from ivr.complaints import tickets
from ivr.web.app import build_app
from ivr.web.screenpop import ScreenPop


class NoAmi:
    connected = False

    def on_event(self, pattern: str, callback: Callable[[Any], None]) -> None:
        pass


def test_agent_creates_a_complaint_with_the_calls_context(tmp_path: Path) -> None:
    config = config_mod.load(file=None, env={}, overrides={"state_dir": tmp_path})
    _, password = AgentStore(config.agents_path).add("siti", 1)
    pop = ScreenPop(config.calllog_path, config.mirror_path)
    pop.latest["siti"] = {
        "call_id": "1795650000.1",
        "caller": "081234567890",
        "porsi": "1100123456",
        "verified": True,
        "pilgrim": {"kabupaten": "Kota Surakarta", "embarkasi": "SOC"},
    }
    app = build_app(config, pop=pop, ami=NoAmi())  # type: ignore[arg-type]

    async def agent_opens_a_complaint() -> str:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            token = re.search(r'name="csrf" value="([^"]+)"', (await client.get("/login")).text)
            assert token
            await client.post(
                "/login", data={"name": "siti", "password": password, "csrf": token[1]}
            )
            page = await client.get("/agent")
            form_token = re.search(r'name="csrf" value="([^"]+)"', page.text)
            assert form_token and 'action="/complaints/new"' in page.text
            done = await client.post(
                "/complaints/new",
                data={"csrf": form_token[1], "category": "officer_conduct", "note": "kasar"},
            )
            assert done.status_code == 303
            number = done.headers["location"].rsplit("/", 1)[1]
            assert (await client.get(f"/complaints/{number}")).status_code == 200
            return number

    number = asyncio.run(agent_opens_a_complaint())
    ticket = tickets.for_config(config).get(number)
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
