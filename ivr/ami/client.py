"""A hardened AMI client: panoramisk frames and parses messages, this module owns the policy.

What panoramisk 1.4 does against Asterisk 22, and what :class:`AmiClient` does instead:

(a) its reply matcher raises on an ``Originate`` without an ``Async`` header, inside
    ``data_received``, which drops the connection: ``originate()`` always sends
    ``Async: true`` and returns the first answer; the outcome comes as OriginateResponse.
(b) an exception in an event callback escapes into ``data_received`` too: callbacks run
    inside try/except here, async ones as tracked tasks whose failure is logged.
(c) actions have no timeout: every action here has one, raising :class:`AmiTimeout`.
(d) its pinger never looks at the Ping answers: ours drops a connection that sent nothing
    at all, not even the Pong, for ``ping_timeout``; a busy Asterisk that answers late
    behind a stream of events is kept. We reconnect ourselves (panoramisk's reconnect
    cannot be cancelled).
(e) actions left unanswered or sent while down are replayed after a reconnect: here they
    fail with :class:`AmiDisconnected` and nothing is ever queued.

Events sent while the connection was down are lost for good, so whoever keeps state from
events registers an :meth:`AmiClient.on_connect` hook and re-reads it after each login.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from panoramisk import actions

from ivr.ami.listeners import EventCallback, Listeners
from ivr.ami.pacing import Pacer
from ivr.ami.wire import AmiManager, AmiMessage, AmiProtocol, plain
from ivr.errors import AmiActionError, AmiDisconnected, AmiError, AmiTimeout

logger = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]

_SUCCESS = frozenset({"Success", "Follows", "Goodbye"})  # Response values of a good answer
# Reconnect back-off cap. A remote Asterisk may be down for a while (spare its log and the
# network); ours on loopback restarts in a few seconds, and every second we wait the
# queue records and screen pops go blind.
_MAX_RECONNECT_DELAY = 30.0
_LOOPBACK_MAX_RECONNECT_DELAY = 2.0
_CLOSE_GRACE = 1.0  # how long close() waits for the event loop to report the socket closed
# The longest a Pong may lag while other bytes keep coming: past it Asterisk's manager is
# stuck on actions though its events flow, and only a new login clears that.
_PING_PATIENCE = 60.0


class AmiClient:
    """One logged-in AMI session that reconnects by itself until :meth:`close`.

    Messages are read-only ``Mapping[str, str]`` keyed as Asterisk spells the headers;
    a header sent several times (``Output``, ``ChanVariable``) is joined with newlines.
    """

    def __init__(
        self,
        host: str,
        port: int,
        username: str,
        secret: str,
        *,
        action_timeout: float = 5.0,
        ping_interval: float = 5.0,
        ping_timeout: float = 3.0,
        reconnect_delay: float = 1.0,
        originates_per_second: float | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        """``sleep`` waits between reconnect tries (tests pass one that records them);
        ``originates_per_second`` spaces out :meth:`originate` (None: no pacing)."""
        self._host = host
        self._port = port
        self._username = username
        self._secret = secret
        self._action_timeout = action_timeout
        self._ping_interval = ping_interval
        self._ping_timeout = ping_timeout
        self._reconnect_delay = reconnect_delay
        self._max_reconnect_delay = max(reconnect_delay, max_reconnect_delay(host))
        self._sleep = sleep
        self._pacer = Pacer(originates_per_second)
        self._connect_timeout = 10.0
        self._manager: AmiManager | None = None
        self._protocol: AmiProtocol | None = None
        self._logged_in = False
        self._closed = False
        self._supervisor: asyncio.Task[None] | None = None
        self._inflight: set[asyncio.Future[Any]] = set()
        self._connect_hooks: list[Callable[[AmiClient], object]] = []
        self._listeners = Listeners()

    def __repr__(self) -> str:  # never shows the secret
        return f"<AmiClient {self._username}@{self._where} connected={self.connected}>"

    @property
    def _where(self) -> str:
        return f"{self._host}:{self._port}"

    @property
    def connected(self) -> bool:
        """True while the TCP connection is up and logged in."""
        protocol = self._protocol
        return self._logged_in and protocol is not None and not protocol.closed

    # --- connection life cycle ---------------------------------------------------------

    async def connect(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109 (API: covers login)
        """Connect and log in once (raising on failure); from then on reconnect alone."""
        if self._closed:
            raise AmiError("AMI client is closed")
        if self._supervisor is not None:
            raise AmiError("AMI client is already connected")
        self._connect_timeout = timeout
        self._manager = AmiManager(asyncio.get_running_loop(), self._listeners.dispatch, self._lost)
        await self._open()
        self._supervisor = asyncio.create_task(self._supervise(), name=f"ami {self._where}")

    async def close(self) -> None:
        """Stop the keepalive, drop the connection, fail whatever still waits. No reconnect."""
        if self._closed:
            return
        self._closed = True
        self._logged_in = False
        if self._supervisor is not None:
            self._supervisor.cancel()
            await asyncio.wait({self._supervisor})
        if self._protocol is not None:
            self._protocol.transport.abort()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(_CLOSE_GRACE):
                    await self._protocol.gone.wait()
        self._fail_inflight()
        await self._listeners.close(AmiDisconnected("AMI client closed"))

    async def _open(self) -> None:
        """Connect and log in, all within the connect timeout."""
        try:
            async with asyncio.timeout(self._connect_timeout):
                await self._open_and_login()
        except TimeoutError:
            raise AmiTimeout(
                f"AMI at {self._where}: no login within {self._connect_timeout:g}s"
            ) from None

    async def _open_and_login(self) -> None:
        assert self._manager is not None
        loop = asyncio.get_running_loop()
        try:
            _, protocol = await loop.create_connection(AmiProtocol, self._host, self._port)
        except OSError as exc:
            raise AmiError(f"cannot reach AMI at {self._where}: {exc}") from exc
        self._protocol = protocol
        self._manager.attach(protocol)
        login = {"Username": self._username, "Secret": self._secret, "Events": "on"}
        try:
            answer = plain(await self._send("Login", login, wait=self._action_timeout))
        except BaseException:
            protocol.transport.abort()
            raise
        if answer.get("Response") not in _SUCCESS:
            protocol.transport.abort()
            reason = answer.get("Message") or "no reason given"
            raise AmiError(f"AMI at {self._where} refused login as {self._username!r}: {reason}")
        self._logged_in = True
        logger.info("AMI logged in at %s as %r", self._where, self._username)
        for hook in self._connect_hooks:
            self._listeners.run(hook, self, "login (on_connect)")

    def _lost(self, exc: object) -> None:
        if self._protocol is not None and not self._protocol.closed:
            return  # a late notice from an earlier connection (panoramisk closes first)
        was_up = self._logged_in
        self._logged_in = False
        self._fail_inflight()
        if was_up and not self._closed:
            reason = exc if isinstance(exc, Exception) else "closed by Asterisk"
            logger.warning("AMI connection to %s lost (%s)", self._where, reason)

    def _fail_inflight(self) -> None:
        for future in self._inflight:
            if not future.done():
                future.set_exception(
                    AmiDisconnected(
                        f"AMI connection to {self._where} ended before the answer came;"
                        " the action may or may not have run"
                    )
                )

    async def _supervise(self) -> None:
        """Ping while up, reconnect while down, until cancelled by close()."""
        try:
            while True:
                assert self._protocol is not None
                await self._keepalive(self._protocol)
                await self._reconnect()
        except Exception:  # a bug here must be seen, not lost in an unawaited task
            logger.exception("AMI keepalive for %s stopped; no more reconnects", self._where)
            self._logged_in = False

    async def _keepalive(self, protocol: AmiProtocol) -> None:
        """Return once the connection is gone, dropping it ourselves if it falls silent."""
        while True:
            try:
                async with asyncio.timeout(self._ping_interval):
                    await protocol.gone.wait()
                return
            except TimeoutError:
                pass
            if not await self._alive(protocol):
                logger.warning(
                    "AMI at %s did not answer Ping and sent nothing for %gs; dropping it",
                    self._where,
                    self._ping_timeout,
                )
                self._logged_in = False
                protocol.transport.abort()  # not close(): a frozen peer never drains the buffer

    async def _alive(self, protocol: AmiProtocol) -> bool:
        """Ping; False only when nothing at all arrives for ``ping_timeout``. A busy
        Asterisk queues the Pong behind its events: every byte received proves it alive."""
        ping = asyncio.ensure_future(self._send("Ping", {}, wait=_PING_PATIENCE))
        try:
            while True:
                heard = protocol.received
                done, _ = await asyncio.wait({ping}, timeout=self._ping_timeout)
                if done:
                    # AmiTimeout: a live stream with no Pong for a minute (stuck manager)
                    return not isinstance(ping.exception(), AmiTimeout)
                if protocol.received == heard:
                    return False
        finally:
            ping.cancel()
            await asyncio.wait({ping})
            if not ping.cancelled():
                ping.exception()  # an outcome nobody waits for any more: never "not retrieved"

    async def _reconnect(self) -> None:
        delay = self._reconnect_delay
        while True:
            await self._sleep(delay)
            try:
                await self._open()
            except AmiError as exc:
                delay = min(delay * 2, self._max_reconnect_delay)
                logger.warning("AMI reconnect failed: %s (next try in %gs)", exc, delay)
            else:
                return

    # --- actions -----------------------------------------------------------------------

    async def action(self, name: str, /, **fields: str) -> AmiMessage:
        """Send one action and return its answer; ``Response: Error`` raises AmiActionError."""
        answer = plain(await self._request(name, fields, as_list=False))
        _raise_on_error(name, answer)
        return answer

    async def action_list(self, name: str, /, **fields: str) -> list[AmiMessage]:
        """Send a list action (QueueStatus, CoreShowChannels) and return the listed events,
        without the closing ``*Complete`` event."""
        # as_list=None lets panoramisk see "EventList: start" and collect up to *Complete;
        # as_list=True would wait forever after a "Response: Error".
        answers = await self._request(name, fields, as_list=None)
        messages = [plain(m) for m in (answers if isinstance(answers, list) else [answers])]
        _raise_on_error(name, messages[0])
        items = messages[1:]
        if items and items[-1].get("Event", "").endswith("Complete"):
            items.pop()
        return items

    async def originate(self, **fields: str) -> AmiMessage:
        """Originate with ``Async: true`` whatever the caller passed; the call's outcome
        arrives later as an OriginateResponse event with the same ActionID (pass your
        own ``ActionID`` and call :meth:`wait_event` first to never miss it)."""
        fields = {key: value for key, value in fields.items() if key.lower() != "async"}
        await self._pacer.wait()
        return await self.action("Originate", **fields, Async="true")

    async def command(self, cli: str) -> str:
        """Run a CLI command and return its output text."""
        answer = await self.action("Command", Command=cli)
        return answer.get("Output", "")

    async def _request(self, name: str, fields: Mapping[str, str], *, as_list: bool | None) -> Any:
        _check_fields(fields)
        if not self.connected:
            raise AmiDisconnected(f"AMI at {self._where} is not connected; {name} was not sent")
        return await self._send(name, fields, wait=self._action_timeout, as_list=as_list)

    async def _send(
        self, name: str, fields: Mapping[str, str], *, wait: float, as_list: bool | None = False
    ) -> Any:
        protocol = self._protocol
        if self._manager is None or protocol is None or protocol.closed:
            raise AmiDisconnected(f"AMI at {self._where} is not connected; {name} was not sent")
        action = actions.Action({"Action": name, **fields})
        future = self._manager.send_action(action, as_list=as_list)
        self._inflight.add(future)
        try:
            async with asyncio.timeout(wait):
                return await future
        except TimeoutError:
            raise AmiTimeout(f"AMI at {self._where}: no answer to {name} in {wait:g}s") from None
        finally:
            self._inflight.discard(future)
            protocol.responses.pop(action.id, None)  # so a late answer is simply ignored

    # --- events ------------------------------------------------------------------------

    def on_event(self, pattern: str, callback: EventCallback) -> None:
        """Call ``callback(event)`` for every event whose name matches the fnmatch
        ``pattern`` (case-sensitive, ``'*'`` for all). It may be sync or async; what it
        raises is logged and the connection carries on."""
        self._listeners.add(pattern, callback)

    def off_event(self, pattern: str, callback: EventCallback) -> None:
        """Stop calling ``callback`` for ``pattern`` (a one-call listener, once done)."""
        self._listeners.remove(pattern, callback)

    def on_connect(self, hook: Callable[[AmiClient], object]) -> None:
        """Call ``hook(client)`` after every login, the first and each reconnect, to
        re-read what events would have said while the connection was down. It may be
        sync or async and may send actions; what it raises is logged."""
        self._connect_hooks.append(hook)

    def wait_event(
        self, pattern: str, predicate: Callable[[AmiMessage], bool], timeout: float
    ) -> asyncio.Future[AmiMessage]:
        """A future for the first event matching ``pattern`` and ``predicate``; AmiTimeout
        after ``timeout`` seconds. It listens from this call on, not from the ``await``."""
        if self._closed:
            future: asyncio.Future[AmiMessage] = asyncio.get_running_loop().create_future()
            future.set_exception(AmiDisconnected("AMI client closed"))
            return future
        return self._listeners.wait(pattern, predicate, timeout)


def max_reconnect_delay(host: str) -> float:
    """The longest pause between reconnect tries to AMI on ``host``."""
    if host == "localhost":
        return _LOOPBACK_MAX_RECONNECT_DELAY
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:  # a host name: assume it is remote
        loopback = False
    return _LOOPBACK_MAX_RECONNECT_DELAY if loopback else _MAX_RECONNECT_DELAY


def _raise_on_error(name: str, answer: AmiMessage) -> None:
    if answer.get("Response") in _SUCCESS:
        return
    reason = answer.get("Message") or "no message"
    if "Output" in answer:  # Command puts the CLI's complaint there
        reason = f"{reason}: {answer['Output']}"
    raise AmiActionError(f"AMI {name} failed: {reason}")


def _check_fields(fields: Mapping[str, str]) -> None:
    """Refuse what would break the message framing (a line break would let a value
    smuggle in headers or a whole second action)."""
    for key, value in fields.items():
        if key.lower() == "action":
            raise AmiError("the action name is the first argument, not an 'Action' field")
        if any(ch in key or ch in value for ch in "\r\n") or ":" in key:
            raise AmiError(f"AMI field {key!r} contains a line break or a bad name")
