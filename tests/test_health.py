"""Readiness checks on real files and sockets: each turns unready for its own cause and says
why without personal data; /healthz and /readyz answer without a login."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ivr import health
from ivr.config import Config
from ivr.web.app import build_app
from tests.rig.ports import free_port
from tests.rig.sounds import SETTINGS, shared_sounds

AS_OF = dt.date(2026, 4, 10)  # the sample export's date


class Ami:
    def __init__(self, connected: bool) -> None:
        self.connected = connected


@pytest.fixture
def config(tmp_path: Path, live: Path) -> Config:
    """A state dir with the sample mirror (``live``) and every prompt built."""
    base = Config()
    (tmp_path / "state" / "sounds").symlink_to(shared_sounds(SETTINGS))
    return dataclasses.replace(base, state_dir=tmp_path / "state")


@pytest.fixture
def agi_port() -> Iterator[int]:
    """A listening port standing in for the controller's FastAGI (the kernel accepts)."""
    with socket.socket() as listening:
        listening.bind(("127.0.0.1", 0))
        listening.listen()
        yield listening.getsockname()[1]


def ready_config(config: Config, agi_port: int) -> Config:
    return dataclasses.replace(config, agi=dataclasses.replace(config.agi, port=agi_port))


def readiness(config: Config, ami: Ami | None, today: dt.date = AS_OF) -> dict[str, health.Check]:
    checks = asyncio.run(health.readiness(config, ami, today))  # type: ignore[arg-type]
    return {c.name: c for c in checks}


def test_readiness_node_with_everything_in_place_is_ready(config: Config, agi_port: int) -> None:
    found = readiness(ready_config(config, agi_port), Ami(True), AS_OF + dt.timedelta(days=45))
    assert list(found) == ["ami", "fastagi", "mirror", "prompts", "disk"]
    assert all(c.ok for c in found.values()), found
    assert found["mirror"].detail == "60 jemaah, data as of 2026-04-10"


def unready(config: Config, agi_port: int, cause: str) -> tuple[Config, Ami | None, dt.date]:
    ready, ami, today = ready_config(config, agi_port), Ami(True), AS_OF
    if cause == "ami":
        ami = Ami(False)
    elif cause == "fastagi":
        ready = ready_config(config, free_port())
    elif cause == "mirror-missing":
        ready.mirror_path.unlink()
    elif cause == "mirror-old":
        today = AS_OF + dt.timedelta(days=46)
    elif cause == "prompts":
        (ready.state_dir / "sounds").unlink()
        (ready.state_dir / "sounds").mkdir()
    elif cause == "disk":
        web = dataclasses.replace(ready.web, ready_min_free_mib=1 << 40)
        ready = dataclasses.replace(ready, web=web)
    return ready, ami, today


@pytest.mark.parametrize(
    ("cause", "check", "says"),
    [
        ("ami", "ami", "not logged in"),
        ("fastagi", "fastagi", "nothing listening on 127.0.0.1:"),
        ("mirror-missing", "mirror", "no data imported"),
        ("mirror-old", "mirror", "data as of 2026-04-10 is 46 days old (limit 45)"),
        ("prompts", "prompts", "not built"),
        ("disk", "disk", "MiB free on the state dir's disk"),
    ],
)
def test_readiness_each_cause_alone_makes_the_node_unready(
    config: Config, agi_port: int, cause: str, check: str, says: str
) -> None:
    found = readiness(*unready(config, agi_port, cause))
    assert [c.name for c in found.values() if not c.ok] == [check]
    assert says in found[check].detail
    assert str(config.state_dir) not in found[check].detail


def test_healthz_and_readyz_answer_without_a_login_and_say_nothing_personal(
    config: Config,
) -> None:
    async def get(path: str) -> httpx.Response:
        transport = httpx.ASGITransport(app=build_app(config))
        async with httpx.AsyncClient(transport=transport, base_url="http://hotline") as client:
            return await client.get(path)

    alive = asyncio.run(get("/healthz"))
    assert alive.status_code == 200 and alive.text == "ok\n"
    assert alive.headers["cache-control"] == "no-store"
    ready = asyncio.run(get("/readyz"))  # no lifespan here: no AMI connection, no FastAGI
    assert ready.status_code == 503 and ready.json()["ready"] is False
    assert ready.json()["checks"]["ami"] == {
        "ok": False,
        "detail": "not logged in to Asterisk's AMI",
    }
    assert ready.headers["content-security-policy"]
