"""The data mirror across nodes on a real PostgreSQL: an import on one node publishes the
file (a large object with its sha256, size and as-of date), another node fetches it,
checks the checksum and swaps it in; a corrupted copy is refused and the live mirror keeps
serving; a node that starts later (or heard no NOTIFY) takes the current one; only the
last two published files stay."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import io
import shutil
from collections.abc import Callable
from datetime import date
from pathlib import Path

import psycopg
import pytest

from ivr import cli, mirrorsync, storefiles
from ivr import config as config_mod
from ivr.admin import reloads
from ivr.config import Config
from ivr.data import guard, published
from ivr.data.importer import import_export
from ivr.data.mirror import Mirror
from ivr.data.sample import write_sample
from ivr.errors import DataError
from ivr.mirrorsync import MirrorSync

FIXED = "1100123456"  # a fixed pilgrim of every sample (ivr/data/sample.py)


def node(folder: Path, url: str) -> Config:
    """One node's config: its own state dir (its own mirror), the shared PostgreSQL."""
    config = config_mod.load(
        file=None, env={}, overrides={"state_dir": folder, "database.url": url}
    )
    storefiles.migrate_shared(config)
    return config


def imported(config: Config, folder: Path, jemaah: int) -> Path:
    write_sample(folder, jemaah=jemaah)
    import_export(folder, config.mirror_path, imported_by="test", force=True)
    return config.mirror_path


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def rows(path: Path) -> int:
    with Mirror(path) as mirror:
        return mirror.info.jemaah_rows


@pytest.fixture(scope="module")
def mirrors(tmp_path_factory: pytest.TempPathFactory) -> dict[int, Path]:
    """Mirror files of 60 and of 30 pilgrims, imported once for the module."""
    folder = tmp_path_factory.mktemp("mirrors")
    made = {}
    for jemaah in (60, 30):
        state = config_mod.load(file=None, env={}, overrides={"state_dir": folder / str(jemaah)})
        made[jemaah] = imported(state, folder / f"export-{jemaah}", jemaah)
    return made


@pytest.fixture
def two(tmp_path: Path, pg_url: str, mirrors: dict[int, Path]) -> tuple[Config, Config]:
    """Node a with a mirror of 60 pilgrims, node b with another of 30."""
    a, b = node(tmp_path / "a", pg_url), node(tmp_path / "b", pg_url)
    for config, jemaah in ((a, 60), (b, 30)):
        config.mirror_path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(mirrors[jemaah], config.mirror_path)
    return a, b


def test_publish_live_records_checksum_size_and_as_of_and_notifies(
    two: tuple[Config, Config], pg_url: str
) -> None:
    a, _ = two
    with psycopg.connect(pg_url, autocommit=True) as listener:
        listener.execute(f"LISTEN {published.CHANNEL}")
        done = mirrorsync.publish_live(a, "rahmat")
        heard = list(listener.notifies(timeout=5, stop_after=1))
    assert done is not None
    assert (done.sha256, done.size) == (sha256(a.mirror_path), a.mirror_path.stat().st_size)
    assert (done.as_of, done.published_by) == (date(2026, 4, 10), "rahmat")
    assert [n.payload for n in heard] == [str(done.id)]


def test_sync_takes_the_published_mirror_and_serves_it(two: tuple[Config, Config]) -> None:
    a, b = two
    done = mirrorsync.publish_live(a, "rahmat")
    assert done is not None and rows(b.mirror_path) == 30
    assert MirrorSync(b).check().startswith("took published #")
    assert sha256(b.mirror_path) == done.sha256 and rows(b.mirror_path) == 60
    assert MirrorSync(b).check().startswith("serving the current mirror")
    assert list(b.mirror_path.parent.glob("*.new")) == []


