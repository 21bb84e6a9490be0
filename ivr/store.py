"""Small SQLite stores of the hotline's own (agents, the reload log): one way to open them."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def open_store(path: Path, schema: str) -> sqlite3.Connection:
    """Autocommit, a short busy wait (the CLI and the web app write rarely), the schema."""
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA busy_timeout=2000")
    db.executescript(schema)
    return db
