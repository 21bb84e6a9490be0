"""The browser phone's WebSocket through the console's proxy, against real Asterisk: it
needs a live agent session, an agent speaks only as their own webrtc-NAME, and a removed
agent's phone is gone from Asterisk within seconds."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus

from ivr.agents import passwords
from ivr.secrets import load_or_create
from tests.rig import sipp, web
from tests.rig.hotline import AgentPasswords, Hotline
from tests.rig.wsphone import WsSip, closed, contacts, open_socket, session_cookie
from tests.test_call_agents import wait_for

pytestmark = pytest.mark.asterisk


@pytest.fixture(scope="module")
def agents(hotline: Hotline) -> dict[str, AgentPasswords]:
    """wira (tier 1) and wiwik (tier 1): two agents with browser phones."""
    return {name: hotline.add_agent(name, 1) for name in ("wira", "wiwik")}


def browser_password(hotline: Hotline, name: str) -> str:
    secret = load_or_create(hotline.config.secrets_path).webrtc_secret
    return passwords.webrtc_password(secret, f"webrtc-{name}")


def refused_status(hotline: Hotline, cookie: str) -> int:
    async def run() -> int:
        with pytest.raises(InvalidStatus) as refused:
            await open_socket(hotline, cookie)
        return refused.value.response.status_code

    return asyncio.run(run())


def test_phone_socket_without_a_session_is_refused(
    hotline: Hotline, agents: dict[str, AgentPasswords]
) -> None:
    assert refused_status(hotline, "") == 403
    assert refused_status(hotline, "not-a-session-id") == 403


def test_phone_socket_registers_the_agents_own_browser_phone(
    hotline: Hotline, agents: dict[str, AgentPasswords]
) -> None:
    cookie = session_cookie(hotline, "wira", agents["wira"].web)

    async def run() -> int:
        ws = await open_socket(hotline, cookie)
        try:
            sip = WsSip(ws, "webrtc-wira", password=browser_password(hotline, "wira"))
            status = await sip.register()
            assert await asyncio.to_thread(contacts, hotline, "webrtc-wira")
            await sip.register(expires=0)
            return status
        finally:
            await ws.close()

    assert asyncio.run(run()) == 200


@pytest.mark.parametrize("method", ["REGISTER", "INVITE"])
def test_phone_socket_as_another_agent_is_closed_and_never_registers(
    hotline: Hotline, agents: dict[str, AgentPasswords], method: str
) -> None:
    """wira's session with wiwik's browser password (a leaked one) still cannot speak as
    webrtc-wiwik: the proxy closes the socket before Asterisk hears it."""
    cookie = session_cookie(hotline, "wira", agents["wira"].web)

    async def run() -> bool:
        ws = await open_socket(hotline, cookie)
        sip = WsSip(ws, "webrtc-wiwik", password=browser_password(hotline, "wiwik"))
        send = sip.register() if method == "REGISTER" else sip.invite()
        with pytest.raises(ConnectionClosed):
            await send
        return await closed(ws, 5)

    assert asyncio.run(run())
    assert contacts(hotline, "webrtc-wiwik") == []


def test_phone_socket_with_anothers_digest_username_is_closed(
    hotline: Hotline, agents: dict[str, AgentPasswords]
) -> None:
    """From says wira, the credentials say wiwik: refused as well."""
    cookie = session_cookie(hotline, "wira", agents["wira"].web)

    async def run() -> bool:
        ws = await open_socket(hotline, cookie)
        sip = WsSip(
            ws, "webrtc-wira", auth_user="webrtc-wiwik", password=browser_password(hotline, "wiwik")
        )
        with pytest.raises(ConnectionClosed):
            await sip.register()
        return await closed(ws, 5)

    assert asyncio.run(run())
    assert contacts(hotline, "webrtc-wiwik") == []


def test_agents_remove_closes_the_phone_socket_and_drops_the_contact(
    hotline: Hotline, agents: dict[str, AgentPasswords]
) -> None:
    wisnu = hotline.add_agent("wisnu", 1)
    secret_password = browser_password(hotline, "wisnu")
    cookie = session_cookie(hotline, "wisnu", wisnu.web)

    async def run() -> bool:
        ws = await open_socket(hotline, cookie)
        sip = WsSip(ws, "webrtc-wisnu", password=secret_password)
        assert await sip.register() == 200
        assert await asyncio.to_thread(contacts, hotline, "webrtc-wisnu")
        await asyncio.to_thread(hotline.cli, "agents", "remove", "wisnu")
        return await closed(ws, 15)

    assert asyncio.run(run())
    wait_for(lambda: not contacts(hotline, "webrtc-wisnu"), 15, "the contact dropped")
    assert "webrtc-wisnu" not in hotline.asterisk.cli("pjsip show endpoints")
    assert refused_status(hotline, cookie) == 403


@pytest.mark.parametrize("ending", ["logout", "new web password"])
def test_session_end_closes_the_phone_socket_and_drops_the_contact(
    hotline: Hotline, agents: dict[str, AgentPasswords], ending: str
) -> None:
    with httpx.Client(base_url=hotline.web_url, timeout=10) as console:
        web.login(console, "wiwik", agents["wiwik"].web)
        cookie = console.cookies["hajj_session"]

        async def run() -> bool:
            ws = await open_socket(hotline, cookie)
            sip = WsSip(ws, "webrtc-wiwik", password=browser_password(hotline, "wiwik"))
            assert await sip.register() == 200
            assert await asyncio.to_thread(contacts, hotline, "webrtc-wiwik")
            if ending == "logout":
                token = web.csrf((await asyncio.to_thread(console.get, "/agent")).text)
                await asyncio.to_thread(console.post, "/logout", data={"csrf": token})
            else:
                printed = await asyncio.to_thread(hotline.cli, "agents", "password", "wiwik")
                agents["wiwik"] = AgentPasswords(
                    agents["wiwik"].sip, web.printed_password(printed.stdout)
                )
            return await closed(ws, 15)

        assert asyncio.run(run())
    wait_for(lambda: not contacts(hotline, "webrtc-wiwik"), 15, "the contact dropped")
    assert refused_status(hotline, cookie) == 403


def test_browser_phone_password_registers_from_no_address_but_the_proxys(
    hotline: Hotline, agents: dict[str, AgentPasswords], tmp_path: Path
) -> None:
    """The attack: an agent copies their browser phone's password out of the page (it is in
    /agent/phone/config) into a softphone on their own machine and registers over UDP,
    past the session gate, still registered after logout. 127.0.0.2 plays their machine:
    not the proxy's 127.0.0.1, yet it reaches Asterisk (the desk phone registers from it)."""
    port = hotline.config.asterisk.sip_port
    stolen = sipp.register(
        tmp_path, port, "webrtc-wiwik", browser_password(hotline, "wiwik"), local_ip="127.0.0.2"
    )
    assert not stolen.ok, "the browser phone registered from outside the proxy"
    assert not contacts(hotline, "webrtc-wiwik")
    desk = sipp.register(tmp_path, port, "agent-wiwik", agents["wiwik"].sip, local_ip="127.0.0.2")
    assert desk.ok, desk.output
