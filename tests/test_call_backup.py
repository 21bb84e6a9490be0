"""A backup taken while real calls file complaints (RECORD FILE writing, the call log and the
complaint store written) restores; one taken after gives the same call log, tickets, agents
and recordings in an empty state dir. Branches (damage, versions, --replace, keep) are
in tests/test_backup.py on real stores without Asterisk."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from ivr.backup import take
from tests.rig.hotline import Hotline, Scenario
from tests.scenarios import complaints as checks
from tests.test_backup import contents, state_of

pytestmark = pytest.mark.asterisk


def test_backup_during_real_calls_restores_and_after_them_equals_the_live_stores(
    hotline: Hotline, tmp_path: Path
) -> None:
    hotline.add_agent("cadangan", tier=1)
    filing = {
        f"file-{n}": Scenario(
            checks.FILE, checks.pin_told_twice, 90, f'"Uji" <08110009{n:04d}>', audio=True
        )
        for n in range(2)
    }
    during = tmp_path / "during"
    with ThreadPoolExecutor(1) as pool:
        running = pool.submit(hotline.calls, filing)
        while not running.done():
            hotline.cli("backup", str(during))
            time.sleep(1.5)
        calls = running.result()
    taken = sorted(during.glob("*.tar"))
    assert len(taken) >= 2, "the calls ended before two backups were taken"
    for n, archive in enumerate(taken):  # each checked whole (sizes, checksums, row counts)
        hotline.cli("--state-dir", str(tmp_path / f"from-{n}"), "restore", str(archive))

    after = tmp_path / "after.tar"
    hotline.cli("backup", str(after))
    empty = tmp_path / "empty"
    hotline.cli("--state-dir", str(empty), "restore", str(after))
    restored, live = contents(state_of(empty)), contents(hotline.config)
    assert restored == live
    for call in calls.values():  # what the test reads is there: the tickets and recordings
        ticket = checks.ticket_of(hotline, call.call_id)
        assert ticket.recording and f"complaints/{ticket.recording}" in restored
    assert "'cadangan'" in repr(restored["agents.sqlite"])
    assert {p for p in restored if p.startswith("complaints/")} == {
        str(p)
        for p in take.data_files(hotline.config.state_dir)
        if str(p).startswith("complaints/")
    }