def test_sync_refuses_a_corrupted_copy_and_the_live_mirror_keeps_serving(
    two: tuple[Config, Config], pg_url: str
) -> None:
    a, b = two
    done = mirrorsync.publish_live(a, "rahmat")
    assert done is not None
    before = sha256(b.mirror_path)
    with psycopg.connect(pg_url, autocommit=True) as conn:  # one byte flipped in storage
        conn.execute("SELECT lo_put(%s, 4096, %s)", (done.content, b"\xff"))
    sync = MirrorSync(b)
    with pytest.raises(DataError, match=f"#{done.id}: checksum mismatch.*the live mirror stays"):
        sync.check()
    assert sha256(b.mirror_path) == before
    with Mirror(b.mirror_path) as mirror:  # still serving its own data
        assert mirror.info.jemaah_rows == 30 and mirror.lookup(FIXED) is not None
    assert list(b.mirror_path.parent.glob("*.new")) == []
    assert "was refused" in sync.check()  # not fetched again until a new publish


def test_sync_refuses_a_published_file_that_is_no_mirror(
    two: tuple[Config, Config], pg_url: str
) -> None:
    _, b = two
    before = sha256(b.mirror_path)
    with psycopg.connect(pg_url, autocommit=True) as conn:
        junk = published.publish(
            conn,
            io.BytesIO(b"not sqlite" * 1000),
            as_of=date(2026, 4, 10),
            who="x",
            node="y",
            now=0,
        )
    with pytest.raises(DataError, match=f"#{junk.id}: .*not a data mirror.*the live mirror stays"):
        MirrorSync(b).check()
    assert sha256(b.mirror_path) == before and rows(b.mirror_path) == 30
    assert list(b.mirror_path.parent.glob("*.new")) == []


def test_sync_on_a_node_without_a_mirror_fetches_the_current_one(
    tmp_path: Path, pg_url: str
) -> None:
    a = node(tmp_path / "a", pg_url)
    imported(a, tmp_path / "export-a", 60)
    done = mirrorsync.publish_live(a, "rahmat")
    late = node(tmp_path / "late", pg_url)
    late.mirror_path.parent.mkdir(parents=True)
    assert not late.mirror_path.exists()
    MirrorSync(late).check()
    assert done is not None and sha256(late.mirror_path) == done.sha256


def test_sync_while_an_import_here_holds_the_lock_waits_for_the_next_check(
    two: tuple[Config, Config],
) -> None:
    """An import publishes its file before it lets go of the lock: a check meanwhile must
    not swap the old published file back."""
    a, b = two
    mirrorsync.publish_live(a, "rahmat")
    before = sha256(b.mirror_path)
    with guard.exclusive(b.mirror_path):
        assert MirrorSync(b).check() == "an import is running here: the next check"
    assert sha256(b.mirror_path) == before


def test_import_publishes_under_its_lock_and_a_failed_publish_leaves_the_import(
    tmp_path: Path,
) -> None:
    config = config_mod.load(
        file=None,
        env={},
        overrides={"state_dir": tmp_path, "database.url": "postgresql://hajj@127.0.0.1:1/none"},
    )
    write_sample(tmp_path / "export", jemaah=30)
    publish = mirrorsync.Publish(config, "rahmat")
    import_export(tmp_path / "export", config.mirror_path, then=publish)
    assert rows(config.mirror_path) == 30  # the import stands
    assert publish.done is None
    assert publish.outcome().startswith("imported here, NOT published to the other nodes (")
    assert "run `hajj-ivr data publish`" in publish.outcome()


def test_sync_with_nothing_published_keeps_its_mirror(two: tuple[Config, Config]) -> None:
    _, b = two
    before = sha256(b.mirror_path)
    assert MirrorSync(b).check() == "nothing published yet"
    assert sha256(b.mirror_path) == before


