"""Shared fixtures: the private hotline (real Asterisk + controller) for call tests, the fast
tier's hotline, and a sample export with its live mirror for the data tests."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
from selenium.webdriver.remote.webdriver import WebDriver

from ivr.asterisk import sandbox
from ivr.calldb import open_calldb
from ivr.config import AsteriskSettings
from ivr.data import ppiu, sample_umrah
from ivr.data.importer import import_export
from ivr.data.mirror import Mirror
from ivr.data.sample import write_sample
from ivr.errors import SetupError
from tests.rig import browser as browser_rig
from tests.rig.fast import FastHotline
from tests.rig.hotline import Hotline
from tests.rig.postgres import Backend, Postgres

# `make test` hands whole modules to its two workers in collection order (--dist loadfile
# --no-loadscope-reorder: xdist's own reorder, by test count, queued the real-call modules,
# a test or two each but minutes long, last, and one of them ran alone at the end while
# the other worker idled). So the real-Asterisk modules go first, the longest first as
# last measured (make test prints the slowest), and the fast tier's hundreds of short
# modules fill in behind them until both workers end together. Order only: a module's own
# tests keep their order, and any module may still land on either worker.
LONGEST_FIRST = (
    "test_web_admin",
    "test_cluster",
    "test_call_pilgrim",
    "test_call_agents",
    "test_call_agentnode",
    "test_call_campaigns",
    "test_call_corrections",
    "test_call_studio",
    "test_call_services",
    "test_call_backup",
    "test_call_umrah",
    "test_call_metrics",
    "test_call_complaints",
    "test_call_callbacks",
    "test_call_webphone",
    "test_call_webphone_security",
    "test_call_desk",
    "test_call_recordings",
    "test_call_guard",
    "test_call_agent_report",
    "test_call_complaint_lock",
    "test_call_ratings",
)


def _module(item: pytest.Item) -> str:
    return Path(item.nodeid.split("::", 1)[0]).stem


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    real = {_module(item) for item in items if item.get_closest_marker("asterisk")}

    def rank(item: pytest.Item) -> tuple[int, int]:
        name = _module(item)
        if name in LONGEST_FIRST:
            return 0, LONGEST_FIRST.index(name)
        return (1 if name in real else 2), 0

    items.sort(key=rank)  # stable: the order within a module stays


def require_asterisk() -> None:
    """Skip without Asterisk, fail under CI (real-engine tests never skip there)."""
    settings = AsteriskSettings()
    try:
        sandbox.locate(settings.binary, settings.sandbox_dir)
    except SetupError as e:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run real-Asterisk tests: {e}")
        pytest.skip(str(e))


@pytest.fixture(scope="session")
def hotline() -> Iterator[Hotline]:
    require_asterisk()
    # Run as root, Asterisk drops to asterisk.run_user, which cannot pass through pytest's
    # 0700 /tmp/pytest-of-root: the hotline gets a private folder of its own in /tmp.
    state_dir = Path(tempfile.mkdtemp(prefix="hajj-ivr-rig-"))
    try:
        running = Hotline.start(state_dir)
        try:
            yield running
        finally:
            running.stop()
    finally:
        shutil.rmtree(state_dir, ignore_errors=True)


@pytest.fixture(autouse=True, scope="module")
def _mirror_left_whole(request: pytest.FixtureRequest) -> Iterator[None]:
    """A module that used the session's hotline leaves its mirror serving the whole sample
    (offices and the PPIU list too), or it fails here, not some later module that happens
    to share its worker (an upload of jemaah.csv and kloter.csv alone once did that)."""
    yield
    # A module with a `hotline` fixture of its own (a fake, function-scoped) never used the
    # session's: asking for its own from here is a ScopeMismatch (seen under -n 2 --dist
    # load, where a module's last test on a worker decides the fixture names).
    if "hotline" not in request.fixturenames or "hotline" in vars(request.module):
        return
    running: Hotline = request.getfixturevalue("hotline")
    with Mirror(running.config.mirror_path) as mirror:
        assert mirror.offices(), f"{request.module.__name__} left a mirror without offices"
        known = mirror.ppiu(sample_umrah.AGENCIES[0][0]).check
        assert known is not ppiu.Check.NO_LIST, (
            f"{request.module.__name__} left a mirror without the PPIU list"
        )
    _left_no_agent_and_no_callback(running, request.module.__name__)


def _left_no_agent_and_no_callback(running: Hotline, module: str) -> None:
    """Nobody logged in and no callback waiting: an agent left in a queue (their phone
    gone) or a request left open would take the next module's calls on the same worker."""
    listed = json.loads(running.cli("agents", "list", "--json").stdout or "[]")
    logged = [a["name"] for a in listed if a["state"] != "logged out"]
    assert not logged, f"{module} left agents logged in: {logged}"
    with closing(open_calldb(running.config.calllog_path)) as db:
        waiting = db.execute(
            "SELECT number, state FROM callbacks WHERE state IN ('open', 'calling')"
        ).fetchall()
    assert not waiting, f"{module} left callback requests waiting: {waiting}"


@pytest.fixture
def tmp() -> Iterator[Path]:
    """A folder the run user can reach (pytest's own is 0700 root's), as a real state dir
    would be; removed after."""
    folder = Path(tempfile.mkdtemp(prefix="hajj-ivr-test-"))
    folder.chmod(0o711)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    """A private PostgreSQL for this session (worker), about a second to start; never
    skipped under CI, like Asterisk."""
    try:
        server = Postgres.start()
    except SetupError as e:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the PostgreSQL store tests: {e}")
        pytest.skip(str(e))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def pg_url(postgres: Postgres) -> str:
    """A fresh empty database on the session's PostgreSQL for one test: its URL."""
    return postgres.create_database(f"t_{uuid.uuid4().hex}")


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    """A store test run twice: on a SQLite file, and on a fresh PostgreSQL database
    (tests/rig/postgres.py's Backend)."""
    url = request.getfixturevalue("pg_url") if request.param == "postgresql" else ""
    opened = Backend(request.param, tmp_path, url)
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[WebDriver]:
    """One headless Chromium for the session's dashboard tests."""
    driver = browser_rig.start()
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def fast(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastHotline]:
    """The fast tier's hotline (no Asterisk, simulated time): never skipped. One per module
    (a fraction of a second), so limits counted across calls start afresh in each."""
    running = FastHotline.start(Path(tmp_path_factory.mktemp("fast")))
    try:
        yield running
    finally:
        running.close()


@pytest.fixture
def export(tmp_path: Path) -> Path:
    """The sample export (the fixed pilgrims and more, 60 in all) in tmp_path/export."""
    write_sample(tmp_path / "export", jemaah=60)
    return tmp_path / "export"


@pytest.fixture
def live(tmp_path: Path, export: Path) -> Path:
    """A live mirror of the sample export (as of 2026-04-10) in tmp_path/state."""
    import_export(export, tmp_path / "state" / "mirror.sqlite")
    return tmp_path / "state" / "mirror.sqlite"
