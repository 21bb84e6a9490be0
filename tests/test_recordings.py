"""Agent-call recordings without a hotline: the access rule, the store and its AMI events,
the guarded audio route over the ASGI app (who hears what, every playback logged), the
retention purge, and the wallboard's disk-use warning."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import wave
from contextlib import AbstractContextManager
from pathlib import Path

import httpx
import pytest

from ivr import calldb, retention
from ivr import config as config_mod
from ivr.agents.store import AgentStore
from ivr.config import Config
from ivr.queue.recorder import RecordingTracker
from ivr.queue.recordings import Recordings, may_hear
from ivr.queue.records import QueueRecords
from ivr.store import Sql
from ivr.web.app import build_app
from ivr.web.pages import Pages
from ivr.web.screenpop import ScreenPop
from ivr.web.wallboard import Wallboard
from tests.rig import callstores
from tests.rig.postgres import Backend
from tests.test_web_complaints import NoAmi, logged_in

DAY = 86400.0
T0 = 1_800_000_000.0
CALL = "1800000000.7"
FILE = f"{CALL}-1800000030.9.wav"


@pytest.mark.parametrize(
    ("role", "user", "agent", "hears"),
    [
        ("admin", "rahmat", "alice", True),
        ("supervisor", "sri", "alice", True),
        ("agent", "alice", "alice", True),  # her own call
        ("agent", "bob", "alice", False),  # another agent's call
        ("unit", "kab-3372", "alice", False),  # a unit login hears no call
        ("agent", "", "", False),  # a row without an agent is nobody's own
        ("", "", "alice", False),
    ],
)
def test_may_hear_admins_supervisors_and_the_calls_agent_only(
    role: str, user: str, agent: str, hears: bool
) -> None:
    assert may_hear(role, user, agent) is hears


@pytest.fixture
def config(backend: Backend) -> Config:
    """The call log's stores on either backend (PostgreSQL's tables made as a controller's
    start makes them); the recordings' files beside."""
    callstores.stores(backend)
    overrides = {"state_dir": backend.folder, "database.url": backend.url}
    return config_mod.load(file=None, env={}, overrides=overrides)


@pytest.fixture
def on_sqlite(tmp_path: Path) -> Config:
    """SQLite only: the pages' guards and the disk, not the store (one backend is enough)."""
    return config_mod.load(file=None, env={}, overrides={"state_dir": tmp_path})


def db_of(config: Config) -> AbstractContextManager[Sql]:
    return calldb.opened(config)


