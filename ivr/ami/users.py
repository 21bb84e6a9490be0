"""The hotline's AMI users: dialplan/manager.conf defines one per kind of work, each with
only the rights that work needs, and every process logs in as the one it is."""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
from collections.abc import AsyncIterator

from ivr.ami.client import AmiClient
from ivr.config import Config
from ivr.errors import HajjIvrError
from ivr.secrets import load_or_create

logger = logging.getLogger(__name__)


class AmiUser(enum.StrEnum):
    """The AMI users dialplan/manager.conf defines, one per kind of work, each with only
    the rights that work needs (the comments there list them)."""

    CONTROLLER = "controller"  # `hajj-ivr serve`: queue events, callbacks (Originate)
    WEB = "web"  # `hajj-ivr web`: screen pop events, QueueStatus; writes nothing
    DESK = "desk"  # `hajj-ivr agents`, the console's pause: QueueAdd/Remove/Pause, QueueStatus
    SUPERVISE = "supervise"  # `hajj-ivr web`, supervision legs only: Originate
    CALLS = "calls"  # test calls (`hajj-ivr call`, `doctor`, the rig): Originate, Hangup

    def username(self, config: Config) -> str:
        return f"{config.asterisk.ami_user}-{self.value}"


def for_config(
    config: Config, user: AmiUser, originates_per_second: float | None = None
) -> AmiClient:
    """The client for this hotline's Asterisk: loopback, ``user``, its generated secret,
    originates paced at ``asterisk.originates_per_second`` unless told otherwise."""
    secret = getattr(load_or_create(config.secrets_path), f"ami_{user.value}_secret")
    return AmiClient(
        "127.0.0.1",
        config.asterisk.ami_port,
        user.username(config),
        secret,
        originates_per_second=originates_per_second or config.asterisk.originates_per_second,
    )


@contextlib.asynccontextmanager
async def session(
    config: Config, user: AmiUser, originates_per_second: float | None = None
) -> AsyncIterator[AmiClient]:
    """A logged-in client for one piece of work (a command, a test call), closed after."""
    ami = for_config(config, user, originates_per_second)
    await ami.connect()
    try:
        yield ami
    finally:
        await ami.close()


async def connect_until_up(ami: AmiClient, who: str) -> None:
    """Log in to AMI, retrying every 2 s while Asterisk is not up yet (a process started
    before Asterisk); once in, the client reconnects by itself."""
    while True:
        try:
            await ami.connect(timeout=5)
            logger.info("%s: AMI connected", who)
            return
        except HajjIvrError as e:
            logger.warning("%s: AMI not reachable yet (%s); retrying", who, e)
            await asyncio.sleep(2)
