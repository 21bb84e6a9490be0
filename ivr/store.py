"""Small SQLite stores of the hotline's own (agents, the reload log): one way to open them,
one way to purge them."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def open_store(
    path: Path, *schemas: str, wal: bool = False, threads: bool = False
) -> sqlite3.Connection:
    """Autocommit, a short busy wait (the CLI and the web app write rarely), the schemas.

    ``wal`` for a store written on every call (the call log); ``threads`` when one
    connection is shared with worker threads (asyncio.to_thread).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=not threads)
    if wal:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
    db.execute("PRAGMA busy_timeout=2000")
    for schema in schemas:
        db.executescript(schema)
    return db


def delete_where(
    db: sqlite3.Connection,
    table: str,
    where: str,
    args: tuple[object, ...],
    dry_run: bool = False,
    batch: int = 2000,
) -> int:
    """Delete ``table``'s rows matching ``where`` (ours, never user input); how many.

    A batch per transaction: the controller writes the same file during calls, inline on
    its event loop, and must never wait on one long purge. ``dry_run`` only counts.
    """
    if dry_run:
        return int(db.execute(f"SELECT count(*) FROM {table} WHERE {where}", args).fetchone()[0])
    total = 0
    while True:
        done = db.execute(
            f"DELETE FROM {table} WHERE rowid IN "
            f"(SELECT rowid FROM {table} WHERE {where} LIMIT {int(batch)})",
            args,
        ).rowcount
        total += done
        if done < batch:
            return total
