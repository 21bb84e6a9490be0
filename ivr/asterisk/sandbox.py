"""Find an Asterisk to run: the system's (20 or newer) or a sandbox built from Debian sid.

Debian 12 no longer ships asterisk; sid does (22.x). The sandbox is a minbase debootstrap
of sid with asterisk installed, cached outside the repository so every clone reuses it.
It runs through the sandbox's own dynamic loader, so Asterisk reads the project's config
and prompt paths directly (no chroot). Absolute symlinks inside the sandbox point into
its own /etc/alternatives and do not resolve from outside: we resolve them ourselves.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ivr.errors import SetupError

log = logging.getLogger(__name__)

MIN_VERSION = 20
DEBIAN_MIRROR = "http://deb.debian.org/debian"
PACKAGES = ["asterisk", "asterisk-moh-opsound-wav"]


@dataclass(frozen=True)
class AsteriskInstall:
    """How to run one Asterisk: the argv prefix and where its modules and music live."""

    argv: tuple[str, ...]
    module_dir: Path
    data_dir: Path  # the package's /usr/share/asterisk (documentation, music on hold)
    origin: str  # "system" or "sandbox"

    @property
    def moh_dir(self) -> Path:
        return self.data_dir / "moh"

    def version(self) -> str:
        out = subprocess.run([*self.argv, "-V"], capture_output=True, text=True, timeout=20)
        return out.stdout.strip() or out.stderr.strip()


def locate(binary: str, sandbox_dir: Path) -> AsteriskInstall:
    """The Asterisk to use, or SetupError saying how to get one."""
    if binary != "auto":
        return _system(Path(binary))
    system = shutil.which("asterisk")
    if system and _major(_system(Path(system)).version()) >= MIN_VERSION:
        return _system(Path(system))
    if (sandbox_dir / "usr/sbin/asterisk").exists():
        return _sandbox(sandbox_dir)
    raise SetupError(
        f"no Asterisk {MIN_VERSION}+ found: run `make setup` (builds a sandbox Asterisk in "
        f"{sandbox_dir}) or install Asterisk {MIN_VERSION}+ from your distribution"
    )


def _major(version_text: str) -> int:
    found = re.search(r"Asterisk (\d+)", version_text)
    return int(found.group(1)) if found else 0


def _system(binary: Path) -> AsteriskInstall:
    module_dirs = [
        Path(p)
        for p in (
            "/usr/lib/x86_64-linux-gnu/asterisk/modules",
            "/usr/lib/aarch64-linux-gnu/asterisk/modules",
            "/usr/lib/asterisk/modules",
            "/usr/lib64/asterisk/modules",
        )
    ]
    module_dir = next((p for p in module_dirs if p.is_dir()), module_dirs[0])
    return AsteriskInstall((str(binary),), module_dir, Path("/usr/share/asterisk"), "system")


def _sandbox(root: Path) -> AsteriskInstall:
    triplet = _triplet(root)
    loader = next(iter(sorted((root / "lib64").glob("ld-linux-*.so.*"))), None) or next(
        iter(sorted((root / "usr/lib" / triplet).glob("ld-linux-*.so.*")))
    )
    libs = f"{root}/lib/{triplet}:{root}/usr/lib/{triplet}"
    argv = (str(loader), "--library-path", libs, str(root / "usr/sbin/asterisk"))
    modules = root / "usr/lib" / triplet / "asterisk/modules"
    return AsteriskInstall(argv, modules, root / "usr/share/asterisk", "sandbox")


def _triplet(root: Path) -> str:
    for candidate in sorted((root / "usr/lib").glob("*-linux-gnu*")):
        if (candidate / "asterisk").is_dir():
            return candidate.name
    raise SetupError(f"the sandbox in {root} has no Asterisk modules: run `make setup` again")


def build(root: Path, bootstrap: Callable[[Path], None] | None = None) -> AsteriskInstall:
    """Build the sandbox once (idempotent): debootstrap sid, then apt-get install asterisk.

    Safe to run twice at once (two clones' `make setup`, or `make run` beside `make
    test`): builders take turns on a lock beside the sandbox, each builds in a private
    folder renamed into place when complete, and a later one finds the sandbox built. A
    failed or killed build leaves nothing mounted and no partial folder behind.
    ``bootstrap`` fills a folder with the sandbox (tests pass a fake).
    """
    if _built(root):
        return _sandbox(root)
    if bootstrap is None:
        _check_can_build()
    _make_folders(root.parent)
    with _lock(root) as lock:
        if _built(root):  # built by the setup we waited for
            return _sandbox(root)
        for stale in _leftovers(root):
            log.info("removing %s, left by an interrupted build", stale)
            _discard(stale)
        work = Path(tempfile.mkdtemp(prefix=f".{root.name}.", dir=root.parent))
        try:
            log.info("building the Asterisk sandbox in %s (debootstrap sid, about a minute)", root)
            if bootstrap is None:
                _debootstrap(work, lock)
            else:
                bootstrap(work)
            work.chmod(0o755)
            work.rename(root)
        except BaseException:
            _discard(work)
            raise
    return _sandbox(root)


def _make_folders(folder: Path) -> None:
    """Create the folders above the sandbox 0755 whatever the umask: Asterisk may run as
    another user (asterisk.run_user) and must reach its modules."""
    for missing in [p for p in (folder, *folder.parents) if not p.exists()][::-1]:
        with contextlib.suppress(FileExistsError):  # another setup made it meanwhile
            missing.mkdir()
            missing.chmod(0o755)


def _built(root: Path) -> bool:
    return (root / "usr/sbin/asterisk").exists()


@contextlib.contextmanager
def _lock(root: Path) -> Iterator[int]:
    """Exclusive while building; yields its descriptor. The kernel lets go when the last
    process holding it ends: the build's own children hold it too (``pass_fds``), so a
    debootstrap that outlives a killed setup still keeps the next one waiting."""
    path = root.with_name(f".{root.name}.lock")
    with path.open("a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log.warning("another setup is building the Asterisk sandbox; waiting for it")
            fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield lock.fileno()
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _leftovers(root: Path) -> list[Path]:
    """Build folders of builders that died (ours are private and removed on failure; a
    killed one's stays). Only called under the lock, so none of these is in use."""
    found = list(root.parent.glob(f".{root.name}.*"))
    found.append(root.with_name(root.name + ".building"))  # older versions built here
    return [p for p in found if p.is_dir() and not p.is_symlink()]


def _discard(work: Path) -> None:
    """Unmount whatever a build mounted inside (debootstrap mounts /proc and /sys in its
    target and a killed one leaves them), then delete the folder; never delete across a
    mount that would not come off."""
    for point in mounts_under(work, Path("/proc/self/mountinfo").read_text()):
        subprocess.run(["umount", "--lazy", str(point)], capture_output=True)
    left = mounts_under(work, Path("/proc/self/mountinfo").read_text())
    if left:
        raise SetupError(f"{left[0]} is still mounted: unmount it, then remove {work}")
    shutil.rmtree(work, ignore_errors=True)


def mounts_under(folder: Path, mountinfo: str) -> list[Path]:
    """Mount points at or below ``folder`` in /proc/self/mountinfo text, deepest first."""
    top = str(folder.resolve())
    points = []
    for line in mountinfo.splitlines():
        fields = line.split()
        if len(fields) < 5:
            continue
        # Field 5 is the mount point, with space, tab, newline and backslash octal-escaped.
        point = re.sub(r"\\([0-7]{3})", lambda m: chr(int(m[1], 8)), fields[4])
        if point == top or point.startswith(top + "/"):
            points.append(Path(point))
    return sorted(points, key=lambda p: len(p.parts), reverse=True)


def _debootstrap(work: Path, lock: int) -> None:
    argv = ["debootstrap", "--variant=minbase", "sid", str(work), DEBIAN_MIRROR]
    _run(argv, "debootstrap", lock)
    # No daemon may start inside the sandbox while packages install.
    policy = work / "usr/sbin/policy-rc.d"
    policy.write_text("#!/bin/sh\nexit 101\n")
    policy.chmod(0o755)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    apt = ["chroot", str(work), "apt-get"]
    _run([*apt, "-o", "Acquire::Check-Valid-Until=false", "update"], "apt-get update", lock, env)
    install = [*apt, "install", "-y", "--no-install-recommends", *PACKAGES]
    _run(install, "apt-get install", lock, env)


def _check_can_build() -> None:
    if os.geteuid() != 0:
        raise SetupError(
            "building the Asterisk sandbox needs root (debootstrap and chroot): run "
            "`sudo make setup`, or install Asterisk 20+ yourself"
        )
    if not shutil.which("debootstrap"):
        raise SetupError("debootstrap is missing: `apt-get install debootstrap`, then retry")


def _run(argv: list[str], what: str, lock: int, env: dict[str, str] | None = None) -> None:
    # Not the CLI's umask 077: the sandbox must stay readable by Asterisk's own user.
    done = subprocess.run(
        argv, capture_output=True, text=True, env=env, umask=0o022, pass_fds=(lock,)
    )
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-15:])
        raise SetupError(
            f"{what} failed (exit {done.returncode}); is {DEBIAN_MIRROR} reachable?\n{tail}"
        )
