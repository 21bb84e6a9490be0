"""Secrets generated at setup (AMI secret, demo phone password), kept in the state dir.

Never committed, never logged: the file is created with mode 0600 and only read here.
"""

from __future__ import annotations

import os
import secrets
import tomllib
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Secrets:
    ami_secret: str
    pilgrim_password: str

    def __repr__(self) -> str:  # keep secrets out of tracebacks and logs
        return "Secrets(<hidden>)"


def load_or_create(path: Path) -> Secrets:
    """Read the secrets file, creating it (0600) with fresh random values the first time."""
    if path.exists():
        values = tomllib.loads(path.read_text())
        return Secrets(values["ami_secret"], values["pilgrim_password"])
    made = Secrets(secrets.token_urlsafe(24), secrets.token_urlsafe(12))
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(f'ami_secret = "{made.ami_secret}"\npilgrim_password = "{made.pilgrim_password}"\n')
    return made