def wav(path: Path, seconds: float = 1.0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(b"\x10\x00" * int(8000 * seconds))
    return path


def recorded(config: Config, at: float = T0, agent: str = "alice", file: str = FILE) -> int:
    """A call that waited in tier 1 and a recording of alice's leg, its file on disk."""
    with db_of(config) as db:
        QueueRecords(db).joined(CALL, "hajj-tier1", "0812", "", "", at, 1)
        made = Recordings(db).started(CALL, "hajj-tier1", agent, file, at)
    assert made is not None
    wav(config.call_recordings_dir / file)
    return made


def test_recording_tracker_files_the_event_under_the_call_and_its_stay(config: Config) -> None:
    with db_of(config) as db:
        stays = QueueRecords(db)
        stays.joined(CALL, "hajj-tier1", "0812", "", "", T0, 1)
        stays.joined(CALL, "hajj-tier2", "0812", "", "", T0 + 60, 1)  # transferred up a tier
        tracker = RecordingTracker(Recordings(db), stays, clock=lambda: T0 + 70)
        tracker({"Event": "UserEvent", "UserEvent": "HajjRecording", "Call": CALL,
                 "Queue": "hajj-tier2", "Agent": "bob", "File": FILE})  # fmt: skip
        # A file name the dialplan never makes is not joined to a path: no row.
        tracker({"Event": "UserEvent", "UserEvent": "HajjRecording", "Call": CALL,
                 "Agent": "bob", "File": "../../secrets.toml"})  # fmt: skip
        tracker({"Event": "UserEvent", "UserEvent": "HajjCallback", "Id": "3"})
        tracker({"Event": "AgentComplete", "Uniqueid": CALL, "MemberName": "bob",
                 "TalkTime": "42"})  # fmt: skip
        (only,) = Recordings(db).for_call(CALL)
        tier2 = stays.for_call(CALL)[1]
    assert (only.agent, only.queue, only.file, only.started_at) == (
        "bob",
        "hajj-tier2",
        FILE,
        T0 + 70,
    )
    assert only.stay_id == tier2.id and only.duration == 42.0


def test_recording_ended_gives_the_length_to_the_agents_open_leg_only(config: Config) -> None:
    first = recorded(config, agent="alice")
    with db_of(config) as db:
        store = Recordings(db)
        second = store.started(CALL, "hajj-tier2", "bob", f"{CALL}-1800000099.2.wav", T0 + 60)
        store.ended(CALL, "alice", 55.0)
        store.ended(CALL, "carol", 9.0)  # not on this call: nothing changes
        got = {r.id: r.duration for r in store.for_call(CALL)}
    assert got == {first: 55.0, second: None}


def test_recording_end_said_by_the_leg_fills_a_length_agentcomplete_never_gave(
    config: Config,
) -> None:
    first = recorded(config, agent="alice")
    with db_of(config) as db:
        store = Recordings(db)
        second_file = f"{CALL}-1800000099.2.wav"
        QueueRecords(db).joined(CALL, "hajj-tier2", "0812", "", "", T0 + 60, 1)  # transferred
        second = store.started(CALL, "hajj-tier2", "bob", second_file, T0 + 60)
        store.ended(CALL, "alice", 55.0)  # AgentComplete came for alice, not for bob
        stays = QueueRecords(db)
        tracker = RecordingTracker(store, stays, clock=lambda: T0 + 91)
        for file, seconds in ((second_file, "31"), (FILE, "57")):
            tracker({"Event": "UserEvent", "UserEvent": "HajjRecordingEnd", "File": file,
                     "Seconds": seconds})  # fmt: skip
        got = {r.id: r.duration for r in store.for_call(CALL)}
        tier1, tier2 = stays.for_call(CALL)
    assert got == {first: 55.0, second: 31.0}  # alice's talk time is kept
    # Neither stay had AgentComplete: each leg's own end gives its talk time.
    assert [(s.talk, s.ended_at) for s in (tier1, tier2)] == [(57.0, T0 + 91), (31.0, T0 + 91)]


def users(config: Config) -> dict[str, str]:
    """Web passwords: an admin, alice (the call's agent), bob (another agent), a unit."""
    store = AgentStore.for_config(config)
    return {
        "rahmat": store.add("rahmat", 0, role="admin")[1].web,
        "alice": store.add("alice", 1)[1].web,
        "bob": store.add("bob", 1)[1].web,
        "kab": store.add("kab", 0, role="unit", unit="kab:3372")[1].web,
    }


def hear(config: Config, who: str, password: str, path: str) -> httpx.Response:
    app = build_app(config, pop=ScreenPop(config.calllog_path, config.mirror_path), ami=NoAmi())  # type: ignore[arg-type]

    async def get() -> httpx.Response:
        async with logged_in(app, who, password) as client:
            return await client.get(path)

    return asyncio.run(get())


def test_recording_route_serves_admin_and_own_agent_refuses_others_logs_plays(
    on_sqlite: Config,
) -> None:
    config = on_sqlite
    rec = recorded(config)
    passwords = users(config)
    for who in ("rahmat", "alice"):
        answer = hear(config, who, passwords[who], f"/recordings/{rec}")
        assert answer.status_code == 200 and answer.headers["content-type"] == "audio/wav"
        assert answer.content[:4] == b"RIFF" and answer.headers["cache-control"] == "no-store"
    assert hear(config, "bob", passwords["bob"], f"/recordings/{rec}").status_code == 403
    assert hear(config, "kab", passwords["kab"], f"/recordings/{rec}").status_code == 403
    assert hear(config, "rahmat", passwords["rahmat"], "/recordings/999").status_code == 404
    assert hear(config, "rahmat", passwords["rahmat"], "/recordings/x").status_code == 404
    with db_of(config) as db:
        plays = Recordings(db).plays(CALL)
    assert [(p.who, p.role) for p in plays] == [("alice", "agent"), ("rahmat", "admin")]


def test_recording_route_refuses_without_login(on_sqlite: Config) -> None:
    config = on_sqlite
    rec = recorded(config)
    app = build_app(config, pop=ScreenPop(config.calllog_path, config.mirror_path), ami=NoAmi())  # type: ignore[arg-type]

    async def get() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c:
            return await c.get(f"/recordings/{rec}")

    assert asyncio.run(get()).status_code == 401


def test_recording_file_gone_is_404_and_no_play_logged(on_sqlite: Config) -> None:
    config = on_sqlite
    rec = recorded(config)
    (config.call_recordings_dir / FILE).unlink()
    passwords = users(config)
    assert hear(config, "rahmat", passwords["rahmat"], f"/recordings/{rec}").status_code == 404
    with db_of(config) as db:
        assert Recordings(db).plays() == []


def test_call_page_plays_recording_for_admin_and_lists_the_plays(config: Config) -> None:
    rec = recorded(config)
    passwords = users(config)
    with db_of(config) as db:
        db.run("INSERT INTO calls (id, started_at, caller) VALUES (?, ?, '0812')", (CALL, T0))
        Recordings(db).played(rec, "alice", "agent", T0 + 5)
    page = hear(config, "rahmat", passwords["rahmat"], f"/admin/calls/{CALL}")
    assert page.status_code == 200
    assert f'src="/recordings/{rec}"' in page.text and 'id="recording-plays"' in page.text
    # Agents have no call log page; they hear their calls from the ticket or the link.
    assert hear(config, "alice", passwords["alice"], f"/admin/calls/{CALL}").status_code == 403


def test_ticket_page_shows_its_calls_recording_to_the_agent_not_to_another(
    on_sqlite: Config,
) -> None:
    config = on_sqlite
    from ivr.complaints import tickets

    rec = recorded(config)
    passwords = users(config)
    desk = tickets.for_config(config)
    ticket = desk.open(source="agent", category="transport", who="alice", call_id=CALL)
    own = hear(config, "alice", passwords["alice"], f"/complaints/{ticket.number}")
    other = hear(config, "bob", passwords["bob"], f"/complaints/{ticket.number}")
    assert f'src="/recordings/{rec}"' in own.text
    assert other.status_code == 200 and "/recordings/" not in other.text
    assert 'id="recording-plays"' not in own.text  # the playback log is for admins


def test_retention_purge_deletes_old_recordings_their_rows_and_plays(config: Config) -> None:
    old = recorded(config, at=T0)
    young_file = f"{CALL}-1800900000.1.wav"
    young = recorded(config, at=T0 + 80 * DAY, file=young_file)
    orphan = wav(config.call_recordings_dir / "1700000000.1-1700000000.2.wav")
    os.utime(orphan, (T0, T0))  # a file no row names (the controller was down)
    with db_of(config) as db:
        Recordings(db).played(old, "rahmat", "admin", T0 + 1)

    report = retention.purge(config, now=T0 + 91 * DAY)  # recordings_days = 90

    assert report.count("agent-call recordings") == 1
    assert report.count("call recordings of no row") == 1
    assert sorted(p.name for p in config.call_recordings_dir.iterdir()) == [young_file]
    with db_of(config) as db:
        assert [r.id for r in Recordings(db).for_call(CALL)] == [young]
        assert Recordings(db).plays() == []


def test_retention_purge_keeps_recordings_when_days_is_0(on_sqlite: Config) -> None:
    config = on_sqlite
    recorded(config, at=T0)
    kept = dataclasses.replace(
        config, retention=dataclasses.replace(config.retention, recordings_days=0)
    )
    report = retention.purge(kept, now=T0 + 900 * DAY)
    assert report.count("agent-call recordings") is None
    assert (config.call_recordings_dir / FILE).is_file()


@pytest.mark.parametrize(("warn_mib", "warned"), [(1, True), (2, False)])
def test_wallboard_warns_when_recordings_pass_the_threshold(
    on_sqlite: Config, warn_mib: int, warned: bool
) -> None:
    config = on_sqlite
    (config.call_recordings_dir).mkdir(parents=True)
    (config.call_recordings_dir / FILE).write_bytes(b"\0" * (3 << 19))  # 1.5 MiB
    board_config = dataclasses.replace(
        config, web=dataclasses.replace(config.web, recordings_warn_mib=warn_mib)
    )
    board = Wallboard(board_config, lambda: None, Pages.for_zone("Asia/Jakarta"))
    use = board.recordings_use()
    assert use["recordings_mib"] == 1.5
    assert bool(use["recordings_warning"]) is warned
    if warned:
        assert "web.recordings_warn_mib" in use["recordings_warning"]


def test_wallboard_api_carries_the_disk_use_and_warning(on_sqlite: Config) -> None:
    config = on_sqlite
    (config.call_recordings_dir).mkdir(parents=True)
    (config.call_recordings_dir / FILE).write_bytes(b"\0" * (3 << 20))
    small = dataclasses.replace(config, web=dataclasses.replace(config.web, recordings_warn_mib=2))
    passwords = users(small)
    answer = hear(small, "rahmat", passwords["rahmat"], "/admin/api/wallboard").json()
    assert answer["recordings_mib"] == 3.0 and "3 MiB" in answer["recordings_warning"]
