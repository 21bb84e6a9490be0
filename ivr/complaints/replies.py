"""Recorded replies to complaints: an officer's own voice, read to the caller who asks.

An upload from the dashboard (WAV, MP3, OGG, ... whatever sox reads) becomes
``<number>-reply.wav`` in the recordings folder, in the telephone format the prompts use.
Anything sox cannot read is refused with its reason and leaves the ticket as it was.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from pathlib import Path

from ivr import files
from ivr.complaints.tickets import Ticket, TicketError
from ivr.prompts import build
from ivr.prompts.catalog import Prompt

MAX_BYTES = 20 * 1024 * 1024
SUFFIX = re.compile(r"^\.[a-z0-9]{1,5}$")
# What the transcript says where the caller heard the officer's recording.
HEARD = "(balasan petugas, rekaman)"


def file_name(number: str) -> str:
    return f"{number}-reply.wav"


def store(recordings: Path, number: str, upload: bytes, upload_name: str) -> str:
    """Convert an uploaded reply; return its file name in ``recordings``."""
    if not upload:
        raise TicketError("the reply file is empty")
    if len(upload) > MAX_BYTES:
        raise TicketError(f"the reply file is larger than {MAX_BYTES // 2**20} MiB")
    suffix = Path(upload_name).suffix.lower()
    recordings.mkdir(parents=True, exist_ok=True)
    name = file_name(number)
    with tempfile.TemporaryDirectory(dir=recordings) as tmp:
        source = Path(tmp) / f"upload{suffix if SUFFIX.match(suffix) else '.wav'}"
        source.write_bytes(upload)
        staged = Path(tmp) / "reply.wav"
        try:
            build.telephone_wav(source, staged)
        except subprocess.CalledProcessError as e:
            why = e.stderr.decode(errors="replace").strip().splitlines()
            raise TicketError(
                f"the reply is not audio sox can read: {why[-1] if why else e}"
            ) from None
        files.owned_like_folder(staged, recordings)  # Asterisk plays it as its user
        staged.replace(recordings / name)
    return name


def prompt(recordings: Path, ticket: Ticket) -> Prompt | None:
    """The recorded reply as something a call can say (an absolute sound name)."""
    if not ticket.reply or not (recordings / ticket.reply).exists():
        return None
    return Prompt("reply", HEARD, file=str(recordings / Path(ticket.reply).stem))
