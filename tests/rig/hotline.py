"""A private hotline for tests: its own state dir, free ports, Asterisk and controller.

Processes we start, we stop by PID. Real-Asterisk tests never skip when CI is set.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ivr import config as config_mod
from ivr.admin import reloads
from ivr.ami.client import AmiClient
from ivr.ami.users import AmiUser, session
from ivr.asterisk import process
from ivr.calllog import CallLogReader, CallRow, Line
from ivr.config import Config
from ivr.data import sample
from ivr.data.importer import import_export
from ivr.errors import HajjIvrError
from ivr.prompts import build
from ivr.prompts.catalog import Catalog
from ivr.testcall import CallResult, TestCall, place
from tests.rig import sounds
from tests.rig.ports import free_port, free_rtp_range
from tests.rig.procs import stop_process
from tests.rig.web import printed_password

VENV_BIN = Path(sys.executable).parent
# The rig's Originates a second: hundreds sent in one instant queued in Asterisk's manager
# past the 5 s action timeout (issue 14); a test of a few calls barely waits.
ORIGINATES_PER_SECOND = 50.0
# A test's stop condition: the lines the IVR has said so far -> hang up now?
Until = Callable[[list[str]], bool]
# The carrier of the rig's trunk ([trunk]): SIPp sending from this loopback address is the
# carrier (PJSIP identify), from 127.0.0.1 it is anyone (the anonymous endpoint).
CARRIER = "127.0.0.3"


@dataclass(frozen=True)
class Scenario:
    dtmf: str
    until: Until | None = None
    timeout: float = 240.0
    caller_id: str = TestCall.caller_id  # '"Name" <number>'
    audio: bool = False  # the caller speaks after the keys (TestCall.audio)
    end_on: str = ""  # the test hangs up at this AMI event of the call (TestCall.end_on)
    context: str = "hajj-inbound"  # a staff phone's: "hajj-agent-phone" (TestCall.context)
    number: str = ""  # dialled instead of the hotline (a feature code: "*79")
    dtmf_after: str = ""  # keys after the voice (TestCall.dtmf_after)

    def test_call(self, number: str) -> TestCall:
        return TestCall(
            self.number or number,
            self.dtmf,
            timeout=self.timeout,
            caller_id=self.caller_id,
            audio=self.audio,
            end_on=self.end_on,
            context=self.context,
            dtmf_after=self.dtmf_after,
        )


def write_config(
    state_dir: Path, extra: str = "", rtp_ports: int = 4000, sip_bind: str = ""
) -> Path:
    """``rtp_ports``: the RTP range's size, two ports a SIP call: room for
    asterisk.max_calls (validated), as the SIP benchmark needs. ``sip_bind``: an address
    of 127.0.0.0/8 of its own (a cluster node known by address); ``extra``: more sections."""
    rtp_start, rtp_end = free_rtp_range(rtp_ports)
    path = state_dir / "hajj-ivr.toml"
    pilgrim_port = free_port(socket.SOCK_DGRAM)
    path.write_text(
        f'state_dir = "{state_dir}"\n'
        f"[asterisk]\nami_port = {free_port()}\nsip_port = {free_port(socket.SOCK_DGRAM)}\n"
        + (f'sip_bind = "{sip_bind}"\n' if sip_bind else "")
        + f"http_port = {free_port()}\nhttps_port = {free_port()}\n"
        f"rtp_start = {rtp_start}\nrtp_end = {rtp_end}\nqueue_max_wait = 60\n"
        f"[agi]\nport = {free_port()}\nmetrics_port = {free_port()}\n"
        f"[ivr]\ndigit_timeout = 3.0\nfirst_digit_timeout = 5.0\n"
        # Real prompts, spoken faster than for pilgrims so the suite stays short.
        f'[prompts]\nengine = "espeak"\nespeak_speed = 200\n'
        # Short rings and an early callback offer; agents on duty around the clock (a test
        # for staffed hours sets its own); callbacks reach a SIPp phone on pilgrim_port.
        f"[agents]\nring_timeout = 4\nretry = 1\nwrapup = 0\ncallback_after = 8\n"
        f'callback_retry = 5\nhours = "00:00-24:00"\ntimezone = "Asia/Jakarta"\n'
        f'callback_dial = "PJSIP/anonymous/sip:{{number}}@127.0.0.1:{pilgrim_port}"\n'
        # Schedule-change calls: one at a time, any hour, to the same SIPp phone, short
        # rings and retries.
        f'[campaigns]\nat_once = 1\nhours = "00:00-24:00"\nretry_after = 8\nring_seconds = 4\n'
        f'dial = "PJSIP/anonymous/sip:{{number}}@127.0.0.1:{pilgrim_port}"\n'
        f"[complaints]\nrecord_max_seconds = 4\nrecord_silence_seconds = 2\n"
        f"correction_record_seconds = 4\n"
        # The sample's data is from April 2026: /readyz would call it stale after 45 days.
        f"[web]\nport = {free_port()}\nready_mirror_max_days = 36500\n"
        # A carrier trunk at CARRIER (tests/test_call_trunk.py); the anonymous endpoint
        # stays for every other SIP test. Its calls out ring a SIPp carrier on that port.
        f'[trunk]\naddresses = "{CARRIER}"\nhost = "{CARRIER}:{free_port(socket.SOCK_DGRAM)}"\n'
        + extra
    )
    return path


class CallLogReading:
    """What both tiers' hotlines read back from their call log."""

    config: Config

    def notes(self, call_id: str) -> list[str]:
        """The transcript's events (decisions, lookups) in order."""
        return [line.text for line in self.record(call_id)[1] if line.kind == "event"]

    def record(self, call_id: str) -> tuple[CallRow | None, list[Line]]:
        reader = CallLogReader(self.config.calllog_path, self.config.database)
        return reader.get(call_id), reader.transcript(call_id)

    def spoken(self, call_id: str) -> list[str]:
        """What the IVR said, line by line (the transcript's `say` lines)."""
        return [line.text for line in self.record(call_id)[1] if line.kind == "say"]


