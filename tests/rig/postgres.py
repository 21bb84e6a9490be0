"""A private PostgreSQL for the store tests: `initdb` into a fresh folder, `pg_ctl start`
on a free loopback port with its unix socket in that folder, stopped by its PID.

The Debian package (`make setup`) puts initdb and pg_ctl in /usr/lib/postgresql/<ver>/bin,
off the PATH. initdb refuses root: run as root, the server runs as asterisk.run_user (the
unprivileged system user `make setup` creates) through runuser, in a folder it owns.
Durability is off (fsync, synchronous_commit): the data dies with the test session.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from ivr import pgstore
from ivr.config import AsteriskSettings, DatabaseSettings
from ivr.errors import SetupError
from ivr.queue.callbacks import PG_SCHEMA, Callbacks
from ivr.store import Schema, Sql, SqliteSql, open_store
from tests.rig.ports import free_port

SUPERUSER = "hajj"
STOP_WAIT = 15.0


def binaries() -> Path:
    """The folder of initdb and pg_ctl: the PATH's, else the newest Debian one."""
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(found).resolve().parent
    versions = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    if not versions:
        raise SetupError("no initdb/pg_ctl: `make setup` installs PostgreSQL (postgresql)")
    return versions[-1].parent


@dataclass
class Postgres:
    folder: Path
    port: int
    pid: int

    @property
    def url(self) -> str:
        return self.url_of("postgres")

    def url_of(self, database: str) -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    @classmethod
    def start(cls) -> Postgres:
        bindir = binaries()
        # Not under pytest's tmp (0700 root's, out of the run user's reach).
        folder = Path(tempfile.mkdtemp(prefix="hajj-ivr-pg-"))
        as_user = _run_user()
        if as_user:
            shutil.chown(folder, as_user, as_user)
        data, port = folder / "data", free_port()
        try:
            _run(as_user, bindir / "initdb", "-D", str(data), "-U", SUPERUSER,
                 "--auth=trust", "-E", "UTF8", "--no-locale", "--no-sync")  # fmt: skip
            options = (
                f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -F"
                " -c synchronous_commit=off -c full_page_writes=off"
            )
            _run(as_user, bindir / "pg_ctl", "-D", str(data), "-l", str(folder / "log"),
                 "-o", options, "-w", "-t", "60", "start")  # fmt: skip
            pid = int((data / "postmaster.pid").read_text().split()[0])
        except BaseException:
            with contextlib.suppress(OSError, ValueError, IndexError):  # started after all
                stray = int((data / "postmaster.pid").read_text().split()[0])
                os.kill(stray, signal.SIGKILL)
            shutil.rmtree(folder, ignore_errors=True)
            raise
        return cls(folder, port, pid)

    def create_database(self, name: str) -> str:
        """A new empty database; its URL."""
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url_of(name)

    def stop(self) -> None:
        """Fast shutdown (SIGINT) by PID; SIGKILL if it lingers; the folder removed."""
        try:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGINT)
            if not _gone_within(self.pid, STOP_WAIT):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(self.pid, signal.SIGKILL)
                _gone_within(self.pid, STOP_WAIT)
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)


@contextlib.contextmanager
def running() -> Iterator[Postgres]:
    server = Postgres.start()
    try:
        yield server
    finally:
        server.stop()


def _run_user() -> str:
    """Who runs the server: ourselves, or as root asterisk.run_user."""
    if os.geteuid() != 0:
        return ""
    user = AsteriskSettings().run_user
    if not user:
        raise SetupError('PostgreSQL will not run as root and asterisk.run_user is ""')
    return user


def _run(as_user: str, *argv: str | Path, cwd: Path | None = None) -> None:
    command = [str(a) for a in argv]
    name = Path(command[0]).name
    if as_user:
        command = ["runuser", "-u", as_user, "--", *command]
    # cwd: the run user may not enter ours (root's worktree).
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=120, check=False, cwd=cwd or "/"
    )
    if done.returncode != 0:
        raise SetupError(f"{name}: {done.stderr.strip() or done.stdout.strip()}")


def _gone_within(pid: int, seconds: float) -> bool:
    """The postmaster is not our child (pg_ctl detaches it): watch /proc for it (a
    zombie nobody reaped yet has stopped too)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except FileNotFoundError:
            return True
        if stat.rpartition(")")[2].split()[0] == "Z":
            return True
        time.sleep(0.05)
    return False


@contextlib.contextmanager
def pg_callbacks(url: str, name: str = "hajj-ivr-test") -> Iterator[Callbacks]:
    """The callback requests in the database at ``url``, migrated as the controller does,
    over a pool of their own (a node's), closed after."""
    settings = DatabaseSettings(url=url)
    pgstore.migrate_all(settings, (PG_SCHEMA,))
    pool = pgstore.open_pool(settings, name)
    try:
        yield Callbacks(pgstore.PgSql(pool))
    finally:
        pool.close()


@dataclass
class Backend:
    """One store test's database on either backend: ``kind`` is "sqlite" (a file in the
    test's folder) or "postgresql" (a fresh database on the session's server). ``sql``
    opens the store's tables as the controller would (SQLite steps, or PostgreSQL ones
    migrated by ivr.pgstore) and gives its :class:`ivr.store.Sql`; everything opened is
    closed at the test's end."""

    kind: str
    folder: Path
    url: str = ""
    _closers: list[Callable[[], None]] = field(default_factory=list)

    @property
    def postgres(self) -> bool:
        return self.kind == "postgresql"

    def sql(
        self, sqlite: Sequence[Schema], pg: Sequence[Schema], name: str = "store.sqlite"
    ) -> Sql:
        """The store's tables; a second call gives a second connection to the same ones
        (another node's, or the web app's beside the controller's)."""
        if not self.postgres:
            db = open_store(self.folder / name, *sqlite, wal=True, threads=True)
            self._closers.append(db.close)
            return SqliteSql(db)
        settings = DatabaseSettings(url=self.url)
        pgstore.migrate_all(settings, pg)
        pool = pgstore.open_pool(settings, "hajj-ivr-test")
        self._closers.append(pool.close)
        return pgstore.PgSql(pool)

    def close(self) -> None:
        while self._closers:
            self._closers.pop()()
