"""Logins and sessions through the ASGI app in-process, with a clock the test moves: the
absolute lifetime, the lock lifting, the cookie's flags, and scrypt bounded under a flood."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from ivr import config as config_mod
from ivr.agents import passwords
from ivr.agents.store import AgentStore
from ivr.config import Config
from ivr.web.app import build_app
from ivr.web.screenpop import ScreenPop
from tests.rig import web
from tests.rig.clock import Clock


class NoAmi:
    connected = False

    def on_event(self, pattern: str, callback: Callable[[Any], None]) -> None:
        pass


def make_app(tmp_path: Path, clock: Clock, **web_keys: Any) -> tuple[Config, Any]:
    overrides = {"state_dir": tmp_path, **{f"web.{k}": v for k, v in web_keys.items()}}
    config = config_mod.load(file=None, env={}, overrides=overrides)
    pop = ScreenPop(config.calllog_path, config.mirror_path)
    return config, build_app(config, pop=pop, ami=NoAmi(), clock=clock)  # type: ignore[arg-type]


def browser(app: Any, address: str = "10.0.0.1") -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1")


async def post_login(client: httpx.AsyncClient, name: str, password: str) -> httpx.Response:
    token = web.csrf((await client.get("/login")).text)
    return await client.post("/login", data={"name": name, "password": password, "csrf": token})


def test_session_past_the_absolute_lifetime_is_refused_while_active(tmp_path: Path) -> None:
    clock = Clock()
    config, app = make_app(tmp_path, clock, session_minutes=30, session_max_hours=2)
    password = AgentStore.for_config(config).add("siti", 1)[1].web

    async def scenario() -> None:
        async with browser(app) as client:
            assert (await post_login(client, "siti", password)).status_code == 303
            for _ in range(12):  # a click every ten minutes for two hours
                assert (await client.get("/agent")).status_code == 200
                clock.now += 600
            clock.now += 1
            answer = await client.get("/agent")
            assert answer.status_code == 303 and answer.headers["location"].startswith("/login")
            assert "hajj_session=;" in answer.headers["set-cookie"]  # the browser forgets it

    asyncio.run(scenario())


def test_session_idle_past_session_minutes_is_refused(tmp_path: Path) -> None:
    clock = Clock()
    config, app = make_app(tmp_path, clock, session_minutes=30)
    password = AgentStore.for_config(config).add("siti", 1)[1].web

    async def scenario() -> None:
        async with browser(app) as client:
            await post_login(client, "siti", password)
            clock.now += 29 * 60
            assert (await client.get("/agent/api/current")).status_code == 200
            clock.now += 31 * 60
            assert (await client.get("/agent/api/current")).status_code == 401

    asyncio.run(scenario())


def test_login_cookie_is_httponly_strict_and_secure_when_asked(tmp_path: Path) -> None:
    config = config_mod.load(file=None, env={}, overrides={"state_dir": tmp_path})
    password = AgentStore.for_config(config).add("siti", 1)[1].web
    pop = ScreenPop(config.calllog_path, config.mirror_path)
    for secure in (False, True):
        app = build_app(config, pop=pop, ami=NoAmi(), secure_cookies=secure)  # type: ignore[arg-type]

        async def cookies(app: Any = app) -> list[str]:
            async with browser(app) as client:
                form = await client.get("/login")
                token = web.csrf(form.text)
                client.cookies.set("hajj_login_csrf", token)  # a Secure one stays in https
                done = await client.post(
                    "/login", data={"name": "siti", "password": password, "csrf": token}
                )
                assert done.status_code == 303
                return form.headers.get_list("set-cookie") + done.headers.get_list("set-cookie")

        for line in asyncio.run(cookies()):
            assert "HttpOnly" in line and "SameSite=Strict" in line, line
            assert ("; Secure" in line) == secure, line


def test_login_form_token_must_come_back_in_its_cookie(tmp_path: Path) -> None:
    config, app = make_app(tmp_path, Clock())
    password = AgentStore.for_config(config).add("siti", 1)[1].web

    async def scenario() -> None:
        async with browser(app) as client:
            token = web.csrf((await client.get("/login")).text)
        async with browser(app) as elsewhere:  # a cross-site form: no cookie of ours
            data = {"name": "siti", "password": password, "csrf": token}
            assert (await elsewhere.post("/login", data=data)).status_code == 403
            elsewhere.cookies.set("hajj_login_csrf", '"><script>alert(1)</script>')
            page = await elsewhere.get("/login")
            assert "<script>" not in page.text

    asyncio.run(scenario())


def test_login_lock_refuses_the_right_password_then_lifts_after_the_configured_time(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    clock = Clock()
    config, app = make_app(tmp_path, clock, login_failures_per_name=5, login_lock_minutes=10)
    password = AgentStore.for_config(config).add("siti", 1)[1].web

    async def scenario() -> None:
        async with browser(app, "10.0.0.7") as attacker:
            for i in range(5):
                wrong = await post_login(attacker, "siti", f"salah{i}")
                assert wrong.headers["location"] == "/login?failed=1"
            locked = await post_login(attacker, "siti", password)
            assert locked.status_code == 429 and "Terlalu banyak" in locked.text
            assert locked.headers["retry-after"] == "600"
        async with browser(app, "10.0.0.8") as owner:  # the owner, elsewhere: locked too
            assert (await post_login(owner, "siti", password)).status_code == 429
            clock.now += 10 * 60 + 1
            assert (await post_login(owner, "siti", password)).headers["location"] == "/agent"

    with caplog.at_level(logging.WARNING, logger="ivr.web.logins"):
        asyncio.run(scenario())
    refusals = [r.getMessage() for r in caplog.records]
    assert "web login refused for 'siti' from 10.0.0.7: wrong name or password" in refusals
    assert any(
        m.startswith("web login refused for 'siti' from 10.0.0.8: name locked") for m in refusals
    )


class ScryptCounter:
    """Wraps passwords.scrypt: how many ran, and the most at once."""

    def __init__(self, real: Callable[[str, bytes], bytes]) -> None:
        self.real, self.total, self.running, self.peak = real, 0, 0, 0
        self.lock = threading.Lock()

    def __call__(self, password: str, salt: bytes) -> bytes:
        with self.lock:
            self.total += 1
            self.running += 1
            self.peak = max(self.peak, self.running)
        try:
            return self.real(password, salt)
        finally:
            with self.lock:
                self.running -= 1


def test_login_flood_runs_scrypt_one_at_a_time_and_none_once_locked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config, app = make_app(tmp_path, Clock())
    password = AgentStore.for_config(config).add("siti", 1)[1].web
    counter = ScryptCounter(passwords.scrypt)
    monkeypatch.setattr(passwords, "scrypt", counter)

    async def one_name_flood() -> list[int]:
        async with browser(app, "10.0.0.7") as attacker:
            token = web.csrf((await attacker.get("/login")).text)
            tries = [{"name": "siti", "password": f"x{i}", "csrf": token} for i in range(200)]
            answers = await asyncio.gather(*(attacker.post("/login", data=t) for t in tries))
            right = await attacker.post(
                "/login", data={"name": "siti", "password": password, "csrf": token}
            )
            return [a.status_code for a in answers] + [right.status_code]

    codes = asyncio.run(one_name_flood())
    assert codes.count(303) == config.web.login_failures_per_name
    assert set(codes) <= {303, 429, 503} and codes[-1] == 429
    assert counter.total == config.web.login_failures_per_name and counter.peak == 1

    async def many_names_flood() -> list[int]:
        async def one(i: int) -> int:
            async with browser(app, f"10.1.0.{i}") as client:
                return (await post_login(client, f"nama{i}", "tebakan")).status_code

        return list(await asyncio.gather(*(one(i) for i in range(60))))

    before = counter.total
    codes = asyncio.run(many_names_flood())
    assert set(codes) <= {303, 503} and 503 in codes  # beyond the queue: refused at once
    assert counter.total - before == codes.count(303) and counter.peak == 1
