"""`hajj-ivr serve`, `run` and `web`: the long-running processes."""

from __future__ import annotations

import argparse
import asyncio
import resource
import subprocess
import sys

from ivr import files, wiring
from ivr.asterisk import process
from ivr.cli.table import Command
from ivr.config import Config
from ivr.secrets import load_or_create


def serve(config: Config, args: argparse.Namespace) -> int:
    files.secure_state(config)
    _enough_files(config.agi.max_sessions)
    asyncio.run(wiring.serve(config))
    return 0


def _enough_files(sessions: int) -> None:
    """One descriptor per FastAGI session plus the stores, AMI and logs: a shell's or
    systemd's soft limit of 1024 would refuse sessions near 1000 calls. Raised up to the
    hard limit (no privilege needed); never lowered."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = files.open_files_allowed(sessions + 1024)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


def web(config: Config, args: argparse.Namespace) -> int:
    from ivr.web import app  # Starlette and uvicorn only for the web process

    files.secure_state(config)
    asyncio.run(app.serve(config))
    return 0


def run(config: Config, args: argparse.Namespace) -> int:
    """Asterisk and the controller in the foreground; Ctrl-C stops both."""
    asterisk = process.prepare(config)
    asterisk.stop()  # a leftover from a killed run would hold our ports
    asterisk.start(output=sys.stdout.buffer)
    console = _spawn_web(args)
    try:
        _print_how_to_call(config)
        asyncio.run(wiring.serve(config))
    finally:
        _stop(console)
        asterisk.stop()
        print("hajj-ivr: Asterisk, controller and web console stopped")
    return 0


def _spawn_web(args: argparse.Namespace) -> subprocess.Popen[bytes]:
    """The web console as its own process (a crash there never touches a call)."""
    flags = []
    if args.config:
        flags += ["--config", str(args.config)]
    if args.state_dir:
        flags += ["--state-dir", str(args.state_dir)]
    return subprocess.Popen([sys.executable, "-m", "ivr.cli", *flags, "web"])


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def _print_how_to_call(config: Config) -> None:
    ast = config.asterisk
    host = "127.0.0.1" if ast.sip_bind in ("0.0.0.0", "127.0.0.1") else ast.sip_bind
    secrets = load_or_create(config.secrets_path)
    hotline = config.ivr.hotline
    print(
        f"\nThe hotline is up. Call it:\n"
        f"  from a softphone: dial sip:{hotline}@{host}:{ast.sip_port} (no account needed),\n"
        f"    or register user 'pilgrim' password '{secrets.pilgrim_password}' at "
        f"{host}:{ast.sip_port} and dial {hotline}\n"
        f"  from a second shell: .venv/bin/hajj-ivr call {hotline} --dtmf 1234567890\n"
        f"Dashboard: http://{config.web.host}:{config.web.port}/ "
        f"(first admin: .venv/bin/hajj-ivr admins add NAME)\n"
        f"Agents: .venv/bin/hajj-ivr agents add NAME --tier 1 (prints the softphone account);\n"
        f"  their console: http://{config.web.host}:{config.web.port}/agent\n"
        f"{_metrics_line(config)}"
        f"Ctrl-C stops Asterisk and the controller.\n",
        flush=True,
    )


def _metrics_line(config: Config) -> str:
    agi = config.agi
    if not agi.metrics_port:
        return ""
    return f"Prometheus: http://{agi.host}:{agi.metrics_port}/metrics (README: Metrics)\n"


SERVE = Command(
    ("serve",),
    "run the controller: FastAGI server and AMI connection",
    "hajj-ivr serve",
    serve,
    narrates=True,
)
RUN = Command(
    ("run",),
    "start Asterisk and the controller in the foreground (Ctrl-C stops both)",
    "hajj-ivr run",
    run,
    narrates=True,
)
WEB = Command(
    ("web",),
    "serve the dashboard and the agents' console on web.host:web.port",
    "hajj-ivr web",
    web,
    narrates=True,
)
