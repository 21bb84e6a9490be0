"""systemd units: every one passes `systemd-analyze verify`, runs as the unprivileged run
user with the hardening options, Asterisk ordered before the controller; install gives the
state dir to that user and refuses what its units could not run; Asterisk's log rotation
against the rig's real Asterisk."""

from __future__ import annotations

import dataclasses
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from ivr import service
from ivr.config import Config
from ivr.errors import SetupError
from tests.rig.hotline import Hotline

HAJJ = Path(sys.executable).parent / "hajj-ivr"
USER = "hajj-ivr"


@pytest.fixture
def state() -> Iterator[Path]:
    """A state dir outside /tmp (the units' /tmp is private), removed afterwards."""
    path = Path(tempfile.mkdtemp(prefix="hajj-ivr-test-", dir="/var/lib"))
    try:
        yield path
    finally:
        shutil.rmtree(path)


@pytest.fixture
def config(state: Path) -> Config:
    return dataclasses.replace(Config(), state_dir=state)


def plan(config_file: Path | None = None) -> service.Plan:
    return service.Plan(hajj=HAJJ, config_file=config_file, user=USER)


def test_service_units_pass_systemd_analyze_verify(config: Config, tmp_path: Path) -> None:
    written = service.install(config, plan(), tmp_path)
    assert sorted(p.name for p in written) == [
        "hajj-ivr-asterisk.service",
        "hajj-ivr-backup.service",
        "hajj-ivr-backup.timer",
        "hajj-ivr-controller.service",
        "hajj-ivr-logs.service",
        "hajj-ivr-logs.timer",
        "hajj-ivr-web.service",
    ]
    done = subprocess.run(
        ["systemd-analyze", "verify", *map(str, written)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    ours = [line for line in done.stderr.splitlines() if "hajj-ivr" in line]
    assert not ours, ours  # no unknown key, no missing program


def unit(config: Config, name: str) -> dict[str, list[str]]:
    """A unit's keys and their values (a key may repeat)."""
    text = next(u.text for u in service.units(config, plan()) if u.name == name)
    keys: dict[str, list[str]] = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            keys.setdefault(key, []).append(value)
    return keys


@pytest.mark.parametrize("name", ["asterisk", "controller", "web", "backup", "logs"])
def test_service_every_process_runs_unprivileged_and_confined(config: Config, name: str) -> None:
    keys = unit(config, f"hajj-ivr-{name}.service")
    assert keys["User"] == [USER] and keys["NoNewPrivileges"] == ["yes"]
    assert keys["ProtectSystem"] == ["strict"] and keys["PrivateTmp"] == ["yes"]
    assert keys["ReadWritePaths"] == [str(config.state_dir)]
    assert keys["ExecStart"][0].startswith(f"{HAJJ} --state-dir {config.state_dir} ")
    # Room for max_calls calls' sockets (systemd's default soft limit is 1024).
    assert int(keys["LimitNOFILE"][0]) >= 8 * config.asterisk.max_calls


def test_service_asterisk_first_each_restarted_backups_and_logs_on_timers(config: Config) -> None:
    controller = unit(config, "hajj-ivr-controller.service")
    assert "hajj-ivr-asterisk.service" in controller["After"][0]
    for name in ("asterisk", "controller", "web"):
        keys = unit(config, f"hajj-ivr-{name}.service")
        assert keys["Restart"] == ["always"] and keys["WantedBy"] == ["multi-user.target"]
    assert unit(config, "hajj-ivr-asterisk.service")["ExecStart"][0].endswith(" asterisk run")
    backup = unit(config, "hajj-ivr-backup.service")
    assert backup["Type"] == ["oneshot"] and backup["ExecStart"][0].endswith("backup --keep 14")
    assert "WantedBy" not in backup  # its timer starts it
    assert unit(config, "hajj-ivr-backup.timer")["Persistent"] == ["true"]


def test_service_install_gives_the_state_dir_to_the_run_user_and_enables_units(
    config: Config, tmp_path: Path
) -> None:
    (config.state_dir / "calls.sqlite").write_bytes(b"")
    ran: list[list[str]] = []

    def run(argv: Sequence[str]) -> subprocess.CompletedProcess[str]:
        ran.append(list(argv))
        return subprocess.CompletedProcess(argv, 0, "", "")

    service.install(config, plan(), tmp_path, run)
    account = pwd.getpwnam(USER)
    for path in (config.state_dir, config.state_dir / "calls.sqlite"):
        assert (path.stat().st_uid, path.stat().st_gid) == (account.pw_uid, account.pw_gid)
    assert config.state_dir.stat().st_mode & 0o777 == 0o700
    assert ran[0] == ["systemctl", "daemon-reload"]
    assert ran[1][:3] == ["systemctl", "enable", "--now"]
    assert set(ran[1][3:]) == {
        "hajj-ivr-asterisk.service",
        "hajj-ivr-controller.service",
        "hajj-ivr-web.service",
        "hajj-ivr-backup.timer",
        "hajj-ivr-logs.timer",
    }
    removed = service.remove(config, plan(), tmp_path, run)
    assert len(removed) == 7 and not list(tmp_path.glob("hajj-ivr-*"))
    assert ran[2][:3] == ["systemctl", "disable", "--now"]


def test_service_install_refuses_what_its_units_could_not_run(
    config: Config, tmp_path: Path
) -> None:
    with pytest.raises(SetupError, match="private /tmp"):
        service.install(dataclasses.replace(config, state_dir=tmp_path / "s"), plan(), tmp_path)
    with pytest.raises(SetupError, match="must not run as root"):
        service.install(config, dataclasses.replace(plan(), user="root"), tmp_path)
    with pytest.raises(SetupError, match="no system user"):
        service.install(config, dataclasses.replace(plan(), user="nobody-here"), tmp_path)
    with pytest.raises(SetupError, match="does not exist"):
        service.install(config, plan(Path("/nonexistent/hajj-ivr.toml")), tmp_path)
    assert not list(tmp_path.glob("hajj-ivr-*"))


@pytest.mark.asterisk
def test_asterisk_rotate_starts_new_logs_and_keeps_the_newest(hotline: Hotline) -> None:
    log = hotline.config.asterisk_dir / "log"
    # The worker's hotline is shared: another module may have rotated already
    # (test_call_agent_report does); those files would be the newest "old" ones.
    for earlier in log.glob("messages.log.*"):
        earlier.unlink()
    for n in range(3):  # older rotations, named as Asterisk's timestamp rotation names them
        (log / f"messages.log.{1_700_000_000 + n}").write_text("old")
    done = hotline.cli("asterisk", "rotate", "--keep", "2")
    assert "Asterisk's logs rotated" in done.stdout
    old = sorted(p.name for p in log.glob("messages.log.*"))
    assert len(old) == 2 and old[0] == "messages.log.1700000002", old
    assert int(old[1].rsplit(".", 1)[1]) > 1_700_000_002  # today's, just rotated
    assert (log / "messages.log").exists()
    assert os.stat(log / "messages.log").st_size < 1_000
