"""Prompts spoken by people and the offline voice, without Asterisk: prompt numbers, admins'
phone PINs, the dashboard's Prompt page (the list and the recordings, admins only, over
HTTP), MBROLA's voice falling back to espeak-ng's ``id`` with a message, and the build
saying which voice made each prompt."""

from __future__ import annotations

import asyncio
import os
import re
import stat
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette

from ivr import cli
from ivr import config as config_mod
from ivr.admin.audit import Audit
from ivr.admin.studio import Studio, recorded_dirs
from ivr.agents.store import AgentError, AgentStore
from ivr.calllog import connect
from ivr.config import Config, PromptSettings
from ivr.guard import SCHEMA, Guard, Limit, Limits
from ivr.prompts import build
from ivr.prompts.catalog import Catalog, Prompt
from ivr.web.app import build_app
from ivr.web.screenpop import ScreenPop
from tests.rig import web
from tests.test_web_complaints import NoAmi

PROMPTS = Path(__file__).resolve().parents[1] / "prompts"


def _config(tmp_path: Path) -> Config:
    overrides = {"state_dir": tmp_path, "prompts.engine": "espeak", "prompts.espeak_speed": 200}
    return config_mod.load(file=None, env={}, overrides=overrides)


# --- prompt numbers -----------------------------------------------------------------------


def test_prompt_numbers_are_four_digits_unique_and_survive_new_prompts() -> None:
    catalog = Catalog.load(PROMPTS)
    numbers = catalog.numbers()
    assert len(numbers) == len(catalog) and all(1000 <= n <= 9999 for n in numbers)
    more = Catalog({**catalog, "zz-new-prompt": Prompt("zz-new-prompt", "baru")})
    moved = [p for p, n in catalog.number_of().items() if more.number_of()[p] != n]
    assert moved == []


# --- admins' phone PINs -----------------------------------------------------------------


def test_phone_pin_is_hashed_checked_and_ends_with_the_admin(tmp_path: Path) -> None:
    config = _config(tmp_path)
    store = AgentStore.for_config(config)
    store.add("rahmat", 0, role="admin")
    studio = Studio(config)
    number, pin = studio.new_pin("rahmat")
    assert number == "101" and len(pin) == 6 and pin.isdigit()
    assert pin not in (config.state_dir / "admin.sqlite").read_bytes().decode("latin-1")
    assert studio.check_pin(number, pin) == "rahmat"
    assert studio.check_pin(number, f"{(int(pin) + 1) % 10**6:06d}") is None
    again, new = studio.new_pin("rahmat")
    assert again == number and studio.check_pin(number, pin) is None  # the old PIN is gone
    store.remove("rahmat", role="admin")
    assert studio.check_pin(number, new) is None
    store.add("rahmat", 0, role="admin")  # made again: the old PIN does not follow
    assert studio.check_pin(number, new) is None
    store.add("siti", 1)
    with pytest.raises(AgentError, match="siti"):
        studio.new_pin("siti")  # an agent is not an admin


def test_wrong_pins_lock_each_staff_phone_and_each_admin_number(tmp_path: Path) -> None:
    """Staff phones' caller IDs are their endpoints' names: each is counted on its own,
    not in the one "anonymous" bucket of non-numeric caller IDs."""
    guard = Guard(connect(tmp_path / "calls.sqlite", SCHEMA), Limits(pin=Limit(2, 3600.0)))
    assert not guard.pin_failed("siti", "101")
    assert guard.pin_failed("siti")  # this phone: locked
    assert not guard.pin_locked("dewi")  # another phone is not
    assert guard.pin_failed("dewi", "101")  # admin 101's second wrong PIN: locked
    assert guard.pin_locked("0811000040", "101")  # ... from any phone
    assert not guard.pin_locked("0811000040")
    assert [(a.kind, a.what, a.subject) for a in guard.alerts()] == [
        ("pin_failed", "admin", "101"),
        ("pin_failed", "phone", "siti"),
    ]


# --- the dashboard's Prompt page ---------------------------------------------------------


