"""A private PostgreSQL server in a folder: `initdb`, `pg_ctl start` on a loopback port
with its unix socket in that folder, stopped by its PID. The local cluster's database
(ivr/cluster/local.py) and the test rig's (tests/rig/postgres.py).

The Debian package (`make setup`) puts initdb and pg_ctl in /usr/lib/postgresql/<ver>/bin,
off the PATH. initdb refuses root: run as root, the server runs as asterisk.run_user (the
unprivileged system user `make setup` creates) through runuser, in a folder it owns.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

from ivr.errors import SetupError

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


def run_user(configured: str) -> str:
    """Who runs the server: ourselves (""), or as root ``configured`` (asterisk.run_user)."""
    if os.geteuid() != 0:
        return ""
    if not configured:
        raise SetupError('PostgreSQL will not run as root and asterisk.run_user is ""')
    return configured


def start(folder: Path, port: int, superuser: str, as_user: str, durable: bool = True) -> int:
    """initdb into ``folder``/data (unless there already), start the server on
    127.0.0.1:``port`` (socket in ``folder``, log ``folder``/log); its PID. ``durable``
    False turns fsync off (a test's throwaway data)."""
    bindir, data = binaries(), folder / "data"
    folder.mkdir(parents=True, exist_ok=True)
    if as_user:
        shutil.chown(folder, as_user, as_user)
    if not (data / "PG_VERSION").exists():
        _run(as_user, bindir / "initdb", "-D", str(data), "-U", superuser,
             "--auth=trust", "-E", "UTF8", "--no-locale", "--no-sync")  # fmt: skip
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1"
    if not durable:
        options += " -F -c synchronous_commit=off -c full_page_writes=off"
    try:
        _run(as_user, bindir / "pg_ctl", "-D", str(data), "-l", str(folder / "log"),
             "-o", options, "-w", "-t", "60", "start")  # fmt: skip
        pid = pid_of(folder)
    except BaseException:
        stray = pid_of(folder)
        if stray:  # started after all
            with contextlib.suppress(OSError):
                os.kill(stray, signal.SIGKILL)
        raise
    if pid is None:
        raise SetupError(f"PostgreSQL in {folder} wrote no postmaster.pid")
    return pid


def pid_of(folder: Path) -> int | None:
    """The postmaster's PID from its own pidfile, when it runs."""
    try:
        pid = int((folder / "data" / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return None if gone_within(pid, 0) else pid


def stop(pid: int) -> None:
    """Fast shutdown (SIGINT) by PID; SIGKILL if it lingers."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGINT)
    if not gone_within(pid, STOP_WAIT):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        gone_within(pid, STOP_WAIT)


def gone_within(pid: int, seconds: float) -> bool:
    """The postmaster is not our child (pg_ctl detaches it): watch /proc for it (a
    zombie nobody reaped yet has stopped too)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except FileNotFoundError:
            return True
        if stat.rpartition(")")[2].split()[0] == "Z":
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)


def _run(as_user: str, *argv: str | Path) -> None:
    command = [str(a) for a in argv]
    name = Path(command[0]).name
    if as_user:
        command = ["runuser", "-u", as_user, "--", *command]
    # cwd "/": the run user may not enter ours (root's worktree).
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=120, check=False, cwd="/"
    )
    if done.returncode != 0:
        raise SetupError(f"{name}: {done.stderr.strip() or done.stdout.strip()}")
