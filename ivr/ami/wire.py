"""The panoramisk adapters under AmiClient: framing and parsing stay panoramisk's.

Kept apart from the client's policy (timeouts, reconnects, callbacks): these subclasses
only bound the read buffer, pass on whole messages, and hand connection loss to the
client instead of panoramisk's own uncancellable reconnect.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from panoramisk.ami_protocol import AMIProtocol
from panoramisk.manager import Manager

logger = logging.getLogger("ivr.ami.client")

AmiMessage = Mapping[str, str]

# Longest message we buffer while waiting for its blank line. Asterisk's biggest answers
# (Command output of a large dialplan) stay far below; a peer that sends more without ever
# ending a message is broken, and an unbounded buffer would let it eat our memory.
_MAX_MESSAGE_BYTES = 4 * 1024 * 1024


class AmiProtocol(AMIProtocol):  # type: ignore[misc]
    """panoramisk's parser fed whole messages only, with a size cap and no replay queue."""

    def __init__(self) -> None:
        super().__init__()
        self.gone = asyncio.Event()  # set once the connection is lost, for whatever reason
        self.received = 0  # bytes read so far: the keepalive's proof of life
        self._inbox = bytearray()

    def data_received(self, data: bytes) -> None:
        # panoramisk decodes every TCP chunk on its own and drops a UTF-8 character split
        # between two chunks; a message boundary is always a character boundary.
        self.received += len(data)
        self._inbox += data
        end = self._inbox.rfind(b"\r\n\r\n")
        if end < 0:
            if len(self._inbox) > _MAX_MESSAGE_BYTES:
                logger.error("AMI peer sent %d bytes without ending a message", len(self._inbox))
                self.transport.abort()
            return
        whole = bytes(self._inbox[: end + 4])
        del self._inbox[: end + 4]
        super().data_received(whole)

    def handle_message(self, message: Any) -> None:
        try:
            super().handle_message(message)
        except Exception:  # a parser bug must not cost the connection (data_received)
            logger.exception("AMI message could not be handled: %r", message)

    def close(self) -> None:
        # panoramisk's close() moves unanswered actions to a replay queue; AmiClient fails
        # their futures with AmiDisconnected instead.
        self.responses.clear()
        super().close()

    def connection_lost(self, exc: Exception | None) -> None:
        try:
            super().connection_lost(exc)
        finally:
            self.gone.set()


class AmiManager(Manager):  # type: ignore[misc]
    """panoramisk's Manager as the protocol's factory, minus its pinger, reconnect, replay."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        on_event: Callable[[Any], None],
        on_lost: Callable[[object], None],
    ) -> None:
        super().__init__(loop=loop)
        self.awaiting_actions: deque[Any] = deque(maxlen=0)  # appends are dropped: no replay
        self._on_event = on_event
        self._on_lost = on_lost

    def attach(self, protocol: AmiProtocol) -> None:
        """What Manager.connection_made does, minus the login and pinger it schedules."""
        self.protocol = protocol
        protocol.factory = self
        protocol.config = self.config
        protocol.encoding = self.encoding = self.config["encoding"]
        self.responses = protocol.responses = {}
        self._connected = True

    def dispatch(self, event: Any) -> list[str]:
        self._on_event(event)
        return []

    def connection_lost(self, exc: object) -> None:
        # Manager.connection_lost schedules self.connect via call_later and keeps no
        # handle, so nothing could stop it after close(). Reconnecting is AmiClient's job.
        self._connected = False
        self._on_lost(exc)


def plain(message: Any) -> AmiMessage:
    """A read-only copy of a panoramisk Message, repeated headers joined with newlines."""
    fields: dict[str, str] = {}
    for key, value in message.items():
        if key != "content":  # not a header: panoramisk stores a message's body as a key
            fields[key] = "\n".join(value) if isinstance(value, list) else str(value)
    if message.get("content") and "Output" not in fields:  # "Response: Follows" body
        fields["Output"] = str(message["content"])
    return MappingProxyType(fields)
