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
from ivr.agents.throttle import Lock, LoginThrottle

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
            return self._locked(name, address, lock)
        if not NAME.match(name):  # no such account can exist: no scrypt for it
            self.throttle.failed(name, address)
            return self._wrong(name, address)
        if self._admitted >= SCRYPT_AT_ONCE + SCRYPT_WAITING:
            log.warning("web login refused for %r from %s: too many at once", name, address)
            return Refused("busy", 5)
        self._admitted += 1
        try:
            loop = asyncio.get_running_loop()
            checked = await loop.run_in_executor(self._pool, self._check, name, password, address)
        finally:
            self._admitted -= 1
        if isinstance(checked, Lock):
            return self._locked(name, address, checked)
        if checked is None:
            return self._wrong(name, address)
        log.info("web login by %r from %s", name, address)
        return checked

    def _check(self, name: str, password: str, address: str) -> Agent | Lock | None:
        """In the pool: the lock is looked at again and a failure counted before the next
        check starts, so a flood queued before its name was locked runs no more scrypt
        than the lock allows."""
        lock = self.throttle.locked(name, address)
        if lock is not None:
            return lock
        agent = self.agents.check_login(name, password)
        if agent is None:
            self.throttle.failed(name, address)
        else:
            self.throttle.succeeded(name)
        return agent

    def _locked(self, name: str, address: str, lock: Lock) -> Refused:
        log.warning(
            "web login refused for %r from %s: %s locked for %d s",
            name,
            address,
            lock.kind,
            lock.seconds_left,
        )
        return Refused("locked", math.ceil(lock.seconds_left))

    def _wrong(self, name: str, address: str) -> Refused:
        log.warning("web login refused for %r from %s: wrong name or password", name, address)
        return Refused("wrong")

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        self.throttle.close()
