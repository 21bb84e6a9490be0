"""The state dir's modes and owners (issue 11.5), with real files and, as root, real users."""

from __future__ import annotations

import os
import pwd
import signal
import socket
import sqlite3
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ivr import config as config_mod
from ivr import files
from ivr.config import Config
from ivr.errors import SetupError
from ivr.secrets import load_or_create
from tests.rig.procs import service_env

VENV_BIN = Path(sys.executable).parent
AS_ROOT = os.geteuid() == 0


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def state_as_main_left_it(state: Path) -> Config:
    """A state dir the way main left it: stores 0644 in 0755 folders."""
    config = config_mod.load(env={}, overrides={"state_dir": str(state)})
    state.mkdir(parents=True)
    for name in ("calls.sqlite", "agents.sqlite", "admin.sqlite"):
        sqlite3.connect(state / name).close()  # empty stores, as a service would find them
    (state / "mirror.sqlite-wal").write_text("x")  # what a killed process leaves
    for folder, name in [
        (config.recordings_dir, "20260001.wav"),
        (config.sounds_dir / "id" / "hajj", "menu.wav"),
        (config.asterisk_dir / "etc", "manager.conf"),
        (state / "uploads" / "20260101-120000", "export.zip"),
    ]:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text("x")
    for path in [state, *state.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    return config


def test_secure_state_files_0644_in_0755_folders_become_0600_in_0700(tmp: Path) -> None:
    config = state_as_main_left_it(tmp / "var")

    account = files.secure_state(config)

    state = config.state_dir
    assert mode(state) == (0o710 if account else 0o700)
    for path in state.rglob("*"):
        assert mode(path) == (0o700 if path.is_dir() else 0o600), path


def test_secure_state_as_root_hands_asterisk_its_folders_and_nothing_else(tmp: Path) -> None:
    config = state_as_main_left_it(tmp / "var")

    account = files.secure_state(config)

    if not AS_ROOT:
        assert account is None
        return
    assert account is not None and account.name == config.asterisk.run_user
    assert config.state_dir.stat().st_gid == account.gid
    theirs = files.asterisk_dirs(config)
    for path in config.state_dir.rglob("*"):
        asterisks = any(path == d or d in path.parents for d in theirs)
        assert path.stat().st_uid == (account.uid if asterisks else 0), path


def test_secure_state_never_follows_a_link_out_of_the_state_dir(tmp: Path) -> None:
    outside = tmp / "sandbox-docs"
    outside.mkdir()
    (outside / "core.xml").write_text("x")
    outside.chmod(0o755)
    (outside / "core.xml").chmod(0o644)
    config = state_as_main_left_it(tmp / "var")
    (config.asterisk_dir / "data").mkdir()
    (config.asterisk_dir / "data" / "documentation").symlink_to(outside)

    files.secure_state(config)

    assert (mode(outside), mode(outside / "core.xml")) == (0o755, 0o644)
    assert os.stat(outside).st_uid == os.geteuid()


def test_secure_state_no_run_user_keeps_everything_ours_and_0700(tmp: Path) -> None:
    config = state_as_main_left_it(tmp / "var")
    config = config_mod.load(
        env={}, overrides={"state_dir": str(config.state_dir), "asterisk.run_user": ""}
    )

    assert files.secure_state(config) is None

    assert mode(config.state_dir) == 0o700
    assert {p.stat().st_uid for p in config.state_dir.rglob("*")} == {os.geteuid()}


@pytest.mark.skipif(not AS_ROOT, reason="only root gives files away")
def test_owned_like_folder_gives_a_new_file_the_folders_owner(tmp: Path) -> None:
    account = files.create_account(config_mod.load(env={}))
    assert account is not None
    folder = tmp / "complaints"
    folder.mkdir()
    os.chown(folder, account.uid, account.gid)
    staged = tmp / "staged.wav"
    staged.write_text("x")

    files.owned_like_folder(staged, folder)

    assert (staged.stat().st_uid, staged.stat().st_gid) == (account.uid, account.gid)


def test_check_reachable_a_0700_folder_on_the_way_names_it(tmp: Path) -> None:
    closed = tmp / "home"
    (closed / "var").mkdir(parents=True)
    closed.chmod(0o700)
    nobody = pwd.getpwnam("nobody")
    account = files.Account("nobody", nobody.pw_uid, nobody.pw_gid)

    with pytest.raises(SetupError, match=rf"cannot reach {closed}/var: {closed} is drwx------"):
        files.check_reachable(account, closed / "var")
    closed.chmod(0o711)
    files.check_reachable(account, closed / "var")


def test_run_account_unknown_user_as_root_says_how_to_create_it() -> None:
    config = config_mod.load(env={"HAJJ_IVR_ASTERISK_RUN_USER": "hajj-ivr-nobody-here"})
    if not AS_ROOT:
        assert files.run_account(config) is None
        return
    with pytest.raises(SetupError, match=r"no such system user; `make setup`"):
        files.run_account(config)


def test_secrets_file_of_an_older_version_gains_per_user_ami_secrets(tmp: Path) -> None:
    path = tmp / "secrets.toml"
    path.write_text(
        'ami_secret = "old"\npilgrim_password = "pw"\nweb_secret = "w"\n'
        'ami_admin_secret = "admin"\n'
    )
    path.chmod(0o644)

    secrets = load_or_create(path)

    assert secrets.pilgrim_password == "pw"
    assert len({secrets.ami_controller_secret, secrets.ami_calls_secret}) == 2
    text = path.read_text()
    assert "ami_admin_secret" not in text and "ami_secret =" not in text
    assert "\nweb_secret" not in text
    assert mode(path) == 0o600


# --- every entry point that starts something tightens the state dir -----------------


@pytest.mark.parametrize("command", ["serve", "web"])
def test_cli_start_of_a_service_tightens_a_state_dir_left_0644(tmp: Path, command: str) -> None:
    config = state_as_main_left_it(tmp / "var")
    env = service_env(config.state_dir)
    port = int(env["HAJJ_IVR_AGI_PORT" if command == "serve" else "HAJJ_IVR_WEB_PORT"])
    log = (tmp / f"{command}.log").open("wb")
    proc = subprocess.Popen([str(VENV_BIN / "hajj-ivr"), command], env=env, stdout=log, stderr=log)
    try:
        _wait_listening(port, proc)
        stores = {p.name: mode(p) for p in config.state_dir.glob("*.sqlite*")}  # while open
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(20)
        log.close()
    assert stores == dict.fromkeys(stores, 0o600)
    assert {"calls.sqlite", "complaints.sqlite", "mirror.sqlite-wal"} <= set(stores)
    if command == "serve":  # the controller writes the call log: its WAL is there
        assert "calls.sqlite-wal" in stores
    state = config.state_dir
    assert mode(state) in (0o700, 0o710)
    assert mode(config.recordings_dir / "20260001.wav") == 0o600
    assert mode(state / "uploads") == 0o700
    left = state / "uploads" / "20260101-120000"  # the web app removes upload leftovers
    assert not left.exists() if command == "web" else mode(left) == 0o700


def _wait_listening(port: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"nothing listening on {port}")


def test_secure_state_leaves_a_local_clusters_folders_alone(tmp: Path) -> None:
    """`hajj-ivr asterisk start` beside a running `hajj-ivr cluster up`: the cluster's
    folder stays passable (0711) for its nodes' Asterisk and PostgreSQL user."""
    config = state_as_main_left_it(tmp / "var")
    node = config.cluster_dir / "ivr1"
    node.mkdir(parents=True)
    node.chmod(0o755)  # whatever umask an earlier test on this worker left
    (node / "hajj-ivr.toml").write_text("x")
    config.cluster_dir.chmod(0o711)
    (node / "hajj-ivr.toml").chmod(0o600)

    files.secure_state(config)

    assert (mode(config.cluster_dir), mode(node / "hajj-ivr.toml")) == (0o711, 0o600)
    assert mode(node) == 0o755  # each node's own start tightens its state dir
