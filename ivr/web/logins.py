"""Checking a web login without letting a flood of them starve the machine.

The password check is scrypt (about 16 MiB and 50 ms of a core), on the machine that
answers calls. So: a locked name or address (ivr/agents/throttle.py) is refused before
any scrypt; checks run in a pool of SCRYPT_AT_ONCE threads of their own, at most
SCRYPT_WAITING more wait for it, and beyond that a login is refused as busy at once.
Every refusal is logged with the account name and the client's address.
"""

from __future__ import annotations

import asyncio
import logging
import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from ivr.agents.store import NAME, Agent, AgentStore
from ivr.agents.throttle import LoginThrottle

log = logging.getLogger(__name__)
# One core for logins at most: the other stays with Asterisk and the controller. About
# 20 checks a second, so a whole shift logs in within seconds.
SCRYPT_AT_ONCE = 1
SCRYPT_WAITING = 16


@dataclass(frozen=True)
class Refused:
    reason: str  # "wrong" | "locked" | "busy"
    retry_after: int = 0  # seconds, for locked and busy


class LoginDesk:
    def __init__(self, agents: AgentStore, throttle: LoginThrottle) -> None:
        self.agents, self.throttle = agents, throttle
        self._pool = ThreadPoolExecutor(SCRYPT_AT_ONCE, thread_name_prefix="scrypt")
        self._admitted = 0  # checks running or waiting for the pool

    async def attempt(self, name: str, password: str, address: str) -> Agent | Refused:
        """The account when the password is right, else why not."""
        lock = self.throttle.locked(name, address)
        if lock is not None:
            log.warning(
                "web login refused for %r from %s: %s locked for %d s",
                name,
                address,
                lock.kind,
                lock.seconds_left,
            )
            return Refused("locked", math.ceil(lock.seconds_left))
        if not NAME.match(name):  # no such account can exist: no scrypt for it
            return self._wrong(name, address)
        if self._admitted >= SCRYPT_AT_ONCE + SCRYPT_WAITING:
            log.warning("web login refused for %r from %s: too many at once", name, address)
            return Refused("busy", 5)
        agent = await self._check(name, password, address)
        if isinstance(agent, Refused):
            return agent
        if agent is None:
            return self._wrong(name, address)
        self.throttle.succeeded(name)
        log.info("web login by %r from %s", name, address)
        return agent

    async def _check(self, name: str, password: str, address: str) -> Agent | Refused | None:
        self._admitted += 1
        try:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(
                self._pool, self._locked_or_check, name, password, address
            )
        finally:
            self._admitted -= 1

    def _locked_or_check(self, name: str, password: str, address: str) -> Agent | Refused | None:
        # Checked again in the pool: a flood for one name queued before its lock began
        # must not run scrypt after it.
        lock = self.throttle.locked(name, address)
        if lock is not None:
            return Refused("locked", math.ceil(lock.seconds_left))
        return self.agents.check_login(name, password)

    def _wrong(self, name: str, address: str) -> Refused:
        self.throttle.failed(name, address)
        log.warning("web login refused for %r from %s: wrong name or password", name, address)
        return Refused("wrong")

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
