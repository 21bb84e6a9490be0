"""Imports that cannot undo each other: one at a time, never an older export over a newer
one unless forced, no stray files from a killed import, no sample over real data."""

from __future__ import annotations

import csv
import threading
from datetime import date
from pathlib import Path

import pytest

from ivr import cli
from ivr.admin.audit import Audit
from ivr.data import importer
from ivr.data.importer import import_export
from ivr.data.mirror import Mirror
from ivr.errors import DataError


def older(export: Path, target: Path) -> Path:
    """A copy of ``export`` whose rows were all last updated on 1 March 2026."""
    target.mkdir()
    (target / "kloter.csv").write_bytes((export / "kloter.csv").read_bytes())
    with (export / "jemaah.csv").open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    at = rows[0].index("updated_at")
    for row in rows[1:]:
        row[at] = "2026-03-01"
    with (target / "jemaah.csv").open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)
    return target


def test_import_two_at_once_one_runs_other_refused(
    export: Path, live: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first import stops mid-way (in its progress report) while a second one starts."""
    monkeypatch.setattr(importer, "PROGRESS_EVERY", 20)
    running, second_done = threading.Event(), threading.Event()
    outcome: dict[str, object] = {}

    def first_progress(rows: int) -> None:
        running.set()
        second_done.wait(30)

    def first() -> None:
        outcome["first"] = import_export(export, live, progress=first_progress)

    worker = threading.Thread(target=first)
    worker.start()
    assert running.wait(30)
    try:
        with pytest.raises(DataError, match="another import is running") as refused:
            import_export(export, live)
        outcome["second"] = refused.value
    finally:
        second_done.set()
        worker.join(30)
    assert getattr(outcome["first"], "accepted", False)
    assert "second" in outcome
    # The lock is free again: the next import runs.
    assert import_export(export, live).accepted


def test_import_older_export_refused_with_live_as_of_and_mirror_unchanged(
    tmp_path: Path, export: Path, live: Path
) -> None:
    before = live.stat().st_ino
    with pytest.raises(DataError) as refused:
        import_export(older(export, tmp_path / "older"), live)
    message = str(refused.value)
    assert "as of 2026-03-01" in message and "live mirror is as of 2026-04-10" in message
    assert "--force" in message
    assert live.stat().st_ino == before
    with Mirror(live) as mirror:
        assert mirror.as_of == date(2026, 4, 10)
    assert sorted(p.name for p in live.parent.glob("*.new")) == []


def test_import_older_export_forced_accepted(tmp_path: Path, export: Path, live: Path) -> None:
    report = import_export(older(export, tmp_path / "older"), live, force=True)
    assert report.accepted and report.as_of == date(2026, 3, 1)
    with Mirror(live) as mirror:
        assert mirror.as_of == date(2026, 3, 1)


def test_import_same_as_of_accepted(export: Path, live: Path) -> None:
    assert import_export(export, live).as_of == date(2026, 4, 10)


def test_import_stale_new_file_from_a_killed_import_removed(export: Path, live: Path) -> None:
    stale = live.parent / "mirror.sqlite.k1ll3d.new"
    stale.write_bytes(b"half a mirror")
    other = live.parent / "other.sqlite.x.new"  # not ours
    other.write_bytes(b"")
    import_export(export, live)
    assert not stale.exists()
    assert other.exists()


def test_cli_data_import_older_refused_then_forced(
    tmp_path: Path, export: Path, live: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = str(live.parent)
    old = str(older(export, tmp_path / "older"))
    assert cli.main(["--state-dir", state, "data", "import", old, "--quiet"]) == 1
    assert "older than the live mirror" in capsys.readouterr().err
    [row] = Audit(live.parent / "admin.sqlite").recent(1)
    assert (row.what, row.ok) == ("data", False) and "older" in row.detail
    assert cli.main(["--state-dir", state, "data", "import", old, "--quiet", "--force"]) == 0
    with Mirror(live) as mirror:
        assert mirror.as_of == date(2026, 3, 1)


def test_cli_data_sample_refuses_to_replace_a_live_mirror(
    tmp_path: Path, live: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = ["--state-dir", str(live.parent)]
    inode = live.stat().st_ino
    assert cli.main([*state, "data", "sample", "--rows", "40"]) == 1
    err = capsys.readouterr().err
    assert "already holds a live mirror" in err and "--force" in err
    assert live.stat().st_ino == inode
    # `make setup` runs this one on every setup: it keeps the mirror and succeeds.
    assert cli.main([*state, "data", "sample", "--if-empty", "--show", "0"]) == 0
    assert live.stat().st_ino == inode
    assert cli.main([*state, "data", "sample", "--rows", "40", "--force", "--show", "0"]) == 0
    with Mirror(live) as mirror:
        assert mirror.info.jemaah_rows == 40


def test_cli_data_sample_into_an_empty_state_dir_imports(tmp_path: Path) -> None:
    state = tmp_path / "fresh"
    assert cli.main(["--state-dir", str(state), "data", "sample", "--if-empty", "--show", "0"]) == 0
    with Mirror(state / "mirror.sqlite") as mirror:
        assert mirror.info.jemaah_rows == 300
