"""A private Kamailio front door for the cluster tests: the rendered kamailio.cfg and
dispatcher.list in a folder of its own, run in the foreground (-DD, logging to stderr into
a file) on a free loopback UDP port, its ctl socket in that folder, stopped by its PID.

The main process forwards SIGTERM to its worker processes, so stopping it stops them all.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ivr.cluster.kamailio import FrontDoor, Node, config_text, dispatcher_list
from ivr.errors import SetupError
from tests.rig.ports import free_port

START_WAIT = 20.0
STOP_WAIT = 10.0
_DEST = re.compile(r"URI: (\S+)\s+FLAGS: (\S+)")


@dataclass
class Kamailio:
    door: FrontDoor
    folder: Path
    process: subprocess.Popen[bytes]

    @property
    def port(self) -> int:
        return self.door.listen_port

    @property
    def log(self) -> str:
        return (self.folder / "kamailio.log").read_text(errors="replace")

    def rpc(self, *command: str) -> str:
        """A kamcmd command over the ctl socket; its output."""
        done = subprocess.run(
            ["kamcmd", "-s", f"unix:{self.door.ctl_socket}", *command],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
        if done.returncode != 0:
            raise SetupError(f"kamcmd {' '.join(command)}: {done.stderr.strip()}")
        return done.stdout

    def destinations(self) -> dict[str, str]:
        """Each node's URI and its dispatcher flags (A active, I inactive, P probing)."""
        return dict(_DEST.findall(self.rpc("dispatcher.list")))

    def wait_flags(self, uri: str, first: str, timeout: float = 30.0) -> str:
        """Wait until node ``uri``'s flags start with ``first`` ("A" or "I"); the flags."""
        deadline = time.monotonic() + timeout
        flags = ""
        while time.monotonic() < deadline:
            flags = self.destinations().get(uri, "")
            if flags.startswith(first):
                return flags
            time.sleep(0.3)
        raise AssertionError(f"{uri} flags {flags!r}, never {first}...: {self.log[-2000:]}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(STOP_WAIT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(STOP_WAIT)


def start(folder: Path, nodes: tuple[Node, ...], **door: object) -> Kamailio:
    """Kamailio on a free loopback UDP port in front of ``nodes``; FrontDoor's other
    fields from ``door``."""
    if shutil.which("kamailio") is None or shutil.which("kamcmd") is None:
        raise SetupError("no kamailio/kamcmd: `make setup` installs Debian's kamailio")
    folder.mkdir(parents=True, exist_ok=True)
    front = FrontDoor(
        nodes=nodes,
        listen_port=free_port(socket.SOCK_DGRAM),
        ctl_socket=folder / "kamailio_ctl",
        **door,  # type: ignore[arg-type]
    )
    (folder / "dispatcher.list").write_text(dispatcher_list(front))
    cfg = folder / "kamailio.cfg"
    cfg.write_text(config_text(front, folder / "dispatcher.list"))
    log = (folder / "kamailio.log").open("wb")
    # -m/-M: a test's few calls need little of the 64 MB shared memory Debian's unit gives.
    argv = ["kamailio", "-f", str(cfg), "-DD", "-E", "-Y", str(folder), "-m", "32", "-M", "4"]
    process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, cwd=folder)
    log.close()
    kamailio = Kamailio(front, folder, process)
    _wait_ready(kamailio)
    return kamailio


def _wait_ready(kamailio: Kamailio) -> None:
    deadline = time.monotonic() + START_WAIT
    while time.monotonic() < deadline:
        if kamailio.process.poll() is not None:
            raise SetupError(f"kamailio exited: {kamailio.log[-3000:]}")
        with contextlib.suppress(SetupError):
            kamailio.rpc("core.uptime")
            return
        time.sleep(0.2)
    kamailio.stop()
    raise SetupError(f"kamailio not ready in {START_WAIT}s: {kamailio.log[-3000:]}")


@contextlib.contextmanager
def running(folder: Path, nodes: tuple[Node, ...], **door: object) -> Iterator[Kamailio]:
    kamailio = start(folder, nodes, **door)
    try:
        yield kamailio
    finally:
        kamailio.stop()
