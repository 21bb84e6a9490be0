"""The web app with ``[database] url``: two nodes' web apps on one PostgreSQL. An admin
logs in on one, opens a complaint page with the cookie on the other, logs out there, and
the first refuses the cookie; the tickets, accounts and sessions make no SQLite file."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from ivr import config as config_mod
from ivr import storefiles
from ivr.agents.store import AgentStore
from ivr.complaints import tickets
from ivr.web.app import build_app
from ivr.web.screenpop import ScreenPop
from ivr.web.sessioncookie import COOKIE
from tests.rig import web
from tests.test_web_complaints import NoAmi, logged_in


def test_web_with_a_database_url_shares_logins_and_tickets_between_nodes(
    tmp_path: Path, pg_url: str
) -> None:
    config = config_mod.load(
        file=None, env={}, overrides={"state_dir": tmp_path, "database.url": pg_url}
    )
    storefiles.migrate_shared(config)  # `hajj-ivr db migrate`
    password = AgentStore.for_config(config).add("rahmat", 0, role="admin")[1].web
    ticket = tickets.for_config(config).open(
        source="phone", category="payment", who="caller", caller="0811"
    )
    pop = ScreenPop(config.calllog_path, config.mirror_path)
    one, two = (build_app(config, pop=pop, ami=NoAmi()) for _ in range(2))  # type: ignore[arg-type]

    async def visit() -> None:
        async with logged_in(one, "rahmat", password) as first:
            cookie = first.cookies[COOKIE]
            other = httpx.AsyncClient(
                transport=httpx.ASGITransport(app=two), base_url="http://127.0.0.1"
            )
            async with other as second:
                second.cookies.set(COOKIE, cookie)
                page = await second.get(f"/complaints/{ticket.number}")
                assert page.status_code == 200 and ticket.number in page.text
                assert "payment" in page.text or "Pembayaran" in page.text
                logout = await second.post("/logout", data={"csrf": web.csrf(page.text)})
                assert logout.status_code == 303
            refused = await first.get(f"/complaints/{ticket.number}")
            assert refused.status_code in (302, 303, 401, 403)
            assert ticket.number not in refused.text

    asyncio.run(visit())
    assert not any(
        (tmp_path / name).exists()
        for name in ("agents.sqlite", "complaints.sqlite", "admin.sqlite")
    )
