"""A small asyncio FastAGI server: one task per connection, one handler for all calls.

Each connection: read the environment header within ``header_timeout`` (a probe that
connects and closes, or connects and stays silent, just loses its socket), wrap it in an
AgiChannel and run the handler. Whatever the handler raises is logged and stays inside
its own session; the socket is closed in every case. Routing by
``env["agi_network_script"]`` is the handler's business, not the server's.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from ivr.agi.channel import QUICK_TIMEOUT, AgiChannel, Commanded, Played
from ivr.agi.codec import HeaderParser
from ivr.errors import AgiPeerError, CallerHangup

logger = logging.getLogger(__name__)

Handler = Callable[[AgiChannel], Awaitable[None]]

_READ_CHUNK = 4096
_CLOSE_TIMEOUT = 1.0  # a peer that never reads must not hold our close() forever


class FastAgiServer:
    """Accepts FastAGI connections from Asterisk and runs ``handler`` once per call."""

    def __init__(
        self,
        handler: Handler,
        host: str = "127.0.0.1",
        port: int = 4573,
        *,
        max_sessions: int = 1000,
        header_timeout: float = 5.0,
        command_timeout: float = QUICK_TIMEOUT,
        on_played: Played | None = None,
        on_command: Commanded | None = None,
    ) -> None:
        self._handler = handler
        self._on_played = on_played
        self._on_command = on_command
        self._host = host
        self._port = port
        self._max_sessions = max_sessions
        self._header_timeout = header_timeout
        self._command_timeout = command_timeout
        self._server: asyncio.Server | None = None
        self._sessions: set[asyncio.Task[None]] = set()

    @property
    def port(self) -> int:
        """The bound port (the real one when constructed with port=0)."""
        if self._server is None or not self._server.sockets:
            return self._port
        return int(self._server.sockets[0].getsockname()[1])

    @property
    def active_sessions(self) -> int:
        return len(self._sessions)

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._on_connect, self._host, self._port)
        logger.info("FastAGI listening on %s:%d", self._host, self.port)

    async def close(self, grace: float = 0.0) -> None:
        """Stop accepting, give sessions ``grace`` seconds to finish, cancel the rest."""
        if self._server is not None:
            self._server.close()
        if self._sessions and grace > 0:
            await asyncio.wait(set(self._sessions), timeout=grace)
        for task in set(self._sessions):
            task.cancel()
        await asyncio.gather(*self._sessions, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    def _on_connect(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        # A plain callback, not a coroutine: asyncio would run a coroutine in a task of its
        # own whose cancellation on close() it reports as an error. Ours are tracked here.
        if len(self._sessions) >= self._max_sessions:
            logger.warning(
                "refusing FastAGI connection from %s: %d sessions active (max_sessions)",
                _peer(writer),
                len(self._sessions),
            )
            writer.close()  # a FIN, no reply: Asterisk sets AGISTATUS=FAILURE and goes on
            return
        task = asyncio.create_task(self._session(reader, writer))
        self._sessions.add(task)
        task.add_done_callback(self._sessions.discard)

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            header = await self._read_header(reader, writer)
            if header is not None:
                env, leftover = header
                channel = AgiChannel(
                    reader,
                    writer,
                    env,
                    leftover,
                    command_timeout=self._command_timeout,
                    on_played=self._on_played,
                    on_command=self._on_command,
                )
                await self._run_handler(channel)
        finally:
            await _close(writer)

    async def _read_header(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> tuple[dict[str, str], bytes] | None:
        """The environment and the bytes after it, or None if the peer gave none."""
        parser = HeaderParser()
        try:
            # one deadline for the whole header, so a peer trickling bytes cannot hold on
            async with asyncio.timeout(self._header_timeout):
                while (data := await reader.read(_READ_CHUNK)) != b"":
                    if (env := parser.feed(data)) is not None:
                        return env, parser.leftover
        except TimeoutError:
            logger.warning("no AGI header from %s within %gs", _peer(writer), self._header_timeout)
            return None
        except (AgiPeerError, ConnectionError) as exc:
            logger.warning("bad AGI header from %s: %s", _peer(writer), exc)
            return None
        # EOF before the empty line: a port probe, or Asterisk gave up at once
        logger.debug("connection from %s closed before the AGI header", _peer(writer))
        return None

    async def _run_handler(self, channel: AgiChannel) -> None:
        call = f"call {channel.uniqueid} ({channel.env.get('agi_network_script', '')})"
        try:
            await self._handler(channel)
        except CallerHangup as exc:
            logger.info("%s: caller hung up: %s", call, exc)
        except asyncio.CancelledError:
            logger.info("%s: cancelled (server closing)", call)
            raise
        except Exception:
            logger.exception("%s: handler failed", call)


def _peer(writer: asyncio.StreamWriter) -> str:
    peer = writer.get_extra_info("peername")
    return f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else str(peer)


async def _close(writer: asyncio.StreamWriter) -> None:
    writer.close()
    try:
        async with asyncio.timeout(_CLOSE_TIMEOUT):
            await writer.wait_closed()
    except (OSError, TimeoutError):
        writer.transport.abort()
