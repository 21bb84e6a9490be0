"""The per-agent report's arithmetic over a real calls.sqlite with queue_log rows."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from ivr import agentreport
from ivr.agentreport import DAY, HOUR, TOTAL
from ivr.queue.queuelog import QueueLog, parse
from ivr.store import Sql
from tests.rig import callstores
from tests.rig.postgres import Backend

JAKARTA = ZoneInfo("Asia/Jakarta")
# 2026-12-01 09:00 in Jakarta
T0 = dt.datetime(2026, 12, 1, 9, 0, tzinfo=JAKARTA).timestamp()


def line(at: float, agent: str, event: str, *data: str, call: str = "c1") -> str:
    return "|".join([f"{at:.0f}", call, "hajj-tier1", agent, event, *data])


@pytest.fixture
def db(backend: Backend) -> Sql:
    """The queue log on either backend (SQLite, PostgreSQL)."""
    return callstores.stores(backend)


def insert(db: Sql, *lines: str) -> None:
    entries = [parse(text) for text in lines]
    QueueLog(db).add(e for e in entries if e is not None)


def day_of_work(db: Sql) -> None:
    """dewi: two calls (60 s and 120 s talk), one transferred (30 s), a ring not answered,
    break 09:50-10:10 (across an hour), ACW 90 s twice, a pause without a reason;
    eko: one ring not answered."""
    insert(
        db,
        line(T0 + 10, "dewi", "RINGNOANSWER", "15000"),
        line(T0 + 30, "dewi", "CONNECT", "20", "x", "3"),
        line(T0 + 90, "dewi", "COMPLETECALLER", "20", "60", "1"),
        line(T0 + 90, "dewi", "PAUSE", "pascapanggilan"),
        line(T0 + 90, "NONE", "PAUSEALL", ""),  # not an agent's
        line(T0 + 180, "dewi", "UNPAUSE", ""),
        line(T0 + 300, "dewi", "CONNECT", "5", "y", "2", call="c2"),
        line(T0 + 420, "dewi", "COMPLETEAGENT", "5", "120", "1", call="c2"),
        line(T0 + 420, "dewi", "PAUSE", "pascapanggilan"),
        line(T0 + 420, "dewi", "PAUSE", "pascapanggilan"),  # the same pause, another queue
        line(T0 + 510, "dewi", "PAUSE", "phone"),  # a new reason ends the ACW
        line(T0 + 570, "dewi", "UNPAUSE", ""),
        line(T0 + 600, "dewi", "CONNECT", "1", "z", "1", call="c3"),
        line(T0 + 630, "dewi", "BLINDTRANSFER", "2", "hajj-transfer", "1", "30", "1", call="c3"),
        line(T0 + 3000, "dewi", "PAUSE", "istirahat"),
        line(T0 + 4200, "dewi", "UNPAUSE", ""),
        line(T0 + 4300, "eko", "RINGNOANSWER", "15000"),
    )


def test_agent_report_totals_handle_time_acw_pauses_rings_transfers(
    db: Sql,
) -> None:
    day_of_work(db)
    f = agentreport.figures(db, T0, T0 + 86400, JAKARTA)
    dewi, eko = f[("dewi", "")], f[("eko", "")]
    assert (dewi.handled, dewi.talk, dewi.rings, dewi.transfers) == (3, 210.0, 1, 1)
    assert dewi.after_call == 180.0
    assert dewi.handle_time == round((210 + 180) / 3, 1)
    assert dewi.paused == {"pascapanggilan": 180.0, "phone": 60.0, "istirahat": 1200.0}
    assert dewi.paused_for(agentreport.OTHER) == 60.0
    assert (eko.handled, eko.rings, eko.handle_time) == (0, 1, None)
    assert set(f) == {("dewi", ""), ("eko", "")}


def test_agent_report_by_hour_splits_a_pause_across_the_hours_it_spans(
    db: Sql,
) -> None:
    day_of_work(db)
    f = agentreport.figures(db, T0, T0 + 86400, JAKARTA, HOUR)
    # The break 09:50-10:10: 600 s in hour 09, 600 s in hour 10.
    assert f[("dewi", "09")].paused["istirahat"] == 600.0
    assert f[("dewi", "10")].paused == {"istirahat": 600.0}
    assert f[("dewi", "09")].handled == 3 and f[("eko", "10")].rings == 1


def test_agent_report_by_day_splits_at_local_midnight_and_clips_to_the_period(
    db: Sql,
) -> None:
    midnight = dt.datetime(2026, 12, 2, 0, 0, tzinfo=JAKARTA).timestamp()
    insert(
        db,
        line(midnight - 1800, "dewi", "PAUSE", "salat"),  # 23:30 .. 00:20
        line(midnight + 1200, "dewi", "UNPAUSE", ""),
        line(midnight + 3600, "dewi", "PAUSE", "pelatihan"),  # still running at the end
    )
    f = agentreport.figures(db, T0, midnight + 7200, JAKARTA, DAY)
    assert f[("dewi", "2026-12-01")].paused == {"salat": 1800.0}
    assert f[("dewi", "2026-12-02")].paused == {"salat": 1200.0, "pelatihan": 3600.0}
    # A report starting mid-pause counts it from its start.
    late = agentreport.figures(db, midnight, midnight + 600, JAKARTA)
    assert late[("dewi", "")].paused == {"salat": 600.0}


def test_agent_report_table_rounds_and_joins_satisfaction_when_given(
    db: Sql,
) -> None:
    day_of_work(db)
    plain = agentreport.table(db, T0, T0 + 86400, JAKARTA)
    assert "penilaian (jumlah)" not in plain.header
    rated = agentreport.table(db, T0, T0 + 86400, JAKARTA, TOTAL, {"dewi": (4, 4.25)})
    dewi = dict(zip(rated.header, rated.rows[0], strict=True))
    assert dewi == {
        "petugas": "dewi",
        "panggilan ditangani": 3,
        "rata-rata waktu penanganan (detik)": 130.0,
        "kerja pascapanggilan (detik)": 180,
        "jeda istirahat (detik)": 1200,
        "jeda salat (detik)": 0,
        "jeda pelatihan (detik)": 0,
        "jeda lain (detik)": 60,
        "dering tidak dijawab": 1,
        "transfer": 1,
        "penilaian (jumlah)": 4,
        "penilaian (rata-rata)": 4.25,
    }
    assert rated.rows[1][-2:] == (0, None)  # eko: no ratings
    by_day = agentreport.table(db, T0, T0 + 86400, JAKARTA, DAY, {"dewi": (4, 4.25)})
    assert by_day.header[1] == "tanggal" and "penilaian (jumlah)" not in by_day.header
    assert [r[:3] for r in by_day.rows] == [("dewi", "2026-12-01", 3), ("eko", "2026-12-01", 0)]
