"""Retention: what is past its period goes, what is not stays (real SQLite stores, the
purge's clock given)."""

from __future__ import annotations

import dataclasses
import os
import sqlite3
import time
from contextlib import closing
from pathlib import Path

import pytest

from ivr import calllog as calllog_mod
from ivr import config as config_mod
from ivr import retention
from ivr.calllog import CallLog, CallLogReader
from ivr.complaints import tickets as tickets_mod
from ivr.config import Config, RetentionSettings
from ivr.errors import ConfigError
from ivr.outcomes import Outcome
from ivr.prompts import formats
from ivr.queue import callbacks, records
from ivr.store import delete_where
from tests.rig import callstores
from tests.rig.clock import Clock
from tests.rig.postgres import Backend
from tests.test_admin_shared import on_backend

DAY = 86400.0
T0 = 1_800_000_000.0  # when the old things happened


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return dataclasses.replace(Config(), state_dir=tmp_path)


@pytest.fixture
def calls_config(backend: Backend) -> Config:
    """A config whose call log is the backend's (PostgreSQL with a URL); other stores in
    SQLite files beside it."""
    callstores.stores(backend)  # the tables, as a controller's start makes them
    return dataclasses.replace(
        Config(), state_dir=backend.folder, database=callstores.database(backend)
    )


def calllog(config: Config) -> CallLog:
    return CallLog(config.calllog_path, records.SCHEMA, callbacks.SCHEMA)


def a_call(log: CallLog, call_id: str, at: float) -> None:
    """A call at ``at``: its row, transcript, a lookup and a queue stay."""
    log.start(call_id, "081234567890", "hotline")
    log.add(call_id, "say", "Selamat datang")
    log.add(call_id, "input", "1100123456")
    log.lookup(call_id, "1100123456", "KAB. BOGOR")
    log.finish(call_id, Outcome.AGENT, "caller_request")
    records.QueueRecords(log.sql).joined(call_id, "hajj-tier1", "0812", "", "1100123456", at, 1)
    log.sql.run("UPDATE calls SET started_at = ?, ended_at = ? WHERE id = ?", (at, at, call_id))
    log.sql.run("UPDATE transcript SET at = ? WHERE call_id = ?", (at, call_id))
    log.sql.run("UPDATE lookups SET at = ? WHERE call_id = ?", (at, call_id))


def test_retention_purge_calls_past_the_period_go_with_transcript_lookups_stays(
    calls_config: Config, backend: Backend
) -> None:
    log = CallLog.over(callstores.stores(backend))
    a_call(log, "old", T0)
    a_call(log, "new", T0 + 20 * DAY)

    report = retention.purge(calls_config, now=T0 + 91 * DAY)  # 90 days for both, by default

    reader = callstores.reader(backend)
    assert reader.get("old") is None and reader.transcript("old") == []
    assert reader.get("new") is not None and len(reader.transcript("new")) == 2
    assert [s.call_id for s in records.QueueRecords(log.sql).recent()] == ["new"]
    assert [r[0] for r in log.sql.all("SELECT call_id FROM lookups")] == ["new"]
    counts = {c.what: c.count for c in report.counts}
    assert counts["calls"] == 1 and counts["transcript lines"] == 2
    assert counts["queue stays"] == 1 and counts["porsi lookups"] == 1
    assert "1100123456" not in "\n".join(report.lines()) + report.summary()


def test_retention_purge_dry_run_counts_and_deletes_nothing(
    calls_config: Config, backend: Backend
) -> None:
    a_call(CallLog.over(callstores.stores(backend)), "old", T0)
    report = retention.purge(calls_config, now=T0 + 91 * DAY, dry_run=True)
    assert report.count("calls") == 1 and "dry run" in report.lines()[0]
    assert callstores.reader(backend).get("old") is not None


