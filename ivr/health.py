"""Is this node able to serve calls? The checks `/readyz` answers from and `hajj-ivr doctor`
prints: AMI logged in, FastAGI listening, the data mirror present and recent, every prompt
built, space left on the state dir's disk. Each says what it found in words with no
personal data (the endpoint answers without a login)."""

from __future__ import annotations

import asyncio
import datetime as dt
import shutil
from dataclasses import dataclass

from ivr.ami.client import AmiClient
from ivr.config import Config
from ivr.data.mirror import Mirror
from ivr.errors import DataError
from ivr.prompts import build
from ivr.prompts.catalog import Catalog

PROBE_SECONDS = 1.0  # a FastAGI port that does not accept within this is down


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


async def readiness(config: Config, ami: AmiClient | None, today: dt.date) -> list[Check]:
    """Every check a load balancer needs before it sends this node calls."""
    return [
        ami_logged_in(ami),
        await fastagi_listening(config),
        mirror_recent(config, today),
        prompts_built(config),
        disk_space(config),
    ]


def ami_logged_in(ami: AmiClient | None) -> Check:
    up = ami is not None and ami.connected
    return Check("ami", up, "logged in" if up else "not logged in to Asterisk's AMI")


async def fastagi_listening(config: Config) -> Check:
    """A TCP connection to the controller's FastAGI port, closed at once (the server takes
    a probe without a session for what it is)."""
    where = f"{config.agi.host}:{config.agi.port}"
    try:
        async with asyncio.timeout(PROBE_SECONDS):
            _, writer = await asyncio.open_connection(config.agi.host, config.agi.port)
    except (OSError, TimeoutError) as e:
        return Check("fastagi", False, f"nothing listening on {where} ({type(e).__name__})")
    writer.close()
    await writer.wait_closed()
    return Check("fastagi", True, f"listening on {where}")


def mirror_recent(config: Config, today: dt.date) -> Check:
    path = config.mirror_path
    if not path.exists():
        return Check("mirror", False, "no data imported: `hajj-ivr data import PATH`")
    try:
        with Mirror(path) as mirror:
            as_of, rows = mirror.info.as_of, mirror.info.jemaah_rows
    except DataError:
        return Check("mirror", False, "unreadable: import the export again")
    age = (today - as_of).days
    limit = config.web.ready_mirror_max_days
    if age > limit:
        return Check("mirror", False, f"data as of {as_of} is {age} days old (limit {limit})")
    return Check("mirror", True, f"{rows} jemaah, data as of {as_of}")


def prompts_built(config: Config) -> Check:
    catalog = Catalog.load(config.prompts_dir, config.overrides_dir)
    absent = build.missing(catalog, config.sounds_dir)
    if absent:
        return Check("prompts", False, f"{len(absent)} not built: `hajj-ivr prompts build`")
    return Check("prompts", True, f"{len(catalog)} built")


def disk_space(config: Config) -> Check:
    free = shutil.disk_usage(config.state_dir).free // (1 << 20)
    limit = config.web.ready_min_free_mib
    if free < limit:
        return Check("disk", False, f"{free} MiB free on the state dir's disk (limit {limit})")
    return Check("disk", True, f"{free} MiB free")
