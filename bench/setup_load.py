"""Keep K calls in flight through one way of the call setup benchmark, count what finished.

Each call is a Local channel placed by AMI Originate: its dialplan half runs the way's
extension (bench/setup_dialplan.py), its other half waits. A call counts as done when its
dialplan half hangs up, and as served only when the UserEvent it sent first says every
AGI command ran (Ok: 1). One AMI session; events reach the calls through a dict by
uniqueid, so a busy run costs the same per event however many calls are pending.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from bench.setup_dialplan import CONTEXT, EVENT
from ivr.ami.client import AmiClient
from ivr.errors import AmiError

CALL_TIMEOUT = 60.0  # a call not over by then counts as failed (a loaded machine is slow)


@dataclass(frozen=True)
class Tally:
    served: int  # hung up after every command ran
    failed: int  # hung up without that, or never came back


class Load:
    """Places calls on one logged-in AMI client (user 'calls': reads call and user)."""

    def __init__(self, ami: AmiClient) -> None:
        self._ami = ami
        self._hangups: dict[str, asyncio.Future[None]] = {}
        self._served: set[str] = set()
        ami.on_event("UserEvent", self._on_user_event)
        ami.on_event("Hangup", self._on_hangup)

    def _on_user_event(self, event: Mapping[str, str]) -> None:
        call_id = event.get("Uniqueid", "")
        if (
            event.get("UserEvent") == EVENT
            and call_id in self._hangups
            and (event.get("Ok"), event.get("Status")) == ("1", "SUCCESS")
        ):
            self._served.add(call_id)

    def _on_hangup(self, event: Mapping[str, str]) -> None:
        ended = self._hangups.get(event.get("Uniqueid", ""))
        if ended is not None and not ended.done():
            ended.set_result(None)

    async def call(self, way: str) -> bool:
        """One call through ``way``'s extension; True when it was served completely."""
        tag = uuid.uuid4().hex[:16]
        # Neither uniqueid may be a prefix of the other (Asterisk checks by prefix).
        call_id, caller_id = f"bench-s-{tag}", f"bench-c-{tag}"
        ended = asyncio.get_running_loop().create_future()
        self._hangups[call_id] = ended
        try:
            await self._ami.originate(
                Channel=f"Local/{way}@{CONTEXT}",
                Application="Wait",
                Data="120",
                ChannelId=caller_id,
                OtherChannelId=call_id,
                Timeout=str(int(CALL_TIMEOUT * 1000)),
            )
            async with asyncio.timeout(CALL_TIMEOUT):
                await ended
        except (TimeoutError, AmiError):  # an Originate refused or a call never over
            return False
        finally:
            del self._hangups[call_id]
        with contextlib.suppress(KeyError):
            self._served.remove(call_id)
            return True
        return False

    async def saturate(self, way: str, inflight: int, seconds: float) -> Tally:
        """``inflight`` callers, each placing its next call when the last one ended, until
        ``seconds`` have passed; the calls then in flight finish and count too."""
        deadline = time.monotonic() + seconds
        served = failed = 0

        async def caller() -> None:
            nonlocal served, failed
            while time.monotonic() < deadline:
                if await self.call(way):
                    served += 1
                else:
                    failed += 1

        await asyncio.gather(*(caller() for _ in range(inflight)))
        return Tally(served, failed)


@dataclass(frozen=True)
class Cpu:
    """CPU seconds a process used, itself and its reaped children (/proc/PID/stat)."""

    own: float
    children: float

    @classmethod
    def of(cls, pid: int) -> Cpu:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        tick = os.sysconf("SC_CLK_TCK")
        # after the ")": state is field 0, utime 11, stime 12, cutime 13, cstime 14
        return cls(
            (int(fields[11]) + int(fields[12])) / tick, (int(fields[13]) + int(fields[14])) / tick
        )

    def __sub__(self, other: Cpu) -> Cpu:
        return Cpu(self.own - other.own, self.children - other.children)