@dataclass
class Hotline(CallLogReading):
    """A running private hotline: Asterisk plus the controller (`hajj-ivr serve`)."""

    config_path: Path
    config: Config
    asterisk: process.Asterisk
    controller: subprocess.Popen[bytes] | None = None
    web: subprocess.Popen[bytes] | None = None
    env: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def start(
        cls, state_dir: Path, rtp_ports: int = 4000, extra: str = "", sip_bind: str = ""
    ) -> Hotline:
        path = write_config(state_dir, extra, rtp_ports, sip_bind)
        config = config_mod.load(file=path, env={})
        sample.write_sample(state_dir / "sample")
        import_export(state_dir / "sample", config.mirror_path, imported_by="tests")
        reloads.office_prompts(config, build_them=False)  # the offices' names, addresses
        # The shared build copied in first: the build here then speaks only this hotline's
        # own edits (its manifest says so), and prune drops what this catalog lacks, so
        # the folder is what a fresh build would make.
        sounds.seed(config.prompts, config.sounds_dir, config.prompts_dir, config.overrides_dir)
        catalog = Catalog.load(config.prompts_dir, config.overrides_dir)
        recorded = config.prompts_dir / "recorded"
        build.build(catalog, config.sounds_dir, recorded, config.prompts, prune=True)
        # As `hajj-ivr asterisk start` does: render, tighten the state dir, hand Asterisk's
        # folders to its user (everything above was written with pytest's umask).
        asterisk = process.prepare(config)
        asterisk.start()
        env = {**os.environ, "HAJJ_IVR_CONFIG": str(path)}
        hotline = cls(path, config, asterisk, env=env)
        try:
            hotline.start_controller()
            hotline.start_web()
        except BaseException:  # nothing we started outlives a start that failed
            hotline.stop()
            raise
        return hotline

    def _spawn(self, command: str, env: Mapping[str, str] | None = None) -> subprocess.Popen[bytes]:
        with (self.config.state_dir / f"{command}.log").open("ab") as log:
            return subprocess.Popen(
                [str(VENV_BIN / "hajj-ivr"), command],
                env={**self.env, **(env or {})},
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def start_controller(self, env: Mapping[str, str] | None = None) -> None:
        """Start `hajj-ivr serve` (``env`` may override config, e.g. staffed hours)."""
        self.controller = self._spawn("serve", env)
        _wait_tcp(self.config.agi.host, self.config.agi.port, 20, self.controller)

    def stop_controller(self, sig: signal.Signals = signal.SIGTERM) -> None:
        stop_process(self.controller, sig)
        self.controller = None

    def start_web(self) -> None:
        self.web = self._spawn("web")
        _wait_tcp(self.config.web.host, self.config.web.port, 20, self.web)

    @property
    def pilgrim_port(self) -> int:
        """Where callbacks ring the pilgrim in tests (agents.callback_dial)."""
        return int(self.config.agents.callback_dial.rsplit(":", 1)[1])

    @property
    def carrier_port(self) -> int:
        """Where the trunk's calls out reach the SIPp carrier (trunk.host, at CARRIER)."""
        return int(self.config.trunk.host.rsplit(":", 1)[1])

    @property
    def web_url(self) -> str:
        return f"http://{self.config.web.host}:{self.config.web.port}"

    def stop(self) -> None:
        stop_process(self.web, signal.SIGTERM)
        self.stop_controller()
        self.asterisk.stop()

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run `hajj-ivr ARGS` against this hotline, as an admin at a terminal would."""
        done = subprocess.run(
            [str(VENV_BIN / "hajj-ivr"), *args],
            env=dict(self.env),
            capture_output=True,
            text=True,
            timeout=60,
        )
        if check and done.returncode != 0:
            raise RuntimeError(f"hajj-ivr {' '.join(args)}: {done.stderr or done.stdout}")
        return done

    def add_agent(self, name: str, tier: int) -> AgentPasswords:
        """`hajj-ivr agents add`; the phone's and the console's passwords it printed once."""
        printed = self.cli("agents", "add", name, "--tier", str(tier)).stdout
        return AgentPasswords(sip=_sip_password(printed), web=printed_password(printed))

    def add_admin(self, name: str) -> str:
        """`hajj-ivr admins add`; the web password it printed once."""
        return printed_password(self.cli("admins", "add", name).stdout)

    def call(self, dtmf: str = "", number: str = "", **kwargs: Any) -> CallResult:
        """Place a Local-channel test call through AMI; return once its IVR half hung up."""
        spec = TestCall(number or self.config.ivr.hotline, dtmf, **kwargs)
        return _placed(asyncio.run(self._calls([(spec, None)]))[0])

    def calls(
        self, scenarios: Mapping[str, Scenario], per_second: float = ORIGINATES_PER_SECOND
    ) -> dict[str, CallResult]:
        """Place many calls together (Asterisk carries them in parallel), their Originates
        ``per_second`` apart; results by name. The first call that could not be placed
        raises, once every other call has ended.

        A scenario's ``until`` ends the call (the caller hangs up) as soon as the IVR has
        said what the test waits for, so a test never sits through menus it does not need.
        """
        return {name: _placed(r) for name, r in self.outcomes(scenarios, per_second).items()}

    def outcomes(
        self, scenarios: Mapping[str, Scenario], per_second: float = ORIGINATES_PER_SECOND
    ) -> dict[str, CallResult | HajjIvrError]:
        """As :meth:`calls`, but a call AMI could not place is its error (a benchmark
        counts them)."""
        specs = [(s.test_call(self.config.ivr.hotline), s.until) for s in scenarios.values()]
        results = asyncio.run(self._calls(specs, per_second))
        return dict(zip(scenarios, results, strict=True))

    def place_all(self, specs: list[TestCall]) -> list[CallResult]:
        """Place these test calls together; results in the same order."""
        results = asyncio.run(self._calls([(spec, None) for spec in specs]))
        return [_placed(r) for r in results]

    async def _calls(
        self,
        specs: list[tuple[TestCall, Until | None]],
        per_second: float = ORIGINATES_PER_SECOND,
    ) -> list[CallResult | HajjIvrError]:
        async with session(self.config, AmiUser.CALLS, per_second) as ami:
            return list(await asyncio.gather(*(self._one(ami, s, u) for s, u in specs)))

    async def _one(
        self, ami: AmiClient, spec: TestCall, until: Until | None
    ) -> CallResult | HajjIvrError:
        try:
            return await self._until(ami, spec, until)
        except HajjIvrError as e:  # not placed (Originate refused, unanswered): the others go on
            return e

    async def _until(self, ami: AmiClient, spec: TestCall, until: Until | None) -> CallResult:
        if until is None:
            return await place(ami, spec)
        stop, ids = asyncio.Event(), list[str]()
        placed = asyncio.create_task(place(ami, spec, stop, ids.append))
        while not placed.done():
            await asyncio.sleep(0.3)
            if ids and not stop.is_set() and until(self.spoken(ids[0])):
                stop.set()
        return await placed


def _placed(outcome: CallResult | HajjIvrError) -> CallResult:
    if isinstance(outcome, HajjIvrError):
        raise outcome
    return outcome


@dataclass(frozen=True)
class AgentPasswords:
    sip: str  # the softphone's (digest auth)
    web: str  # the console's


def _sip_password(printed: str) -> str:
    found = re.search(r"SIP phone: user \S+\s+password (\S+)", printed)
    assert found, printed
    return found[1]


def _wait_tcp(host: str, port: int, timeout: float, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args!r} exited with {proc.returncode}")
        try:
            socket.create_connection((host, port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{proc.args!r} not listening on {host}:{port}")
