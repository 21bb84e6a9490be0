"""Secrets generated at setup (one AMI secret per AMI user, the demo phone's password,
the key of complaint PINs, the bearer token of /metrics,
Asterisk's own metrics password) and the carrier's trunk password, kept in the state dir.

Never committed, never logged: the file is created with mode 0600 and only read here. A
file from an older version gains the keys it lacks and loses those no longer used.
"""

from __future__ import annotations

import os
import secrets
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path


@dataclass(frozen=True)
class Secrets:
    pilgrim_password: str
    # One per AMI user (ivr/ami/client.py AmiUser, dialplan/manager.conf).
    ami_controller_secret: str
    ami_web_secret: str
    ami_desk_secret: str
    ami_calls_secret: str
    ami_supervise_secret: str
    pin_secret: str  # the key of complaint PIN hashes (ivr.complaints.numbers)
    metrics_token: str  # the bearer token /metrics asks for when agi.metrics_token is on
    asterisk_metrics_password: str  # res_prometheus's basic auth (prometheus.conf)
    webrtc_secret: str  # the key the browser phones' SIP passwords derive from
    # The carrier's digest password for trunk.username: given by the carrier and put here
    # by hand (never in the config file); "" when the carrier knows us by address alone.
    trunk_password: str

    def __repr__(self) -> str:  # keep secrets out of tracebacks and logs
        return "Secrets(<hidden>)"


_FRESH: dict[str, Callable[[], str]] = {
    "pilgrim_password": lambda: secrets.token_urlsafe(12),
    "ami_controller_secret": lambda: secrets.token_urlsafe(24),
    "ami_web_secret": lambda: secrets.token_urlsafe(24),
    "ami_desk_secret": lambda: secrets.token_urlsafe(24),
    "ami_calls_secret": lambda: secrets.token_urlsafe(24),
    "ami_supervise_secret": lambda: secrets.token_urlsafe(24),
    "pin_secret": lambda: secrets.token_urlsafe(32),
    "metrics_token": lambda: secrets.token_urlsafe(32),
    "asterisk_metrics_password": lambda: secrets.token_urlsafe(24),
    "webrtc_secret": lambda: secrets.token_urlsafe(32),
    "trunk_password": str,  # "": not ours to make up, the carrier gives it
}


def load_or_create(path: Path) -> Secrets:
    """Read the secrets file, creating it (0600) with fresh random values the first time."""
    values = tomllib.loads(path.read_text()) if path.exists() else {}
    missing = [f.name for f in fields(Secrets) if f.name not in values]
    if not missing:
        return Secrets(**{f.name: values[f.name] for f in fields(Secrets)})
    values |= {name: _FRESH[name]() for name in missing}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write("".join(f'{name} = "{values[name]}"\n' for name in _FRESH))
    tmp.replace(path)
    return Secrets(**{f.name: values[f.name] for f in fields(Secrets)})
