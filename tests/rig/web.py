"""The web console as a test client sees it: CSRF tokens, logging in, audio to upload."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import httpx

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf(page: str) -> str:
    """The CSRF token a page's forms carry."""
    token = CSRF.search(page)
    assert token, f"no CSRF token on the page: {page[:200]}"
    return token[1]


def login(client: httpx.Client, name: str, password: str) -> httpx.Response:
    """Log in as the login form does; the answer is the redirect to the user's home."""
    token = csrf(client.get("/login").text)
    done = client.post("/login", data={"name": name, "password": password, "csrf": token})
    assert done.status_code == 303, done.text
    return done


def printed_password(printed: str) -> str:
    """The web password `agents add`, `admins add` or `... password` printed."""
    found = re.search(r"\(login \S+, password ([^\s)]+)\)", printed)
    assert found, printed
    return found[1]


def tone_wav(path: Path, seconds: float) -> Path:
    """A voice as a laptop records it (44.1 kHz stereo): a 440 Hz tone."""
    argv = ["sox", "-n", "-r", "44100", "-c", "2", str(path), "synth", str(seconds), "sine", "440"]
    subprocess.run(argv, check=True)
    return path
