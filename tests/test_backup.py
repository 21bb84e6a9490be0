"""Backups: every store and data file into one archive while writers run, restored whole into
an empty state dir; a damaged, foreign or newer archive refused with the live state untouched."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import io
import json
import os
import sqlite3
import tarfile
import threading
from contextlib import closing
from pathlib import Path

import pytest

from ivr.agents.store import AgentStore
from ivr.backup import manifest, restore, take
from ivr.calllog import CallLog
from ivr.cli.main import main
from ivr.complaints.tickets import Tickets
from ivr.config import Config
from ivr.data.importer import import_export
from ivr.errors import BackupError
from ivr.outcomes import Outcome


def state_of(path: Path) -> Config:
    return dataclasses.replace(Config(), state_dir=path)


@pytest.fixture
def live(tmp_path: Path, export: Path) -> Config:
    """A state dir as a running hotline leaves it: calls, a ticket with its recording, an
    agent, an override, secrets, the mirror; plus what a backup leaves out."""
    config = state_of(tmp_path / "state")
    config.state_dir.mkdir()
    import_export(export, config.mirror_path)
    log = CallLog(config.calllog_path)
    for n in range(3):
        log.start(f"call-{n}", "081234567890", "hotline")
        log.add(f"call-{n}", "say", "Selamat datang")
        log.finish(f"call-{n}", Outcome.SERVED)
    AgentStore.for_config(config).add("siti", tier=1)
    desk = Tickets(config.complaints_path, (24, 72, 168), pin_key=b"k" * 32)
    desk.open(source="phone", category="transport", who="ivr", caller="081234567890")
    (config.state_dir / "complaints").mkdir()
    (config.state_dir / "complaints" / "t1.wav").write_bytes(b"RIFF" + bytes(2000))
    (config.state_dir / "overrides").mkdir()
    (config.state_dir / "overrides" / "announce-1.toml").write_text('text = "Pengumuman"\n')
    (config.state_dir / "secrets.toml").write_text('pin_secret = "x"\n')
    for left_out in ("asterisk/etc/extensions.conf", "sounds/id/greeting.wav", "uploads/x.zip"):
        (config.state_dir / left_out).parent.mkdir(parents=True, exist_ok=True)
        (config.state_dir / left_out).write_text("rebuilt or temporary")
    return config


def contents(config: Config) -> dict[str, object]:
    """What a restore must give back: every store's rows, every other data file's bytes."""
    found: dict[str, object] = {}
    for rel in take.data_files(config.state_dir):
        path = config.state_dir / rel
        if manifest.is_sqlite(path):
            with closing(sqlite3.connect(path)) as db:
                tables = [
                    t for (t,) in db.execute("SELECT name FROM sqlite_master WHERE type='table'")
                ]
                found[str(rel)] = {
                    t: sorted(map(repr, db.execute(f'SELECT * FROM "{t}"'))) for t in tables
                }
        else:
            found[str(rel)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def test_backup_restored_into_an_empty_state_dir_gives_every_store_and_file_back(
    live: Config, tmp_path: Path
) -> None:
    taken = take.take(live, tmp_path / "backups")
    assert taken.path.parent == tmp_path / "backups" and taken.path.stat().st_mode & 0o777 == 0o600
    names = {m.path for m in taken.manifest.members}
    assert {"calls.sqlite", "agents.sqlite", "complaints.sqlite", "mirror.sqlite"} <= names
    assert {"complaints/t1.wav", "overrides/announce-1.toml", "secrets.toml"} <= names
    assert not {n for n in names if n.startswith(("asterisk/", "sounds/", "uploads/"))}
    assert taken.manifest.mirror_as_of == "2026-04-10"
    calls = next(m for m in taken.manifest.members if m.path == "calls.sqlite")
    assert calls.store is not None and calls.store.rows["calls"] == 3

    empty = state_of(tmp_path / "elsewhere")
    restore.restore(empty, taken.path)
    assert contents(empty) == contents(live)
    assert (empty.state_dir.stat().st_mode & 0o777) == 0o700


def test_backup_while_a_writer_commits_is_a_consistent_snapshot(
    live: Config, tmp_path: Path
) -> None:
    stop = threading.Event()
    log = CallLog(live.calllog_path)

    def write() -> None:
        n = 0
        while not stop.is_set():
            log.start(f"busy-{n}", "081234567890", "hotline")
            log.add(f"busy-{n}", "say", "Selamat datang")
            n += 1

    writer = threading.Thread(target=write)
    writer.start()
    stamps = iter(dt.datetime(2026, 12, 1, 2, 0, s, tzinfo=dt.UTC) for s in range(3))
    try:
        taken = [take.take(live, tmp_path / "backups", now=lambda: next(stamps)) for _ in range(3)]
    finally:
        stop.set()
        writer.join()
    for each in taken:  # each restores (integrity and row counts checked) on its own
        restored = state_of(tmp_path / each.path.stem)
        restore.restore(restored, each.path)
        with closing(sqlite3.connect(restored.calllog_path)) as db:
            calls = db.execute("SELECT count(*) FROM calls").fetchone()[0]
        calls_member = next(m for m in each.manifest.members if m.path == "calls.sqlite")
        assert calls_member.store is not None and calls == calls_member.store.rows["calls"]


def damaged(archive: Path, member: str, tmp_path: Path) -> Path:
    """A copy of ``archive`` with one byte of ``member`` flipped."""
    copy = tmp_path / "damaged.tar"
    data = bytearray(archive.read_bytes())
    with tarfile.open(archive) as tar:
        info = tar.getmember(member)
    data[info.offset_data + 100] ^= 0xFF
    copy.write_bytes(data)
    return copy


@pytest.fixture
def archive(live: Config, tmp_path: Path) -> Path:
    return take.take(live, tmp_path / "backups").path


@pytest.mark.parametrize("member", ["calls.sqlite", "complaints/t1.wav"])
def test_restore_damaged_member_refused_and_the_live_state_untouched(
    live: Config, archive: Path, tmp_path: Path, member: str
) -> None:
    before = contents(live)
    with pytest.raises(BackupError, match=f"{member} in the archive is damaged"):
        restore.restore(live, damaged(archive, member, tmp_path), replace=True)
    assert contents(live) == before
    assert not [p for p in live.state_dir.iterdir() if p.name.startswith(".")]


def test_restore_truncated_archive_refused_and_nothing_written(
    archive: Path, tmp_path: Path
) -> None:
    cut = tmp_path / "cut.tar"
    cut.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    target = state_of(tmp_path / "new")
    with pytest.raises(BackupError):
        restore.restore(target, cut)
    assert not target.state_dir.exists() or not take.data_files(target.state_dir)


def rewritten(archive: Path, tmp_path: Path, **changes: object) -> Path:
    """A copy of ``archive`` whose manifest has ``changes``."""
    copy = tmp_path / "rewritten.tar"
    with tarfile.open(archive) as src, tarfile.open(copy, "w") as dst:
        for info in src.getmembers():
            handle = src.extractfile(info)
            assert handle is not None
            data = handle.read()
            if info.name == manifest.NAME:
                raw = json.loads(data) | changes
                data = json.dumps(raw).encode()
                info.size = len(data)
            dst.addfile(info, io.BytesIO(data))
    return copy


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"release": "99.0.0"}, "written by hajj-ivr 99.0.0, newer than"),
        ({"format": 2}, "format 2 is newer"),
        (
            {"members": [{"path": "../etc/passwd", "bytes": 1, "sha256": "0"}]},
            "outside the state dir",
        ),
    ],
)
def test_restore_newer_or_foreign_archive_refused_clearly(
    archive: Path, tmp_path: Path, changes: dict[str, object], message: str
) -> None:
    target = state_of(tmp_path / "new")
    with pytest.raises(BackupError, match=message):
        restore.restore(target, rewritten(archive, tmp_path, **changes))
    assert not target.state_dir.exists() or not take.data_files(target.state_dir)


def test_restore_over_live_data_needs_replace_then_gives_the_archives_back(
    live: Config, archive: Path
) -> None:
    before = contents(live)
    CallLog(live.calllog_path).start("after-the-backup", "081234567890", "hotline")
    (live.state_dir / "complaints" / "later.wav").write_bytes(b"RIFF")
    with pytest.raises(BackupError, match="--replace"):
        restore.restore(live, archive)
    restore.restore(live, archive, replace=True)
    assert contents(live) == before


def test_restore_refused_while_the_controller_runs(live: Config, archive: Path) -> None:
    live.controller_pidfile.write_text(str(os.getpid()))
    with pytest.raises(BackupError, match="controller is running"):
        restore.restore(live, archive, replace=True)


def test_backup_never_writes_over_an_archive(live: Config, archive: Path) -> None:
    before = archive.read_bytes()
    with pytest.raises(BackupError, match="exists"):
        take.take(live, archive)
    assert archive.read_bytes() == before


def test_backup_keep_removes_the_oldest_of_ours_only(live: Config, tmp_path: Path) -> None:
    folder = tmp_path / "backups"
    folder.mkdir()
    (folder / "notes.txt").write_text("not ours")
    stamps = iter(dt.datetime(2026, 12, day, 2, tzinfo=dt.UTC) for day in (1, 2, 3, 4))
    for _ in range(4):
        last = take.take(live, folder, keep=2, now=lambda: next(stamps))
    left = sorted(p.name for p in folder.iterdir())
    assert left == [
        "hajj-ivr-backup-20261203T020000Z.tar",
        "hajj-ivr-backup-20261204T020000Z.tar",
        "notes.txt",
    ]
    assert last.removed == (folder / "hajj-ivr-backup-20261202T020000Z.tar",)


def test_cli_backup_then_restore(
    live: Config, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "one.tar"
    assert main(["--state-dir", str(live.state_dir), "backup", str(target)]) == 0
    assert "data as of 2026-04-10" in capsys.readouterr().out
    empty = tmp_path / "empty"
    assert main(["--state-dir", str(empty), "restore", str(target)]) == 0
    assert contents(state_of(empty)) == contents(live)
    assert main(["--state-dir", str(empty), "restore", str(target)]) == 1
    assert "--replace" in capsys.readouterr().err


def test_restore_failing_midway_puts_the_live_state_back(
    live: Config, archive: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = contents(live)
    CallLog(live.calllog_path).start("after-the-backup", "081234567890", "hotline")
    changed = contents(live)
    real_rename, placed = os.rename, []

    def rename(src: object, dst: object) -> None:
        if ".restore-" in str(src):  # staged data going into place: the third one fails
            placed.append(src)
            if len(placed) == 3:
                raise OSError(28, "No space left on device")
        real_rename(src, dst)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "rename", rename)
    with pytest.raises(BackupError, match=r"No space left on device.*the data that was there"):
        restore.restore(live, archive, replace=True)
    monkeypatch.undo()
    assert contents(live) == changed != before
    assert not [p for p in live.state_dir.iterdir() if p.name.startswith(".")]
