"""The page helpers without a hotline: times in the configured zone with their label, CSV
cells that a spreadsheet would run, the session cookie's Secure flag."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from ivr import config as config_mod
from ivr.agents.store import AgentStore
from ivr.localtime import Clock
from ivr.web import csvfile
from ivr.web.app import build_app
from ivr.web.screenpop import ScreenPop
from tests.rig import web
from tests.test_web_complaints import NoAmi

# 2026-04-10 14:03:05 UTC
AT = dt.datetime(2026, 4, 10, 14, 3, 5, tzinfo=dt.UTC).timestamp()


@pytest.mark.parametrize(
    ("zone", "shown"),
    [
        ("Asia/Jakarta", "2026-04-10 21:03:05 WIB"),
        ("Asia/Makassar", "2026-04-10 22:03:05 WITA"),
        ("Asia/Jayapura", "2026-04-10 23:03:05 WIT"),
        ("Asia/Riyadh", "2026-04-10 17:03:05 +03:00"),  # the zone database has no name
        ("UTC", "2026-04-10 14:03:05 UTC"),
    ],
)
def test_clock_when_shows_the_zones_time_with_its_label(zone: str, shown: str) -> None:
    clock = Clock(ZoneInfo(zone))
    assert clock.when(AT) == shown
    assert clock.time_of_day(AT) == shown.split(" ", 1)[1]
    assert clock.when(None) == ""


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
        ("+62811", "'+62811"),
        ("-1+2", "'-1+2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("KOTA SURAKARTA", "KOTA SURAKARTA"),
        ("a=b", "a=b"),
        (-3, -3),  # a number stays a number
        (None, None),
    ],
)
def test_csv_cell_starting_like_a_formula_gets_a_quote(value: object, written: object) -> None:
    assert csvfile.cell(value) == written


def test_csv_text_neutralises_every_cell_and_keeps_the_rest() -> None:
    text = csvfile.text(("kabupaten", "kali"), [("=1+1", 2), ("KAB. UJI", 3)])
    assert text.splitlines() == ["kabupaten,kali", "'=1+1,2", "KAB. UJI,3"]


@pytest.mark.parametrize("secure", [False, True])
def test_session_cookie_is_secure_only_when_configured(tmp_path: Path, secure: bool) -> None:
    config = config_mod.load(
        file=None, env={}, overrides={"state_dir": tmp_path, "web.secure_cookies": secure}
    )
    _, passwords = AgentStore.for_config(config).add("siti", 1)
    app = build_app(config, pop=ScreenPop(config.calllog_path, config.mirror_path), ami=NoAmi())  # type: ignore[arg-type]

    async def log_in() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        # As behind a TLS proxy: a Secure cookie comes back only over https.
        async with httpx.AsyncClient(transport=transport, base_url="https://127.0.0.1") as client:
            token = web.csrf((await client.get("/login")).text)
            form = {"name": "siti", "password": passwords.web, "csrf": token}
            return await client.post("/login", data=form)

    answer = asyncio.run(log_in())
    assert answer.headers["location"] == "/agent"  # logged in
    cookie = answer.headers["set-cookie"].lower()
    assert cookie.startswith("hajj_session=") and "samesite=strict" in cookie
    assert ("; secure" in cookie) is secure
