"""`hajj-ivr doctor`: each part of the hotline checked, with what to do when it fails."""

from __future__ import annotations

import datetime as dt
import uuid

from ivr import health, storefiles
from ivr.ami.client import AmiClient
from ivr.ami.users import AmiUser
from ivr.ami.users import for_config as ami_client
from ivr.asterisk import process, sandbox
from ivr.backup import database
from ivr.config import Config
from ivr.errors import HajjIvrError
from ivr.health import Check
from ivr.settings import redacted_url


async def run_checks(config: Config) -> list[Check]:
    checks = [_asterisk_found(config), _asterisk_running(config)]
    checks += await _ami_and_agi(config)
    checks += [
        health.mirror_recent(config, dt.date.today()),
        health.prompts_built(config),
        health.disk_space(config),
    ]
    if config.database.postgres:
        checks += [shared_store(config), backup_client(config)]
    return checks


def shared_store(config: Config) -> Check:
    """With ``[database] url``: PostgreSQL answers and every shared store's tables are at
    this release's version (a node started before `hajj-ivr db migrate` would fail)."""
    from ivr import pgstore  # psycopg only where PostgreSQL is configured

    name = "shared database (PostgreSQL)"
    where = redacted_url(config.database.url)
    try:
        with pgstore.connect(config.database) as conn:
            have = pgstore.versions(conn)
    except HajjIvrError as e:
        return Check(name, False, str(e))
    behind = [
        f"{s.part} {have.get(s.part, 0)}/{s.version}"
        for s in storefiles.PG_SCHEMAS
        if have.get(s.part, 0) != s.version
    ]
    if behind:
        return Check(
            name,
            False,
            f"{where}: tables not at this release ({', '.join(behind)}): `hajj-ivr db migrate`",
        )
    return Check(name, True, f"{where}: {len(storefiles.PG_SCHEMAS)} stores at this release")


def backup_client(config: Config) -> Check:
    """With ``[database] url``: `hajj-ivr backup` can dump the shared stores (pg_dump on
    PATH, of the server's major version or newer)."""
    from ivr import pgstore

    name = "backup of the shared database (pg_dump)"
    client = database.client_major()
    if client is None:
        return Check(name, False, "pg_dump not found: install postgresql-client")
    try:
        with pgstore.connect(config.database) as conn:
            server = conn.info.server_version // 10000
    except HajjIvrError as e:
        return Check(name, False, str(e))
    if client < server:
        return Check(
            name, False, f"pg_dump {client} cannot dump PostgreSQL {server}: install its client"
        )
    return Check(name, True, f"pg_dump {client} for PostgreSQL {server}")


def _asterisk_found(config: Config) -> Check:
    try:
        found = sandbox.locate(config.asterisk.binary, config.asterisk.sandbox_dir)
    except HajjIvrError as e:
        return Check("asterisk installed", False, str(e))
    return Check("asterisk installed", True, f"{found.version()} ({found.origin})")


def _asterisk_running(config: Config) -> Check:
    try:
        pid = process.Asterisk.from_config(config).pid()
    except HajjIvrError as e:
        return Check("asterisk running", False, str(e))
    if pid is None:
        return Check("asterisk running", False, "not running: `hajj-ivr asterisk start`")
    return Check("asterisk running", True, f"pid {pid}")


async def _ami_and_agi(config: Config) -> list[Check]:
    ami = ami_client(config, AmiUser.CALLS)
    port = config.asterisk.ami_port
    try:
        await ami.connect(timeout=5)
    except HajjIvrError as e:
        fix = "is Asterisk running? `hajj-ivr asterisk start`"
        return [
            Check("AMI login", False, f"127.0.0.1:{port}: {e}; {fix}"),
            Check("FastAGI from Asterisk", False, "needs AMI"),
        ]
    try:
        ami_ok = Check("AMI login", True, f"127.0.0.1:{port} as {AmiUser.CALLS.username(config)}")
        return [ami_ok, await _agi_roundtrip(config, ami)]
    finally:
        await ami.close()


async def _agi_roundtrip(config: Config, ami: AmiClient) -> Check:
    tag = uuid.uuid4().hex[:12]
    name = "FastAGI from Asterisk"
    try:
        done = ami.wait_event(
            "UserEvent",
            lambda e: e.get("UserEvent") == "HajjDoctor" and tag in e.get("Uniqueid", ""),
            timeout=10,
        )
        await ami.originate(
            Channel="Local/s@hajj-doctor",
            Application="Wait",
            Data="1",
            OtherChannelId=f"doctor-{tag}",
            ChannelId=f"doctor-caller-{tag}",
        )
        event = await done
    except HajjIvrError as e:
        return Check(name, False, f"no answer from the doctor call: {e}")
    status = event.get("Status", "")
    if status != "SUCCESS":
        return Check(
            name,
            False,
            f"AGISTATUS={status}: is `hajj-ivr serve` running on "
            f"{config.agi.host}:{config.agi.port}?",
        )
    return Check(name, True, f"agi://{config.agi.host}:{config.agi.port} answered")