def test_retention_purge_zero_days_keeps_for_ever(config: Config) -> None:
    keep = dataclasses.replace(config, retention=RetentionSettings(calls_days=0, lookups_days=0))
    a_call(calllog(keep), "old", T0)
    report = retention.purge(keep, now=T0 + 10_000 * DAY)
    assert report.count("calls") is None and report.count("porsi lookups") is None
    assert "calls: kept (retention.calls_days = 0)" in [x.strip() for x in report.lines()]
    assert CallLogReader(keep.calllog_path).get("old") is not None


def test_retention_purge_finished_callbacks_go_open_ones_never(
    calls_config: Config, backend: Backend
) -> None:
    config = calls_config
    store = callbacks.Callbacks(callstores.stores(backend))
    done, _ = store.request(callbacks.Request("081111111111"), now=T0)
    store.start(done.id)
    store.pilgrim_leg_ended(done.id, "ANSWER", T0 + DAY, 3, 300)
    recent, _ = store.request(callbacks.Request("082222222222"), now=T0)
    store.start(recent.id)
    store.pilgrim_leg_ended(recent.id, "ANSWER", T0 + 20 * DAY, 3, 300)
    waiting, _ = store.request(callbacks.Request("083333333333"), now=T0)

    report = retention.purge(config, now=T0 + 40 * DAY)  # callbacks_days = 30

    assert report.count("finished callback requests") == 1
    assert store.get(done.id) is None
    assert store.get(recent.id) is not None and store.get(waiting.id) is not None


def test_retention_purge_long_closed_complaint_loses_audio_and_caller_keeps_the_rest(
    config: Config, backend: Backend
) -> None:
    config = on_backend(backend, config)  # the tickets in complaints.sqlite or PostgreSQL
    clock = Clock(T0)
    desk = tickets_mod.for_config(config, clock)
    folder = config.recordings_dir
    folder.mkdir()

    def ticket_with_audio(close: bool) -> tickets_mod.Ticket:
        t = desk.open(
            source="phone",
            category="catering",
            who="caller",
            caller="0812",
            porsi="1100123456",
            call_id="c1",
            kabupaten="KAB. BOGOR",
        )
        (folder / f"{t.number}.wav").write_bytes(b"RIFF")
        t = desk.recorded(t, f"{t.number}.wav", partial=False)
        if close:
            (folder / f"{t.number}-reply.wav").write_bytes(b"RIFF")
            for codec in formats.siblings(folder / f"{t.number}-reply.wav"):
                codec.write_bytes(b"\xd5" * 8)  # the reply as G.711 callers hear it
            t = desk.resolve(t, "siti", "resolution-followed-up", reply=f"{t.number}-reply.wav")
        return t

    closed_long_ago, still_open = ticket_with_audio(True), ticket_with_audio(False)
    clock.now = T0 + 100 * DAY
    closed_lately = ticket_with_audio(True)

    report = retention.purge(config, now=T0 + 181 * DAY)  # closed_complaints_days = 180

    assert report.count("closed complaints emptied") == 1
    assert report.count("complaint recordings and replies") == 2
    t = desk.by_id(closed_long_ago.id)
    assert (t.recording, t.reply, t.caller, t.porsi) == ("", "", "", "")
    assert (t.category, t.state, t.created_at, t.resolved_at, t.kabupaten) == (
        "catering",
        "resolved",
        T0,
        T0,
        "KAB. BOGOR",
    )
    history = [(c.who, c.action) for c in desk.history(t)]
    assert history[:3] == [
        ("caller", "created"),
        ("caller", "recording confirmed"),
        ("siti", "resolved"),
    ]
    assert history[-1] == ("system", "retention")
    assert "removed" in desk.history(t)[-1].note
    assert not (folder / closed_long_ago.recording).exists()
    reply = folder / f"{closed_long_ago.number}-reply.wav"
    assert not any(path.exists() for path in formats.all_of(reply))  # with its .alaw, .ulaw
    for kept in (still_open, closed_lately):  # open, or not closed long enough: as it was
        assert desk.by_id(kept.id).caller == "0812"
        assert (folder / kept.recording).exists()
    # Old files no ticket names are purged; a named reply's .alaw/.ulaw are not such files.
    assert formats.complete(folder / closed_lately.reply)
    with pytest.raises(tickets_mod.TicketError, match="open"):
        desk.forget(desk.by_id(still_open.id), 180)


