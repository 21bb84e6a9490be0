"""`hajj-ivr service install|remove|status`: the hotline as systemd units.

Asterisk, the controller and the web app each run as a unit of their own under the
unprivileged run user (asterisk.run_user), restarted when they die, Asterisk ordered
first; a timer backs the state dir up nightly and another rotates Asterisk's log files.
Output goes to the journal. The units confine each process: the file system read-only
but the state dir (ProtectSystem=strict, ReadWritePaths), a private /tmp, no new
privileges, no access to home folders beyond reading.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ivr import files
from ivr.config import Config
from ivr.errors import SetupError

UNIT_DIR = Path("/etc/systemd/system")
PREFIX = "hajj-ivr"
Runner = Callable[[Sequence[str]], subprocess.CompletedProcess[str]]

HARDENING = """\
ProtectSystem=strict
ReadWritePaths={state}
ProtectHome=read-only
PrivateTmp=yes
NoNewPrivileges=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectControlGroups=yes
RestrictSUIDSGID=yes
LockPersonality=yes
UMask=0077"""

SERVICE = """\
[Unit]
Description={description}
{ordering}
[Service]
Type={kind}
User={user}
Group={group}
WorkingDirectory={project}
ExecStart={hajj} {config}--state-dir {state} {command}
LimitNOFILE=65536
{restart}
{hardening}

[Install]
WantedBy={wanted}
"""

TIMER = """\
[Unit]
Description={description}

[Timer]
OnCalendar={when}
Persistent=true
RandomizedDelaySec=300

[Install]
WantedBy=timers.target
"""


@dataclass(frozen=True)
class Unit:
    name: str  # hajj-ivr-controller.service
    text: str


@dataclass(frozen=True)
class Plan:
    """Where things are: the console script, the config file, the user the units run as."""

    hajj: Path
    config_file: Path | None  # None: the defaults, with the state dir given
    user: str
    keep_backups: int = 14
    keep_logs: int = 14


def units(config: Config, plan: Plan) -> tuple[Unit, ...]:
    """Every unit file's name and text."""
    asterisk = f"{PREFIX}-asterisk.service"
    after = f"After=network-online.target {asterisk}\nWants=network-online.target {asterisk}\n"
    long_running = "Restart=always\nRestartSec=2"
    return (
        _service(
            config,
            plan,
            "asterisk",
            "Asterisk for the 500425 hotline",
            "asterisk run",
            "After=network-online.target\nWants=network-online.target\n",
            long_running,
        ),
        _service(
            config,
            plan,
            "controller",
            "500425 hotline controller (FastAGI, AMI)",
            "serve",
            after,
            long_running,
        ),
        _service(
            config,
            plan,
            "web",
            "500425 hotline dashboard and agents' console",
            "web",
            after,
            long_running,
        ),
        _service(
            config,
            plan,
            "backup",
            "Back up the 500425 hotline's stores",
            f"backup --keep {plan.keep_backups}",
            "",
            "",
            kind="oneshot",
            wanted="",
        ),
        _timer("backup", "Nightly backup of the 500425 hotline", "*-*-* 02:00:00"),
        _service(
            config,
            plan,
            "logs",
            "Rotate Asterisk's log files",
            f"asterisk rotate --keep {plan.keep_logs}",
            f"After={asterisk}\n",
            "",
            kind="oneshot",
            wanted="",
        ),
        _timer("logs", "Daily rotation of Asterisk's log files", "*-*-* 00:05:00"),
    )


def _service(
    config: Config,
    plan: Plan,
    name: str,
    description: str,
    command: str,
    ordering: str,
    restart: str,
    kind: str = "simple",
    wanted: str = "multi-user.target",
) -> Unit:
    text = SERVICE.format(
        description=description,
        ordering=ordering,
        kind=kind,
        user=plan.user,
        group=plan.user,
        project=config.project_dir,
        hajj=plan.hajj,
        config=f"--config {plan.config_file} " if plan.config_file else "",
        state=config.state_dir,
        command=command,
        restart=restart,
        hardening=HARDENING.format(state=config.state_dir),
        wanted=wanted,
    )
    if not wanted:  # started by its timer, not at boot
        text = text.split("\n[Install]")[0] + "\n"
    return Unit(f"{PREFIX}-{name}.service", text.replace("\n\n\n", "\n\n"))


