"""Start, stop and talk to one Asterisk instance rendered from the project's dialplan/.

Processes we start, we stop by PID: the pidfile is ours (not Asterisk's own), written when
we spawn it, and `stop` waits for that PID to go away, escalating to SIGKILL.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from ivr import files
from ivr.asterisk import render, sandbox
from ivr.asterisk.render import RuntimeLayout
from ivr.config import Config
from ivr.errors import AsteriskError
from ivr.secrets import load_or_create

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Asterisk:
    """One Asterisk instance: its install, its rendered runtime directory."""

    install: sandbox.AsteriskInstall
    layout: RuntimeLayout
    start_timeout: float

    @classmethod
    def from_config(cls, config: Config) -> Asterisk:
        install = sandbox.locate(config.asterisk.binary, config.asterisk.sandbox_dir)
        layout = RuntimeLayout(config.asterisk_dir)
        return cls(install, layout, config.asterisk.start_timeout)

    @property
    def argv(self) -> list[str]:
        return [*self.install.argv, "-C", str(self.layout.asterisk_conf)]

    def pid(self) -> int | None:
        """The PID of our running Asterisk, or None (a stale pidfile is removed)."""
        try:
            pid = int(self.layout.pidfile.read_text())
        except (FileNotFoundError, ValueError):
            return None
        if _alive(pid) and self._is_ours(pid):
            return pid
        self.layout.pidfile.unlink(missing_ok=True)
        return None

    def _is_ours(self, pid: int) -> bool:
        """A PID from an old pidfile may since belong to another program: check its argv."""
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            return False
        return str(self.layout.asterisk_conf).encode() in argv

    def start(self, output: IO[bytes] | None = None) -> int:
        """Spawn Asterisk (no fork, own session), wait until fully booted, return its PID.

        ``output`` receives its console log (the terminal for `make run`); by default it
        goes to log/console.log in the runtime directory.
        """
        running = self.pid()
        if running:
            raise AsteriskError(f"Asterisk is already running (pid {running})")
        wait_ctl_free(self.layout.run / "asterisk.ctl", CTL_FREE_SECONDS)
        pid = self._spawn(output)
        self.layout.pidfile.write_text(str(pid))
        try:
            self._wait_booted(pid)
        except AsteriskError:
            self.stop()
            raise
        return pid

    def exec_foreground(self) -> None:
        """Become Asterisk in the foreground (a service manager supervises it): the pidfile
        names this process, which Asterisk replaces. Returns only by raising."""
        running = self.pid()
        if running:
            raise AsteriskError(f"Asterisk is already running (pid {running})")
        self.layout.pidfile.write_text(str(os.getpid()))
        os.umask(files.UMASK)
        argv = [*self.argv, "-f", "-n"]
        try:
            os.execv(argv[0], argv)
        except OSError as e:
            self.layout.pidfile.unlink(missing_ok=True)
            raise AsteriskError(f"cannot run {argv[0]}: {e}") from e

    def rotate_logs(self, keep: int) -> tuple[Path, ...]:
        """Asterisk starts new log files (logger.conf: rotatestrategy = timestamp, so an old
        one is named NAME.<unix time>); of those, all but the newest ``keep`` of each log
        are deleted. Returns them."""
        self.cli("logger rotate")
        removed: list[Path] = []
        for current in sorted(self.layout.log.glob("*.log")):
            old = sorted(
                self.layout.log.glob(f"{current.name}.*"), key=lambda p: (len(p.name), p.name)
            )
            for path in old[: max(len(old) - keep, 0)]:
                path.unlink()
                removed.append(path)
        return tuple(removed)

    def _spawn(self, output: IO[bytes] | None) -> int:
        # posix_spawn rather than Popen: Asterisk outlives this object (and often this
        # process); its own session keeps a terminal's Ctrl-C ours to handle, not its.
        sink = output or (self.layout.log / "console.log").open("ab")
        # Asterisk inherits our umask: recordings, its log and astdb are 0600 from birth.
        umask = os.umask(files.UMASK)
        try:
            argv = [*self.argv, "-f", "-n"]
            actions = [
                (os.POSIX_SPAWN_OPEN, 0, "/dev/null", os.O_RDONLY, 0),
                (os.POSIX_SPAWN_DUP2, sink.fileno(), 1),
                (os.POSIX_SPAWN_DUP2, sink.fileno(), 2),
            ]
            return os.posix_spawn(
                argv[0], argv, dict(os.environ), file_actions=actions, setsid=True
            )
        finally:
            os.umask(umask)
            if output is None:
                sink.close()

    def _wait_booted(self, pid: int) -> None:
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if not _alive(pid):
                log_file = self.layout.log / "console.log"
                raise AsteriskError(f"Asterisk exited at start ({log_file}):\n{_tail(log_file)}")
            if self.layout.run.joinpath("asterisk.ctl").exists():
                left = max(deadline - time.monotonic(), 1.0)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    done = self._remote("core waitfullybooted", timeout=left)
                    if done.returncode == 0 and "fully booted" in done.stdout:
                        return
            time.sleep(0.1)
        raise AsteriskError(f"Asterisk did not boot within {self.start_timeout:.0f} s")

    def stop(self, timeout: float = 15.0) -> bool:
        """Stop our Asterisk gracefully, then by signal. True when one was running."""
        pid = self.pid()
        if pid is None:
            return False
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._remote("core stop now", timeout=5)
        if not _wait_gone(pid, timeout):
            _signal(pid, signal.SIGTERM)
            if not _wait_gone(pid, 5):
                _signal(pid, signal.SIGKILL)
                _wait_gone(pid, 5)
        self.layout.pidfile.unlink(missing_ok=True)
        return True

    def cli(self, command: str, timeout: float = 30.0) -> str:
        """Run one CLI command through the control socket and return its output."""
        if self.pid() is None:
            raise AsteriskError("Asterisk is not running: start it with `hajj-ivr asterisk start`")
        done = self._remote(command, timeout)
        if done.returncode != 0:
            raise AsteriskError(f"CLI command failed: {done.stderr.strip() or done.stdout.strip()}")
        return done.stdout

    def _remote(self, command: str, timeout: float) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*self.argv, "-rx", command], capture_output=True, text=True, timeout=timeout
        )


def prepare(config: Config) -> Asterisk:
    """Render dialplan/ with this config (secrets created on first use), then tighten the
    state dir and hand Asterisk's folders to the user it will run as."""
    asterisk = Asterisk.from_config(config)
    render.render(config, asterisk.install, load_or_create(config.secrets_path))
    account = files.secure_state(config)
    if account is not None:
        files.check_reachable(account, asterisk.install.module_dir)
    return asterisk


CTL_FREE_SECONDS = 10.0


def wait_ctl_free(ctl: Path, timeout: float) -> None:
    """Wait until nothing answers on the control socket. A killed Asterisk leaves /proc
    (its cmdline empties, so pid() calls it gone) a moment before the kernel closes its
    sockets; started in that moment, the new one finds the old socket answering and exits
    ("Asterisk already running"). A socket file nobody answers on is Asterisk's to remove."""
    deadline = time.monotonic() + timeout
    while ctl.exists():
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
            try:
                probe.connect(str(ctl))
            except OSError:
                return
        if time.monotonic() > deadline:
            raise AsteriskError(f"another Asterisk still answers on {ctl}: stop it first")
        time.sleep(0.1)


def _tail(path: Path, lines: int = 8) -> str:
    """The last lines Asterisk wrote, so the admin sees why it stopped."""
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "(no console log)"
    return "\n".join(text.strip().splitlines()[-lines:])


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child of ours still answers kill(0): reap it if it is ours.
    with contextlib.suppress(ChildProcessError):
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            return False
    # Another process's zombie (its parent has not reaped it yet) has stopped too.
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def _wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.05)
    return not _alive(pid)


def _signal(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)
