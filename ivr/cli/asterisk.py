"""`hajj-ivr asterisk ...`: build, start, stop, reload and talk to our Asterisk."""

from __future__ import annotations

import argparse
import getpass
import sys

from ivr import files
from ivr.admin import reloads
from ivr.asterisk import process, sandbox
from ivr.cli.table import Arg, Command
from ivr.config import Config
from ivr.errors import HajjIvrError


def install(config: Config, args: argparse.Namespace) -> int:
    try:
        found = sandbox.locate(config.asterisk.binary, config.asterisk.sandbox_dir)
    except HajjIvrError:
        found = sandbox.build(config.asterisk.sandbox_dir)
    account = files.create_account(config)
    runs_as = f", runs as {account.name}" if account else ""
    print(f"Asterisk ({found.origin}): {found.version()}{runs_as}")
    return 0


def start(config: Config, args: argparse.Namespace) -> int:
    asterisk = process.prepare(config)
    pid = asterisk.start()
    print(f"Asterisk started (pid {pid}), AMI on 127.0.0.1:{config.asterisk.ami_port}")
    return 0


def run(config: Config, args: argparse.Namespace) -> int:
    """Render dialplan/ and become Asterisk in the foreground (systemd's ExecStart)."""
    process.prepare(config).exec_foreground()
    return 1  # not reached: exec_foreground replaces this process or raises


def rotate(config: Config, args: argparse.Namespace) -> int:
    asterisk = process.Asterisk.from_config(config)
    if asterisk.pid() is None:
        print("Asterisk: not running, nothing to rotate", file=sys.stderr)
        return 1
    removed = asterisk.rotate_logs(args.keep)
    print(f"Asterisk's logs rotated; {len(removed)} old files removed")
    return 0


def stop(config: Config, args: argparse.Namespace) -> int:
    stopped = process.Asterisk.from_config(config).stop()
    print("Asterisk stopped" if stopped else "Asterisk was not running")
    return 0


def status(config: Config, args: argparse.Namespace) -> int:
    asterisk = process.Asterisk.from_config(config)
    pid = asterisk.pid()
    if pid is None:
        print("Asterisk: not running")
        return 1
    print(f"Asterisk: running (pid {pid}), {asterisk.install.version()}")
    print(asterisk.cli("core show channels count").strip())
    return 0


def reload(config: Config, args: argparse.Namespace) -> int:
    """Re-render dialplan/ and reload it through the control socket while calls go on
    (logged)."""
    _, attempt = reloads.reload_asterisk(config, getpass.getuser())
    print(f"asterisk reload: {attempt.detail}", file=sys.stdout if attempt.ok else sys.stderr)
    return 0 if attempt.ok else 1


def cli(config: Config, args: argparse.Namespace) -> int:
    print(process.Asterisk.from_config(config).cli(args.command), end="")
    return 0


COMMANDS = (
    Command(
        ("asterisk", "install"),
        "build the sandbox Asterisk (Debian sid) unless one is installed",
        "sudo hajj-ivr asterisk install",
        install,
    ),
    Command(
        ("asterisk", "start"),
        "render dialplan/ and start Asterisk in the background",
        "hajj-ivr asterisk start",
        start,
    ),
    Command(
        ("asterisk", "run"),
        "render dialplan/ and run Asterisk in the foreground (what the systemd unit runs)",
        "hajj-ivr asterisk run",
        run,
    ),
    Command(("asterisk", "stop"), "stop the Asterisk we started", "hajj-ivr asterisk stop", stop),
    Command(
        ("asterisk", "rotate"),
        "start new Asterisk log files and keep the newest N old ones of each (daily by the"
        " systemd timer)",
        "hajj-ivr asterisk rotate --keep 14",
        rotate,
        (Arg(("--keep",), {"type": int, "default": 14, "help": "old files kept per log"}),),
    ),
    Command(
        ("asterisk", "status"),
        "is our Asterisk running; its version and calls",
        "hajj-ivr asterisk status",
        status,
    ),
    Command(
        ("asterisk", "reload"),
        "re-render dialplan/ and reload dialplan, queues (statistics kept), PJSIP; calls go on",
        "hajj-ivr asterisk reload",
        reload,
    ),
    Command(
        ("asterisk", "cli"),
        "run one Asterisk CLI command",
        'hajj-ivr asterisk cli "core show channels"',
        cli,
        (Arg(("command",), {"help": "the CLI command, quoted"}),),
    ),
)
