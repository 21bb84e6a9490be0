"""Prompts recorded by phone: admins' phone PINs, the takes, and the recordings kept.

An admin gets a phone number of their own and a six-digit PIN (`hajj-ivr admins pin
NAME`, printed once; only a scrypt hash is kept, in state_dir/admin.sqlite, or with
``[database] url`` PostgreSQL, so the PIN works on every node). From a staff
phone they dial *79, key both, then a prompt's number (``Catalog.numbers``), and record it.
A take is written by Asterisk's RECORD FILE beside the complaint recordings (the folder
Asterisk may write) and removed when the call is done with it; a take kept is copied to
state_dir/overrides/recorded/<id>.wav, where it wins over prompts/recorded/ and over the
synthetic voice at every build, and becomes the prompt's sound at once (atomically: the
next call hears it). Each one kept goes to the reload log (ivr.admin.audit).
"""

from __future__ import annotations

import secrets
import time
import wave
from dataclasses import dataclass
from pathlib import Path

from ivr import storeplace
from ivr.admin import audit
from ivr.admin.audit import Audit
from ivr.agents import passwords
from ivr.agents.store import AgentError, AgentStore
from ivr.config import Config
from ivr.prompts import build
from ivr.prompts.catalog import Catalog, Prompt
from ivr.store import Schema, Sql, took, unchanged

