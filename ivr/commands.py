"""What each `hajj-ivr` command does; the parser lives in ivr/cli.py."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import subprocess
import sys

from ivr import cli, files, retention, testcall, wiring
from ivr import doctor as checks
from ivr.admin import reloads
from ivr.admin.audit import Audit
from ivr.ami.client import AmiUser, session
from ivr.asterisk import process, sandbox
from ivr.calllog import CallLogReader
from ivr.config import Config
from ivr.errors import HajjIvrError
from ivr.localtime import Clock
from ivr.prompts import check as prompt_check
from ivr.prompts.catalog import Catalog
from ivr.secrets import load_or_create

log = logging.getLogger(__name__)


def _catalog(config: Config) -> Catalog:
    return Catalog.load(config.prompts_dir, config.overrides_dir)


# --- asterisk ----------------------------------------------------------------------------


def asterisk_install(config: Config, args: argparse.Namespace) -> int:
    try:
        found = sandbox.locate(config.asterisk.binary, config.asterisk.sandbox_dir)
    except HajjIvrError:
        found = sandbox.build(config.asterisk.sandbox_dir)
    account = files.create_account(config)
    runs_as = f", runs as {account.name}" if account else ""
    print(f"Asterisk ({found.origin}): {found.version()}{runs_as}")
    return 0


def asterisk_start(config: Config, args: argparse.Namespace) -> int:
    asterisk = process.prepare(config)
    pid = asterisk.start()
    print(f"Asterisk started (pid {pid}), AMI on 127.0.0.1:{config.asterisk.ami_port}")
    return 0


def asterisk_stop(config: Config, args: argparse.Namespace) -> int:
    stopped = process.Asterisk.from_config(config).stop()
    print("Asterisk stopped" if stopped else "Asterisk was not running")
    return 0


def asterisk_status(config: Config, args: argparse.Namespace) -> int:
    asterisk = process.Asterisk.from_config(config)
    pid = asterisk.pid()
    if pid is None:
        print("Asterisk: not running")
        return 1
    print(f"Asterisk: running (pid {pid}), {asterisk.install.version()}")
    print(asterisk.cli("core show channels count").strip())
    return 0


def asterisk_reload(config: Config, args: argparse.Namespace) -> int:
    """Re-render dialplan/ and reload it through the control socket while calls go on
    (logged)."""
    _, outcome = reloads.reload_asterisk(config, getpass.getuser())
    print(f"asterisk reload: {outcome.detail}", file=sys.stdout if outcome.ok else sys.stderr)
    return 0 if outcome.ok else 1


def asterisk_cli(config: Config, args: argparse.Namespace) -> int:
    print(process.Asterisk.from_config(config).cli(args.command), end="")
    return 0


# --- controller --------------------------------------------------------------------------


def serve(config: Config, args: argparse.Namespace) -> int:
    files.secure_state(config)
    asyncio.run(wiring.serve(config))
    return 0


def web(config: Config, args: argparse.Namespace) -> int:
    from ivr.web import app

    files.secure_state(config)
    asyncio.run(app.serve(config))
    return 0


def run(config: Config, args: argparse.Namespace) -> int:
    """Asterisk and the controller in the foreground; Ctrl-C stops both."""
    asterisk = process.prepare(config)
    asterisk.stop()  # a leftover from a killed run would hold our ports
    asterisk.start(output=sys.stdout.buffer)
    web = _spawn_web(args)
    try:
        _print_how_to_call(config)
        asyncio.run(wiring.serve(config))
    finally:
        _stop(web)
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
        f"Ctrl-C stops Asterisk and the controller.\n",
        flush=True,
    )


def call(config: Config, args: argparse.Namespace) -> int:
    spec = testcall.TestCall(args.number, args.dtmf, delay=args.delay, timeout=args.timeout)
    result = asyncio.run(_place(config, spec, args.until))
    if not result.ended and not args.until:
        print(
            f"hajj-ivr: the call did not end within {args.timeout:g} s; hung it up", file=sys.stderr
        )
    return _show(config, result.call_id, args.json)


async def _place(config: Config, spec: testcall.TestCall, until: str) -> testcall.CallResult:
    async with session(config, AmiUser.CALLS) as ami:
        if until:
            return await testcall.place_until(ami, spec, config.calllog_path, until)
        return await testcall.place(ami, spec)


# --- calls -------------------------------------------------------------------------------


def calls_list(config: Config, args: argparse.Namespace) -> int:
    for row in CallLogReader(config.calllog_path).recent(args.limit):
        started = _time(config, row.started_at)
        print(f"{row.id}  {started}  {row.route:8}  {row.outcome:11}  {row.reason}")
    return 0


def retention_purge(config: Config, args: argparse.Namespace) -> int:
    report = retention.purge(config, dry_run=args.dry_run)
    print("\n".join(report.lines()))
    return 0


def calls_show(config: Config, args: argparse.Namespace) -> int:
    return _show(config, args.id, args.json)


def _show(config: Config, call_id: str, as_json: bool) -> int:
    reader = CallLogReader(config.calllog_path)
    row = reader.get(call_id)
    if row is None:
        raise HajjIvrError(f"no call {call_id!r} in the call log (did it reach the controller?)")
    lines = reader.transcript(call_id)
    if as_json:
        cli.print_json(
            {
                "call": row.__dict__,
                "transcript": [line.__dict__ for line in lines],
            }
        )
        return 0
    print(
        f"call {row.id}  {_time(config, row.started_at)}  route {row.route}  outcome {row.outcome}"
        + (f" ({row.reason})" if row.reason else "")
    )
    for line in lines:
        mark = " [terpotong]" if line.interrupted else ""
        prefix = {"say": "IVR:", "input": "Penelepon menekan:", "event": "--"}[line.kind]
        print(f"  {prefix} {line.text}{mark}")
    return 0


def _time(config: Config, ts: float) -> str:
    return Clock.for_zone(config.agents.timezone).when(ts)


# --- prompts -----------------------------------------------------------------------------


def prompts_build(config: Config, args: argparse.Namespace) -> int:
    _, detail = reloads.build_prompts(config)
    Audit.for_config(config).record(getpass.getuser(), "prompts", True, detail)
    print(f"prompts: {detail}")
    return 0


def prompts_check(config: Config, args: argparse.Namespace) -> int:
    problems = prompt_check.problems(_catalog(config), config.project_dir, config.sounds_dir)
    for problem in problems:
        print(problem)
    if not problems:
        print("prompts: every prompt used is in the catalog and built")
    return 1 if problems else 0


def prompts_list(config: Config, args: argparse.Namespace) -> int:
    for prompt in _catalog(config).values():
        print(f"{prompt.id:24} {prompt.text}")
    return 0


# --- doctor ------------------------------------------------------------------------------


def doctor(config: Config, args: argparse.Namespace) -> int:
    failed = 0
    for check in asyncio.run(checks.run_checks(config)):
        print(f"{'OK  ' if check.ok else 'FAIL'} {check.name}: {check.detail}")
        failed += not check.ok
    return 1 if failed else 0
