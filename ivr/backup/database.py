"""A cluster's shared stores (``[database] url``) in a backup: pg_dump's custom format of
the whole database (every store's tables, the migrations run, the published mirrors'
large objects) as the archive's member ``postgresql.dump`` (manifest.DATABASE). It is
put back by pg_restore only when asked (`hajj-ivr restore --database`): every node shares
the database, so every node must be stopped first. pg_dump takes its own consistent
snapshot while calls run.

The password never goes on a command line (``ps`` shows those): the URL is split into
libpq's keywords and the password handed over in PGPASSWORD.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from ivr.errors import BackupError
from ivr.settings import DatabaseSettings, redacted_url

TIMEOUT = 6 * 3600  # seconds: a dump or restore of years of calls still ends


def client_major() -> int | None:
    """The major version of the pg_dump on PATH (None: none there). It must be the
    server's or newer: an older pg_dump refuses a newer server."""
    try:
        said = subprocess.run(["pg_dump", "--version"], capture_output=True, text=True, timeout=30)
    except FileNotFoundError:
        return None
    found = re.search(r"\)\s+(\d+)", said.stdout)
    return int(found[1]) if found else None


def connection(url: str) -> tuple[str, dict[str, str]]:
    """libpq's connection string without the password, and the environment carrying it."""
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    params = conninfo_to_dict(url)
    password = params.pop("password", None)
    env = {**os.environ, "PGCONNECT_TIMEOUT": "10"}
    env.pop("PGPASSWORD", None)
    if password:
        env["PGPASSWORD"] = str(password)
    return make_conninfo("", **params), env


def dump(database: DatabaseSettings, target: Path) -> None:
    """The whole database into ``target`` (custom format, no owners or grants: it restores
    into whatever role the restoring node connects as)."""
    dsn, env = connection(database.url)
    argv = ["pg_dump", "--format=custom", "--no-owner", "--no-privileges"]
    _run([*argv, "--file", str(target), "--dbname", dsn], env, database)


def load(database: DatabaseSettings, source: Path) -> None:
    """``source`` (a dump of :func:`dump`) into the database, in one transaction: the
    stores it holds replace those there, or nothing changes."""
    dsn, env = connection(database.url)
    argv = ["pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges"]
    argv += ["--single-transaction", "--exit-on-error", "--dbname", dsn, str(source)]
    _run(argv, env, database)


def _run(argv: list[str], env: dict[str, str], database: DatabaseSettings) -> None:
    where = redacted_url(database.url)
    try:
        done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=TIMEOUT)
    except FileNotFoundError:
        raise BackupError(
            f"{argv[0]} not found: install PostgreSQL's client (postgresql-client, of the "
            "server's major version or newer)"
        ) from None
    except subprocess.TimeoutExpired:
        raise BackupError(f"{argv[0]} of {where} took over {TIMEOUT} s: stopped") from None
    if done.returncode != 0:
        said = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise BackupError(f"{argv[0]} of {where} failed: {said}")
