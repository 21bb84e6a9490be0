"""Who may read what in the state directory: folders 0700, files 0600, umask 077, and the
folders Asterisk works in owned by the user it runs as.

Started as root, Asterisk drops to ``asterisk.run_user`` before it loads a module. What it
reads or writes after that (the rendered config and its runtime folders, the sounds, the
complaint recordings and officers' replies, the agent-call recordings) then belongs to that
user, and the state dir becomes 0710 with that user's group: Asterisk can reach its own
folders inside but can neither list the state dir nor open a store, secrets.toml or an
upload (0600, ours).
Otherwise (not root, or ``run_user = ""``) Asterisk runs as we do and the state dir is 0700.
"""

from __future__ import annotations

import contextlib
import grp
import os
import pwd
import resource
import shutil
import stat
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ivr.config import Config
from ivr.errors import SetupError

UMASK = 0o077  # every file we create is ours alone unless we hand it over


@dataclass(frozen=True)
class Account:
    """The system user Asterisk runs as."""

    name: str
    uid: int
    gid: int

    @property
    def group(self) -> str:
        return _group_name(self.gid)


def run_account(config: Config) -> Account | None:
    """The user Asterisk drops to, or None when it runs as we do (we are not root, or
    ``asterisk.run_user`` is ""). SetupError when that user does not exist yet."""
    name = config.asterisk.run_user
    if not name or os.geteuid() != 0:
        return None
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        raise SetupError(
            f"asterisk.run_user = {name!r}: no such system user; `make setup` (as root) "
            f'creates it, or set run_user = "" to keep Asterisk running as root'
        ) from None
    if entry.pw_uid == 0:
        raise SetupError(f"asterisk.run_user = {name!r} is root: name an unprivileged user")
    return Account(name, entry.pw_uid, entry.pw_gid)


def create_account(config: Config) -> Account | None:
    """Create the run user (a system user with its own group, no home, no shell) when we
    are root and it does not exist yet; the account either way."""
    name = config.asterisk.run_user
    if not name or os.geteuid() != 0:
        return None
    with contextlib.suppress(KeyError):
        pwd.getpwnam(name)
        return run_account(config)
    useradd = shutil.which("useradd") or "/usr/sbin/useradd"
    argv = [useradd, "--system", "--user-group", "--no-create-home"]
    argv += ["--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin"]
    done = subprocess.run([*argv, name], capture_output=True, text=True)
    if done.returncode != 0 and done.returncode != 9:  # 9: created meanwhile by another setup
        raise SetupError(f"useradd {name} failed: {done.stderr.strip() or done.returncode}")
    return run_account(config)


def asterisk_dirs(config: Config) -> tuple[Path, ...]:
    """The folders Asterisk reads or writes after it dropped its privileges."""
    return (
        config.asterisk_dir,
        config.sounds_dir,
        config.recordings_dir,
        config.call_recordings_dir,
    )


def secure_state(config: Config) -> Account | None:
    """Tighten the state dir on every start: files 0600 and folders 0700 (also those an
    older version left 0644/0755), Asterisk's folders owned by its user. Returns that user."""
    account = run_account(config)
    state = config.state_dir
    state.mkdir(parents=True, exist_ok=True)
    theirs = asterisk_dirs(config)
    for folder in theirs:
        folder.mkdir(parents=True, exist_ok=True)
    # A local cluster's nodes keep their own folders (and their own Asterisk's user).
    _tighten(state, None, skip=(*theirs, config.cluster_dir))
    owner = account or _ourselves()
    for folder in theirs:
        _tighten(folder, owner, skip=())
    if account is not None:
        os.chown(state, -1, account.gid)
        state.chmod(0o710)  # the run user may pass through, not look around
    else:
        state.chmod(0o700)
    if account is not None:
        check_reachable(account, state)
    return account


def check_reachable(account: Account, path: Path) -> None:
    """SetupError unless ``account`` can pass through every folder above ``path``
    (Asterisk fails late and obscurely when it cannot)."""
    for folder in reversed(path.resolve().parents):
        info = folder.stat()
        if info.st_uid == account.uid:
            ok = bool(info.st_mode & stat.S_IXUSR)
        elif info.st_gid == account.gid:
            ok = bool(info.st_mode & stat.S_IXGRP)
        else:
            ok = bool(info.st_mode & stat.S_IXOTH)
        if not ok:
            raise SetupError(
                f"Asterisk runs as {account.name!r} (asterisk.run_user) but cannot reach "
                f"{path}: {folder} is {stat.filemode(info.st_mode)} {_owner(info)}. Move it "
                f'(state_dir, asterisk.sandbox_dir) elsewhere, or set run_user = ""'
            )


def owned_like_folder(path: Path, folder: Path | None = None) -> None:
    """A file we just wrote for one of Asterisk's folders (a rendered config, a prompt, an
    officer's reply) gets the owner of that folder (default: the one it is in), so
    Asterisk can read it. Only root gives files away; anyone else already is the owner."""
    if os.geteuid() != 0:
        return
    folder_info = (folder or path.parent).stat()
    mine = path.lstat()
    owner = (folder_info.st_uid, folder_info.st_gid)
    if (mine.st_uid, mine.st_gid) != owner:
        os.chown(path, *owner, follow_symlinks=False)


def _tighten(top: Path, owner: Account | None, skip: tuple[Path, ...]) -> None:
    for path, is_dir in _walk(top, skip):
        path.chmod(0o700 if is_dir else 0o600)
        if owner is not None and os.geteuid() == 0:
            os.chown(path, owner.uid, owner.gid)


def _walk(top: Path, skip: tuple[Path, ...]) -> Iterator[tuple[Path, bool]]:
    """Folders and regular files under ``top`` (itself included), never through a
    symlink (the sandbox's documentation is linked in) and never into ``skip``."""
    yield top, True
    for root, dirs, files in os.walk(top):
        here = Path(root)
        for name in list(dirs):
            path = here / name
            if path in skip or path.is_symlink():
                dirs.remove(name)
            else:
                yield path, True
        for name in files:
            path = here / name
            if stat.S_ISREG(path.lstat().st_mode):  # not a link, socket or fifo
                yield path, False


def _ourselves() -> Account:
    return Account(pwd.getpwuid(os.getuid()).pw_name, os.getuid(), os.getgid())


def _owner(info: os.stat_result) -> str:
    try:
        user = pwd.getpwuid(info.st_uid).pw_name
    except KeyError:
        user = str(info.st_uid)
    return f"{user}:{_group_name(info.st_gid)}"


def _group_name(gid: int) -> str:
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)


def open_files_allowed(wanted: int) -> int:
    """``wanted`` open files, or the hard limit this process inherited if lower: raising
    that needs CAP_SYS_RESOURCE (Asterisk's maxfiles, the controller's own soft limit)."""
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    return wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