def _timer(name: str, description: str, when: str) -> Unit:
    return Unit(f"{PREFIX}-{name}.timer", TIMER.format(description=description, when=when))


# --- installing ------------------------------------------------------------------------


def install(
    config: Config, plan: Plan, unit_dir: Path = UNIT_DIR, run: Runner | None = None
) -> tuple[Path, ...]:
    """Write the units, give the state dir to the run user, enable and start them (``run``
    None: systemd is not running here, so only write them)."""
    account = _account(plan.user)
    _check_paths(config, plan, account)
    unit_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for unit in units(config, plan):
        path = unit_dir / unit.name
        path.write_text(unit.text)
        path.chmod(0o644)
        written.append(path)
    config.state_dir.mkdir(parents=True, exist_ok=True)
    _give(config.state_dir, account)
    if run is not None:
        run(["systemctl", "daemon-reload"])
        run(["systemctl", "enable", "--now", *_enabled(units(config, plan))])
    return tuple(written)


def remove(
    config: Config, plan: Plan, unit_dir: Path = UNIT_DIR, run: Runner | None = None
) -> tuple[Path, ...]:
    """Stop and disable the units, delete their files; the state dir stays."""
    names = [u.name for u in units(config, plan)]
    if run is not None:
        run(["systemctl", "disable", "--now", *_enabled(units(config, plan))])
    removed = []
    for name in names:
        path = unit_dir / name
        if path.exists():
            path.unlink()
            removed.append(path)
    if run is not None:
        run(["systemctl", "daemon-reload"])
    return tuple(removed)


def status(config: Config, plan: Plan, run: Runner) -> Mapping[str, str]:
    """Each enabled unit's state as systemd says it (active, failed, inactive, ...)."""
    found = {}
    for name in _enabled(units(config, plan)):
        done = run(["systemctl", "is-active", name])
        found[name] = done.stdout.strip() or "unknown"
    return found


def systemctl() -> Runner | None:
    """A runner for systemctl when systemd manages this machine, else None."""
    if not Path("/run/systemd/system").is_dir() or shutil.which("systemctl") is None:
        return None

    def run(argv: Sequence[str]) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(list(argv), capture_output=True, text=True)
        if done.returncode != 0 and argv[1] != "is-active":
            raise SetupError(f"{' '.join(argv)}: {done.stderr.strip() or done.returncode}")
        return done

    return run


def _enabled(all_units: Sequence[Unit]) -> list[str]:
    """What is enabled: the long-running services and the timers (the oneshot services run
    from their timers)."""
    return [u.name for u in all_units if "[Install]" in u.text]


def _account(user: str) -> pwd.struct_passwd:
    try:
        entry = pwd.getpwnam(user)
    except KeyError:
        raise SetupError(f"no system user {user!r}: `make setup` (as root) creates it") from None
    if entry.pw_uid == 0:
        raise SetupError("the units must not run as root: name an unprivileged user")
    return entry


def _check_paths(config: Config, plan: Plan, account: pwd.struct_passwd) -> None:
    """The units' user must reach the program and its files, and see the state dir."""
    if plan.config_file is not None and not plan.config_file.is_file():
        raise SetupError(f"{plan.config_file} does not exist: the units would read it")
    state = config.state_dir.resolve()
    if state.is_relative_to("/tmp") or state.is_relative_to("/var/tmp"):
        raise SetupError(f"state dir {state}: units have a private /tmp; put it elsewhere")
    user = files.Account(account.pw_name, account.pw_uid, account.pw_gid)
    for path in (plan.hajj, config.project_dir / "prompts", config.asterisk.sandbox_dir):
        if path.exists():
            files.check_reachable(user, path)


def _give(state: Path, account: pwd.struct_passwd) -> None:
    """The run user owns the whole state dir (the units run as it); nobody else reads it."""
    if os.geteuid() != 0:
        raise SetupError("service install gives the state dir to the run user: run it as root")
    for root, dirs, names in os.walk(state):
        for name in [*dirs, *names]:
            os.chown(Path(root) / name, account.pw_uid, account.pw_gid, follow_symlinks=False)
    os.chown(state, account.pw_uid, account.pw_gid)
    state.chmod(0o700)
