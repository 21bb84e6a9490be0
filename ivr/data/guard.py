"""One import at a time into a mirror, and no leftovers from an import that was killed.

Two imports that overlap would both build a new file and the last to finish would win,
even when it holds the older export. So an import holds an exclusive ``flock`` on
``mirror.sqlite.lock`` beside the mirror from before its build until after its swap; a
second one is refused at once (an import of the national list takes about a minute:
better a clear answer than a page that hangs). The kernel drops the lock when the holder
exits, however it exits, so a killed import never blocks the next one.

An import killed mid-build leaves its ``mirror.sqlite.<random>.new`` behind. Whoever
holds the lock is the only one building, so every such file it finds is stale.
"""

from __future__ import annotations

import fcntl
import glob
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ivr.errors import DataError


def lock_path(live: Path) -> Path:
    # Never deleted: a lock file removed while another process waits on it would let a
    # third process lock a new file of the same name, and two imports would run.
    return live.with_name(f"{live.name}.lock")


def new_pattern(live: Path) -> str:
    """The glob of the files an import builds beside ``live`` (see the importer)."""
    return f"{glob.escape(live.name)}.*.new"


@contextmanager
def exclusive(live: Path) -> Iterator[None]:
    """Hold the import lock of ``live``; DataError at once when another import holds it."""
    live.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_path(live), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise DataError(
                f"another import is running{_holder(fd)} into {live}: nothing was changed; "
                "import again when it has finished"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        remove_stale(live)
        yield
    finally:
        os.close(fd)  # releases the lock


def remove_stale(live: Path) -> list[Path]:
    """Remove the ``*.new`` files a killed import left; only call it holding the lock."""
    stale = sorted(live.parent.glob(new_pattern(live)))
    for path in stale:
        path.unlink(missing_ok=True)
    return stale


def _holder(fd: int) -> str:
    """`` (process 1234)``: who holds the lock, as it wrote itself into the file."""
    pid = os.pread(fd, 32, 0).decode(errors="replace").strip()
    return f" (process {pid})" if pid.isdigit() else ""
