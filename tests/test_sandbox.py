"""The sandbox build (issue 11.19): two setups at once, a failed or killed build. The
debootstrap steps are replaced by a fake that lays out what `_sandbox` looks for."""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from ivr.asterisk import sandbox
from ivr.errors import SetupError

TRIPLET = "x86_64-linux-gnu"


def fake_sandbox(work: Path) -> None:
    """What debootstrap + apt-get leave, as far as locating Asterisk cares."""
    for folder in ("usr/sbin", "lib64", f"usr/lib/{TRIPLET}/asterisk/modules"):
        (work / folder).mkdir(parents=True)
    (work / "usr/sbin/asterisk").write_text("#!/bin/sh\n")
    (work / "lib64/ld-linux-x86-64.so.2").write_text("")
    (work / "etc").mkdir()
    (work / "etc/rmt").write_text("")  # what the second of two builds tripped over


def leftovers(root: Path) -> list[str]:
    return sorted(p.name for p in root.parent.iterdir() if p.name.startswith(f".{root.name}."))


def test_sandbox_build_lays_out_the_sandbox_once_and_is_idempotent(tmp_path: Path) -> None:
    root = tmp_path / "cache" / "asterisk-sid"
    calls: list[Path] = []

    def counted(work: Path) -> None:
        calls.append(work)
        fake_sandbox(work)

    first = sandbox.build(root, counted)
    again = sandbox.build(root, counted)

    assert first == again and len(calls) == 1
    assert first.argv[-1] == str(root / "usr/sbin/asterisk")
    assert (root / "etc/rmt").exists() and leftovers(root) == [f".{root.name}.lock"]
    assert (root.stat().st_mode & 0o777, root.parent.stat().st_mode & 0o777) == (0o755, 0o755)


def test_sandbox_two_builds_at_once_one_builds_both_get_the_sandbox(tmp_path: Path) -> None:
    """The first builder holds the lock until the second one is seen waiting on it."""
    root = tmp_path / "asterisk-sid"
    built: list[str] = []
    results: dict[str, sandbox.AsteriskInstall] = {}

    def first_build(work: Path) -> None:
        built.append("first")
        second.start()
        _wait_until_blocked_on_lock(root.with_name(f".{root.name}.lock"))
        fake_sandbox(work)

    def second_build(work: Path) -> None:
        built.append("second")
        fake_sandbox(work)

    second = threading.Thread(target=lambda: results.update(b=sandbox.build(root, second_build)))
    results["a"] = sandbox.build(root, first_build)
    second.join(30)

    assert built == ["first"]
    assert results["a"] == results["b"]
    assert leftovers(root) == [f".{root.name}.lock"]


def test_sandbox_failed_build_leaves_no_partial_folder_and_the_next_one_builds(
    tmp_path: Path,
) -> None:
    root = tmp_path / "asterisk-sid"

    def broken(work: Path) -> None:
        (work / "usr/sbin").mkdir(parents=True)
        raise SetupError("apt-get install failed (exit 100)")

    with pytest.raises(SetupError, match="apt-get install failed"):
        sandbox.build(root, broken)

    assert not root.exists() and leftovers(root) == [f".{root.name}.lock"]
    assert sandbox.build(root, fake_sandbox).argv[-1].endswith("usr/sbin/asterisk")


def test_sandbox_build_folders_of_a_killed_setup_are_removed_by_the_next(tmp_path: Path) -> None:
    root = tmp_path / "asterisk-sid"
    for stale in (tmp_path / ".asterisk-sid.k1ll3d", tmp_path / "asterisk-sid.building"):
        (stale / "etc").mkdir(parents=True)
        (stale / "etc/rmt").write_text("")

    sandbox.build(root, fake_sandbox)

    assert sorted(p.name for p in tmp_path.iterdir()) == [".asterisk-sid.lock", "asterisk-sid"]


def test_sandbox_mounts_under_a_folder_deepest_first_with_escapes() -> None:
    mountinfo = (
        "22 1 8:1 / / rw,relatime - ext4 /dev/vda rw\n"
        "90 22 0:5 / /var/cache/.sid.x/proc rw - proc proc rw\n"
        "91 90 0:6 / /var/cache/.sid.x/proc/sys/fs/binfmt_misc rw - binfmt_misc b rw\n"
        "92 22 0:7 / /var/cache/.sid.x\\040two/sys rw - sysfs sysfs rw\n"
        "93 22 0:8 / /var/cache/.sid.xy/proc rw - proc proc rw\n"
    )

    found = sandbox.mounts_under(Path("/var/cache/.sid.x"), mountinfo)

    assert found == [
        Path("/var/cache/.sid.x/proc/sys/fs/binfmt_misc"),
        Path("/var/cache/.sid.x/proc"),
    ]
    assert sandbox.mounts_under(Path("/var/cache/.sid.x two"), mountinfo) == [
        Path("/var/cache/.sid.x two/sys")
    ]


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting needs root")
def test_sandbox_failed_build_unmounts_what_it_mounted_then_removes_the_folder(
    tmp_path: Path,
) -> None:
    """debootstrap mounts /proc in its target; killed, it leaves it mounted."""
    root = tmp_path / "asterisk-sid"
    mounted: list[Path] = []

    def dies_with_proc_mounted(work: Path) -> None:
        (work / "proc").mkdir()
        subprocess.run(["mount", "-t", "proc", "proc", str(work / "proc")], check=True)
        mounted.append(work / "proc")
        raise SetupError("debootstrap failed (exit 1)")

    with pytest.raises(SetupError, match="debootstrap failed"):
        sandbox.build(root, dies_with_proc_mounted)

    assert mounted and not mounted[0].exists()
    assert sandbox.mounts_under(tmp_path, Path("/proc/self/mountinfo").read_text()) == []
    assert leftovers(root) == [f".{root.name}.lock"]


def _wait_until_blocked_on_lock(lock: Path) -> None:
    """Until the kernel lists a process waiting for this file's lock (/proc/locks marks a
    blocked request with '->'): no sleep stands in for the race."""
    inode = f":{lock.stat().st_ino} "
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if any("->" in line and inode in line for line in _proc_locks()):
            return
        time.sleep(0.01)
    raise AssertionError("the second build never waited for the lock")


def _proc_locks() -> list[str]:
    return Path("/proc/locks").read_text().splitlines()


def test_sandbox_lock_stays_held_by_a_killed_setups_child(tmp_path: Path) -> None:
    """A setup killed mid-build leaves debootstrap running: it holds the lock (its
    descriptor is passed to every build step), so no other setup touches its folder."""
    root = tmp_path / "asterisk-sid"
    script = (
        "import os, subprocess, sys\n"
        "from pathlib import Path\n"
        "from ivr.asterisk import sandbox\n"
        f"with sandbox._lock(Path({str(root)!r})) as fd:\n"
        "    child = subprocess.Popen(\n"
        "        ['sleep', '600'], pass_fds=(fd,),\n"
        "        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,\n"
        "    )  # not our pipes: run() below would wait for them to close\n"
        "    print(child.pid, flush=True)\n"
        "    os._exit(9)  # killed: no cleanup runs\n"
    )
    setup = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    orphan = int(setup.stdout)
    lock = root.with_name(f".{root.name}.lock").open("a")
    try:
        with pytest.raises(BlockingIOError):
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.kill(orphan, signal.SIGKILL)
        _wait_gone(orphan)
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)  # free once the child is gone
    finally:
        lock.close()


def _wait_gone(pid: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        if Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z":  # reaped by init soon
            return
        time.sleep(0.01)
    raise AssertionError(f"{pid} still running")