def test_sync_loop_takes_a_new_publish_on_its_notify(two: tuple[Config, Config]) -> None:
    """The controller's loop: a check at its start, then one at the NOTIFY (its timer is
    an hour: only the NOTIFY can wake it)."""
    a, b = two
    first = mirrorsync.publish_live(b, "start")  # b serves the current one
    assert first is not None

    async def scenario() -> str:
        sync = MirrorSync(b)
        task = asyncio.create_task(sync.run(every=3600))
        try:
            await _until(lambda: "current" in sync.check())
            await asyncio.sleep(0.5)  # LISTEN is in place after the first check
            done = await asyncio.to_thread(mirrorsync.publish_live, a, "rahmat")
            assert done is not None
            await _until(lambda: sha256(b.mirror_path) == done.sha256)
            return done.sha256
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    taken = asyncio.run(scenario())
    assert sha256(b.mirror_path) == taken
    assert rows(b.mirror_path) == 60


def test_publish_keeps_only_the_last_two_files(two: tuple[Config, Config], pg_url: str) -> None:
    a, b = two
    ids = [done.id for c in (a, b, a) if (done := mirrorsync.publish_live(c, "x"))]
    with psycopg.connect(pg_url, autocommit=True) as conn:
        kept = [p.id for p in published.recent(conn, 10)]
        objects = conn.execute("SELECT count(*) FROM pg_largeobject_metadata").fetchone()
    assert kept == [ids[2], ids[1]]
    assert objects == (2,)


def test_publish_live_without_a_database_url_does_nothing(tmp_path: Path) -> None:
    config = config_mod.load(file=None, env={}, overrides={"state_dir": tmp_path})
    imported(config, tmp_path / "export", 30)
    assert mirrorsync.publish_live(config, "rahmat") is None


async def _until(condition: Callable[[], bool], seconds: float = 30.0) -> None:
    """Poll a condition on the files (no event to wait on: the swap is a rename)."""
    async with asyncio.timeout(seconds):
        while not await asyncio.to_thread(condition):  # noqa: ASYNC110
            await asyncio.sleep(0.1)


def test_dashboard_import_publishes_and_another_node_takes_it(
    two: tuple[Config, Config], tmp_path: Path
) -> None:
    """The admin page's import (ivr.admin.reloads) publishes as the command line does."""
    a, b = two
    write_sample(tmp_path / "upload", jemaah=45)
    _, attempt = reloads.import_data(a, "rahmat", tmp_path / "upload", force=True)
    assert attempt.ok and "; published #1: as of 2026-04-10" in attempt.detail
    MirrorSync(b).check()
    assert rows(b.mirror_path) == 45


def test_cli_data_publish_and_status_show_published_against_local(
    two: tuple[Config, Config], pg_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = two
    env = {"HAJJ_IVR_DATABASE_URL": pg_url}
    with pytest.MonkeyPatch.context() as patch:
        for key, value in env.items():
            patch.setenv(key, value)
        assert cli.main(["--state-dir", str(a.state_dir), "data", "publish"]) == 0
        published_line = capsys.readouterr().out
        assert cli.main(["--state-dir", str(b.state_dir), "data", "status"]) == 0
        status_b = capsys.readouterr().out
        assert cli.main(["--state-dir", str(a.state_dir), "data", "status"]) == 0
        status_a = capsys.readouterr().out
    assert published_line.startswith("published #1: as of 2026-04-10")
    assert f"sha256     {sha256(b.mirror_path)}" in status_b
    assert "published  #1 as of 2026-04-10" in status_b and "NOT the one here" in status_b
    assert "the same as here" in status_a


def test_cli_data_status_on_a_node_without_a_mirror_shows_the_published_one(
    two: tuple[Config, Config], tmp_path: Path, pg_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    mirrorsync.publish_live(two[0], "rahmat")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HAJJ_IVR_DATABASE_URL", pg_url)
        assert cli.main(["--state-dir", str(tmp_path / "late"), "data", "status"]) == 0
    out = capsys.readouterr().out
    assert "mirror     none at" in out and "published  #1 as of 2026-04-10" in out


def test_cli_data_publish_without_a_database_url_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["--state-dir", str(tmp_path), "data", "publish"]) == 1
    assert "no [database] url" in capsys.readouterr().err