_V1 = """
CREATE TABLE IF NOT EXISTS phone_pins (
    number TEXT PRIMARY KEY,   -- what the admin keys first at *79
    name TEXT NOT NULL UNIQUE, -- the admin's login
    pin_hash TEXT NOT NULL,    -- scrypt, as web passwords
    created_at REAL NOT NULL
);
"""
SCHEMA = Schema("phone_pins", (_V1,))
_PG_V1 = _V1.replace("REAL", "DOUBLE PRECISION")  # nothing else differs
# Only in PostgreSQL: a prompt recorded by phone on one node is every node's (each keeps
# its own copy and sounds, pulled by its controller: Studio.pull). On one node the file
# in overrides/recorded/ is the recording.
_PG_RECORDED = """
CREATE TABLE IF NOT EXISTS recorded_prompts (
    prompt TEXT PRIMARY KEY,
    wav BYTEA,                -- NULL: removed (the shipped recording or the voice again)
    saved_at DOUBLE PRECISION NOT NULL
);
"""
PG_SCHEMA = Schema("phone_pins", (_PG_V1, _PG_RECORDED))
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
    """``sql``: the PIN table already open (the controller's pool, a test's backend);
    else each use opens it where ``config`` keeps it (storeplace)."""

    def __init__(self, config: Config, sql: Sql | None = None) -> None:
        self.config = config
        self.path = audit.path_of(config)
        self._place = storeplace.chosen(self.path, (SCHEMA,), config.database, sql)
        self.kept_dir, self.shipped_dir = recorded_dirs(config)
        self.takes_dir = config.recordings_dir  # RECORD FILE writes there
        self.max_seconds = config.complaints.reply_max_seconds
        self.silence_seconds = SILENCE_SECONDS

    # --- admins' phone PINs --------------------------------------------------------------

    def new_pin(self, name: str) -> tuple[str, str]:
        """A new PIN for an admin (their number kept, or a new one); both, shown once."""
        AgentStore.for_config(self.config).get(name, role="admin")  # AgentError if none
        pin = "".join(secrets.choice("0123456789") for _ in range(PIN_DIGITS))
        pin_hash = passwords.web_hash(pin)
        with self._place() as sql:
            for _ in range(5):  # another node took that number meanwhile: draw again
                number = self._number_for(sql, name)
                row = sql.insert_unique(
                    "INSERT INTO phone_pins (number, name, pin_hash, created_at)"
                    " VALUES (?, ?, ?, ?) ON CONFLICT (name) DO UPDATE"
                    " SET pin_hash = excluded.pin_hash, created_at = excluded.created_at"
                    " RETURNING number",
                    (number, name, pin_hash, time.time()),
                )
                if row is not None:
                    return str(row[0]), pin
        raise AgentError(f"no free phone number for {name!r}: try again")

    def _number_for(self, sql: Sql, name: str) -> str:
        """The admin's own number (a new PIN keeps it), else the next one free."""
        own = sql.one("SELECT number FROM phone_pins WHERE name = ?", (name,))
        if own is not None:
            return str(own[0])
        top = sql.one("SELECT max(CAST(number AS INTEGER)) FROM phone_pins")
        return str(max(int(top[0] or 0) + 1 if top else 0, FIRST_NUMBER))

    def is_admin_number(self, number: str) -> bool:
        with self._place() as sql:
            return sql.one("SELECT 1 FROM phone_pins WHERE number = ?", (number,)) is not None

    def check_pin(self, number: str, pin: str) -> str | None:
        """The admin whose number and PIN these are (and who is still an admin), or None."""
        with self._place() as sql:
            row = sql.one(
                "SELECT name, pin_hash, created_at FROM phone_pins WHERE number = ?", (number,)
            )
        if row is None or not passwords.web_check(pin, row[1]):
            return None
        try:
            admin = AgentStore.for_config(self.config).get(row[0], role="admin")
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
        """The take becomes the prompt's recording and its sound now (on every node with
        ``[database] url``); logged."""
        wav = take.with_suffix(".wav").read_bytes()
        self._share(prompt.id, wav)
        self._install(prompt, wav)
        self.discard(take)
        detail = f"prompt {number} ({prompt.id}) recorded by phone"
        Audit.for_config(self.config).record(who, "recording", True, detail)

    def forget(self, prompt: Prompt, number: int, who: str) -> str:
        """Remove a prompt's recording by phone: the prompt is built again (from a shipped
        recording, else the synthetic voice) and heard so from its next play; logged."""
        self._share(prompt.id, None)
        voice = self._uninstall(prompt)
        detail = f"prompt {number} ({prompt.id}): recording removed, now {voice}"
        Audit.for_config(self.config).record(who, "recording", True, detail)
        return detail

    def pull(self, seen: dict[str, float] | None = None) -> list[str]:
        """The recordings kept or removed on other nodes made this node's too (files and
        sounds); their prompt ids (none without ``[database] url``). ``seen``: each
        recording's save time as the last pull took it, kept by the caller between pulls:
        while nothing was saved since, a pull reads the times only, not the audio."""
        if not self.config.database.postgres:
            return []
        with self._place() as sql:
            if unchanged(sql, "recorded_prompts", "prompt", seen):
                return []
            rows = sql.all("SELECT prompt, wav, saved_at FROM recorded_prompts")
        catalog = Catalog.load(self.config.prompts_dir, self.config.overrides_dir)
        changed = []
        for prompt_id, wav, _ in rows:
            kept = self.kept_dir / f"{prompt_id}.wav"
            want = None if wav is None else bytes(wav)
            if prompt_id not in catalog or (kept.read_bytes() if kept.exists() else None) == want:
                continue
            if want is None:
                self._uninstall(catalog[prompt_id])
            else:
                self._install(catalog[prompt_id], want)
            changed.append(str(prompt_id))
        took(seen, rows)  # every recording installed: the next pull may skip them
        return changed

    def _share(self, prompt_id: str, wav: bytes | None) -> None:
        if not self.config.database.postgres:
            return
        with self._place() as sql:
            sql.run(
                "INSERT INTO recorded_prompts (prompt, wav, saved_at) VALUES (?, ?, ?)"
                " ON CONFLICT (prompt) DO UPDATE SET wav = excluded.wav,"
                " saved_at = excluded.saved_at",
                (prompt_id, wav, time.time()),
            )

    def _install(self, prompt: Prompt, wav: bytes) -> None:
        self.kept_dir.mkdir(parents=True, exist_ok=True)
        kept = self.kept_dir / f"{prompt.id}.wav"
        staged = self.kept_dir / f".{prompt.id}.wav.tmp"
        staged.write_bytes(wav)
        staged.chmod(0o600)
        staged.replace(kept)
        build.install_recording(prompt, kept, self.config.sounds_dir)

    def _uninstall(self, prompt: Prompt) -> str:
        """The recording gone, the prompt built again; the voice it has now."""
        (self.kept_dir / f"{prompt.id}.wav").unlink(missing_ok=True)
        report = build.build(
            Catalog({prompt.id: prompt}),
            self.config.sounds_dir,
            recorded_dirs(self.config),
            self.config.prompts,
        )
        return report.voices[prompt.id]

    def recorded(self, catalog: Catalog) -> list[Recorded]:
        """Every prompt a person speaks, by number."""
        found = []
        for number, prompt in catalog.numbers().items():
            path = build.recording_of(prompt.id, [self.kept_dir, self.shipped_dir])
            if path is not None:
                found.append(Recorded(number, prompt, path, path.parent == self.kept_dir))
        return found
