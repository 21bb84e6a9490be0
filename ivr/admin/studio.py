"""Prompts recorded by phone: admins' phone PINs, the takes, and the recordings kept.

An admin gets a phone number of their own and a six-digit PIN (`hajj-ivr admins pin
NAME`, printed once; only a scrypt hash is kept, in state_dir/admin.sqlite). From a staff
phone they dial *79, key both, then a prompt's number (``Catalog.numbers``), and record it.
A take is written by Asterisk's RECORD FILE beside the complaint recordings (the folder
Asterisk may write) and removed when the call is done with it; a take kept is copied to
state_dir/overrides/recorded/<id>.wav, where it wins over prompts/recorded/ and over the
synthetic voice at every build, and becomes the prompt's sound at once (atomically: the
next call hears it). Each one kept goes to the reload log (ivr.admin.audit).
"""

from __future__ import annotations

import secrets
import shutil
import sqlite3
import time
import wave
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from ivr.admin.audit import Audit
from ivr.agents import passwords
from ivr.agents.store import AgentError, AgentStore
from ivr.config import Config
from ivr.prompts import build
from ivr.prompts.catalog import Catalog, Prompt
from ivr.store import Schema, open_store

_V1 = """
CREATE TABLE IF NOT EXISTS phone_pins (
    number TEXT PRIMARY KEY,   -- what the admin keys first at *79
    name TEXT NOT NULL UNIQUE, -- the admin's login
    pin_hash TEXT NOT NULL,    -- scrypt, as web passwords
    created_at REAL NOT NULL
);
"""
SCHEMA = Schema("phone_pins", (_V1,))
RECORDED_BY_PHONE = "recorded"  # under state_dir/overrides/
PIN_DIGITS = 6
FIRST_NUMBER = 101
TAKE_PREFIX = "prompt-take-"
SILENCE_SECONDS = 5  # a take ends after this much silence (a speaker pauses), or at "#"
MIN_TAKE_SECONDS = 0.3  # a shorter take (or none: "#" during the beep) is not kept


def recorded_dirs(config: Config) -> list[Path]:
    """Where human recordings of prompts are, the one that wins first: by phone, shipped."""
    return [config.overrides_dir / RECORDED_BY_PHONE, config.prompts_dir / "recorded"]


@dataclass(frozen=True)
class Recorded:
    """A prompt spoken by a person: its number, the prompt, the recording, who made it."""

    number: int
    prompt: Prompt
    path: Path
    by_phone: bool


class Studio:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.path = config.state_dir / "admin.sqlite"
        self.kept_dir, self.shipped_dir = recorded_dirs(config)
        self.takes_dir = config.recordings_dir  # RECORD FILE writes there
        self.max_seconds = config.complaints.reply_max_seconds
        self.silence_seconds = SILENCE_SECONDS

    def _db(self) -> sqlite3.Connection:
        return open_store(self.path, SCHEMA)

    # --- admins' phone PINs --------------------------------------------------------------

    def new_pin(self, name: str) -> tuple[str, str]:
        """A new PIN for an admin (their number kept, or a new one); both, shown once."""
        AgentStore(self.config.agents_path).get(name, role="admin")  # AgentError if none
        pin = "".join(secrets.choice("0123456789") for _ in range(PIN_DIGITS))
        with closing(self._db()) as db:
            row = db.execute("SELECT number FROM phone_pins WHERE name = ?", (name,)).fetchone()
            if row is None:
                rows = db.execute("SELECT max(CAST(number AS INTEGER)) FROM phone_pins")
                (top,) = rows.fetchone()
                row = (str(max(int(top or 0) + 1, FIRST_NUMBER)),)
            db.execute(
                "INSERT OR REPLACE INTO phone_pins VALUES (?, ?, ?, ?)",
                (row[0], name, passwords.web_hash(pin), time.time()),
            )
        return row[0], pin

    def is_admin_number(self, number: str) -> bool:
        with closing(self._db()) as db:
            found = db.execute("SELECT 1 FROM phone_pins WHERE number = ?", (number,))
            return found.fetchone() is not None

    def check_pin(self, number: str, pin: str) -> str | None:
        """The admin whose number and PIN these are (and who is still an admin), or None."""
        with closing(self._db()) as db:
            row = db.execute(
                "SELECT name, pin_hash, created_at FROM phone_pins WHERE number = ?", (number,)
            ).fetchone()
        if row is None or not passwords.web_check(pin, row[1]):
            return None
        try:
            admin = AgentStore(self.config.agents_path).get(row[0], role="admin")
        except AgentError:
            return None  # removed since: the PIN went with the login
        # An admin removed and made again under the same name needs a new PIN.
        return str(row[0]) if row[2] >= admin.created_at else None

    # --- takes and recordings --------------------------------------------------------

    def take_path(self, call_id: str) -> Path:
        """Where this call's take goes (no extension: RECORD FILE adds .wav)."""
        return self.takes_dir / f"{TAKE_PREFIX}{call_id}"

    def take_seconds(self, take: Path) -> float:
        """How long the take is (0 when RECORD FILE wrote nothing, or nothing usable)."""
        try:
            with wave.open(str(take.with_suffix(".wav"))) as w:
                return float(w.getnframes()) / float(w.getframerate())
        except (OSError, EOFError, wave.Error):
            return 0.0

    def discard(self, take: Path) -> None:
        take.with_suffix(".wav").unlink(missing_ok=True)

    def keep(self, prompt: Prompt, number: int, take: Path, who: str) -> None:
        """The take becomes the prompt's recording and its sound now; logged."""
        self.kept_dir.mkdir(parents=True, exist_ok=True)
        kept = self.kept_dir / f"{prompt.id}.wav"
        staged = self.kept_dir / f".{prompt.id}.wav.tmp"
        shutil.copyfile(take.with_suffix(".wav"), staged)
        staged.chmod(0o600)
        staged.replace(kept)
        build.install_recording(prompt, kept, self.config.sounds_dir)
        self.discard(take)
        detail = f"prompt {number} ({prompt.id}) recorded by phone"
        Audit.for_config(self.config).record(who, "recording", True, detail)

    def forget(self, prompt: Prompt, number: int, who: str) -> str:
        """Remove a prompt's recording by phone: the prompt is built again (from a shipped
        recording, else the synthetic voice) and heard so from its next play; logged."""
        (self.kept_dir / f"{prompt.id}.wav").unlink(missing_ok=True)
        settings = self.config.prompts
        report = build.build(
            Catalog({prompt.id: prompt}),
            self.config.sounds_dir,
            recorded_dirs(self.config),
            settings,
        )
        detail = f"prompt {number} ({prompt.id}): recording removed, now {report.voices[prompt.id]}"
        Audit.for_config(self.config).record(who, "recording", True, detail)
        return detail

    def recorded(self, catalog: Catalog) -> list[Recorded]:
        """Every prompt a person speaks, by number."""
        found = []
        for number, prompt in catalog.numbers().items():
            path = build.recording_of(prompt.id, [self.kept_dir, self.shipped_dir])
            if path is not None:
                found.append(Recorded(number, prompt, path, path.parent == self.kept_dir))
        return found