def test_prompt_page_lists_recorded_prompts_and_plays_them_to_admins_only(tmp_path: Path) -> None:
    config = _config(tmp_path)
    store = AgentStore.for_config(config)
    _, admin = store.add("rahmat", 0, role="admin")
    _, agent = store.add("siti", 1)
    kept = recorded_dirs(config)[0]
    kept.mkdir(parents=True)
    web.tone_wav(kept / "you-entered.wav", 1)
    number = Catalog.load(config.prompts_dir).number_of()["you-entered"]
    app = build_app(config, pop=ScreenPop(config.calllog_path, config.mirror_path), ami=NoAmi())  # type: ignore[arg-type]

    async def visit(name: str, password: str) -> tuple[httpx.Response, httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c:
            if name:
                token = web.csrf((await c.get("/login")).text)
                await c.post("/login", data={"name": name, "password": password, "csrf": token})
            return await c.get("/admin/prompts"), await c.get(f"/admin/prompts/{number}.wav")

    page, audio = asyncio.run(visit("rahmat", admin.web))
    assert page.status_code == 200
    recorded = page.text.split('id="recorded"')[1].split("</table>")[0]
    assert "you-entered" in recorded and str(number) in recorded and "telepon" in recorded
    assert f'src="/admin/prompts/{number}.wav"' in recorded
    assert audio.status_code == 200 and audio.headers["content-type"] == "audio/wav"
    assert audio.content == (kept / "you-entered.wav").read_bytes()
    forgotten = asyncio.run(forget(app, admin.web, number))
    assert forgotten.status_code == 200 and 'id="result"' in forgotten.text
    assert not (kept / "you-entered.wav").exists()
    assert build.voice_of(config.sounds_dir)["you-entered"] == "espeak:id"
    logged = Audit.for_config(config).recent(1)[0]
    assert (logged.who, logged.what) == ("rahmat", "recording") and "removed" in logged.detail
    anonymous_page, anonymous_audio = asyncio.run(visit("", ""))
    assert anonymous_page.status_code == 303 and anonymous_audio.status_code == 401
    _, agents_audio = asyncio.run(visit("siti", agent.web))
    assert agents_audio.status_code == 403


async def forget(app: Starlette, password: str, number: int) -> httpx.Response:
    """An admin presses "Hapus rekaman" on the Prompt page (the form's CSRF token)."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c:
        token = web.csrf((await c.get("/login")).text)
        await c.post("/login", data={"name": "rahmat", "password": password, "csrf": token})
        token = web.csrf((await c.get("/admin/prompts")).text)
        assert (await c.post(f"/admin/prompts/{number}/forget", data={})).status_code == 403
        return await c.post(f"/admin/prompts/{number}/forget", data={"csrf": token})


# --- the offline voice ---------------------------------------------------------------


def test_mbrola_voice_missing_falls_back_to_espeak_id_with_a_message(tmp_path: Path) -> None:
    voice, note = build.espeak_voice(PromptSettings(espeak_voice="mb-id1"), tmp_path)
    assert voice == "id"
    assert "mb-id1" in note and "apt-get install mbrola mbrola-id1" in note
    assert build.espeak_voice(PromptSettings(espeak_voice="id"), tmp_path) == ("id", "")


def test_mbrola_voice_installed_is_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "id1").mkdir()
    (tmp_path / "id1" / "id1").write_bytes(b"database")
    program = tmp_path / "bin" / "mbrola"
    program.parent.mkdir()
    program.write_text("#!/bin/sh\n")
    program.chmod(program.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{program.parent}{os.pathsep}{os.environ['PATH']}")
    assert build.espeak_voice(PromptSettings(espeak_voice="mb-id1"), tmp_path) == ("mb-id1", "")


def test_build_says_which_voice_made_each_prompt(tmp_path: Path) -> None:
    """Here MBROLA's voice is not installed (Debian's mbrola is in contrib/non-free): the
    build falls back, says why, and the manifest names the voice of each prompt."""
    if build.espeak_voice(PromptSettings(espeak_voice="mb-id1"))[0] != "id":
        pytest.skip("MBROLA's Indonesian voice is installed here")
    catalog = Catalog(
        {
            "greeting": Prompt("greeting", "Selamat datang"),
            "goodbye": Prompt("goodbye", "Terima kasih"),
        }
    )
    recorded = tmp_path / "recorded"
    recorded.mkdir()
    web.tone_wav(recorded / "goodbye.wav", 1)
    settings = PromptSettings(engine="espeak", espeak_voice="mb-id1", espeak_speed=200)
    report = build.build(catalog, tmp_path / "sounds", [recorded], settings)
    assert report.voice == "espeak:id" and "mbrola" in report.note
    assert build.voice_of(tmp_path / "sounds") == {"greeting": "espeak:id", "goodbye": "recorded"}
    again = build.build(catalog, tmp_path / "sounds", [recorded], settings)
    assert sorted(again.unchanged) == ["goodbye", "greeting"]


def test_cli_admins_pin_prints_the_number_and_pin_once_and_prompts_list_numbers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = ["--state-dir", str(tmp_path)]
    assert cli.main([*state, "admins", "add", "rahmat"]) == 0
    assert cli.main([*state, "admins", "pin", "rahmat"]) == 0
    printed = capsys.readouterr().out
    found = re.search(r"admin number (\d+) then # and PIN (\d{6})", printed)
    assert found, printed
    config = config_mod.load(file=None, env={}, overrides={"state_dir": tmp_path})
    assert Studio(config).check_pin(found[1], found[2]) == "rahmat"
    assert cli.main([*state, "prompts", "list"]) == 0
    number = Catalog.load(PROMPTS).number_of()["greeting"]
    assert re.search(rf"^{number} greeting ", capsys.readouterr().out, re.M)