def test_retention_purge_audio_that_cannot_be_deleted_keeps_its_ticket_for_the_next_purge(
    config: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    desk = tickets_mod.for_config(config, Clock(T0))
    config.recordings_dir.mkdir()
    t = desk.open(source="phone", category="other", who="caller", caller="0812")
    (config.recordings_dir / f"{t.number}.wav").write_bytes(b"RIFF")
    t = desk.reject(desk.recorded(t, f"{t.number}.wav", partial=False), "siti", "duplicate")
    unlink = Path.unlink

    def refused(path: Path, missing_ok: bool = False) -> None:
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(Path, "unlink", refused)  # e.g. a file the controller may not delete
    first = retention.purge(config, now=T0 + 181 * DAY)
    assert first.count("closed complaints emptied") == 0
    assert desk.by_id(t.id).caller == "0812"
    monkeypatch.setattr(Path, "unlink", unlink)
    second = retention.purge(config, now=T0 + 182 * DAY)
    assert second.count("closed complaints emptied") == 1 and desk.by_id(t.id).caller == ""


def test_retention_purge_old_upload_leftovers_and_orphan_recordings_go(config: Config) -> None:
    uploads, recordings = config.uploads_dir, config.recordings_dir
    (uploads / "20260101-101010").mkdir(parents=True)
    (uploads / "20260101-101010" / "jemaah.csv").write_text("porsi,nama\n")
    (uploads / "in-use").mkdir()
    recordings.mkdir()
    (recordings / "orphan.wav").write_bytes(b"RIFF")
    (recordings / "fresh.wav").write_bytes(b"RIFF")  # RECORD FILE writing it right now
    now = time.time()  # file times are the file system's: the real clock
    for old in (uploads / "20260101-101010", recordings / "orphan.wav"):
        os.utime(old, (now - 200 * DAY, now - 200 * DAY))

    report = retention.purge(config, now=now)

    assert report.count("upload leftovers") == 1
    assert report.count("recordings of no ticket") == 1
    assert sorted(p.name for p in uploads.iterdir()) == ["in-use"]
    assert sorted(p.name for p in recordings.iterdir()) == ["fresh.wav"]


def test_retention_negative_days_is_refused_naming_the_key() -> None:
    with pytest.raises(ConfigError, match=r"retention.calls_days = -1"):
        config_mod.load(env={"HAJJ_IVR_RETENTION_CALLS_DAYS": "-1"})


def test_delete_where_in_small_batches_deletes_every_match(tmp_path: Path) -> None:
    with closing(sqlite3.connect(tmp_path / "x.sqlite", isolation_level=None)) as db:
        db.execute("CREATE TABLE t (n INTEGER)")
        db.executemany("INSERT INTO t VALUES (?)", [(n,) for n in range(11)])
        assert delete_where(db, "t", "n < ?", (7,), dry_run=True) == 7
        assert delete_where(db, "t", "n < ?", (7,), batch=2) == 7
        assert [r[0] for r in db.execute("SELECT n FROM t")] == [7, 8, 9, 10]


def test_purge_calls_a_few_calls_per_transaction_takes_every_old_call(config: Config) -> None:
    log = calllog(config)
    for n in range(5):
        a_call(log, f"old{n}", T0)
    a_call(log, "new", T0 + 50 * DAY)
    assert calllog_mod.purge_calls(log.sql, T0 + DAY, batch=2) == (5, 10)
    assert [r[0] for r in log.sql.all("SELECT id FROM calls")] == ["new"]
