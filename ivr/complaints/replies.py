"""Recorded replies to complaints: an officer's own voice, read to the caller who asks.

An upload from the dashboard (WAV, MP3, OGG, ... whatever sox reads) becomes
``<number>-reply.wav`` in the recordings folder, in the telephone formats the prompts use
(with its ``.alaw`` and ``.ulaw`` siblings, ``ivr.prompts.formats``).
Anything sox cannot read is refused with its reason and leaves the ticket as it was; so
is a reply longer than complaints.reply_max_seconds, which a status call could not play
whole (one STREAM FILE has the AGI media timeout to finish). The web layer caps the
upload's size (web.max_reply_mib) while it streams it to disk.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import wave
from pathlib import Path

from ivr.complaints.tickets import Ticket, TicketError
from ivr.prompts import build, formats
from ivr.prompts.catalog import Prompt

SUFFIX = re.compile(r"^\.[a-z0-9]{1,5}$")
PAD_SECONDS = 0.15  # the silence build.telephone_wav adds after the voice
# What the transcript says where the caller heard the officer's recording.
HEARD = "(balasan petugas, rekaman)"


def file_name(number: str) -> str:
    return f"{number}-reply.wav"


def store(recordings: Path, number: str, upload: Path, upload_name: str, max_seconds: int) -> str:
    """Convert an uploaded reply (the file ``upload``, sent as ``upload_name``); return
    its file name in ``recordings``."""
    if upload.stat().st_size == 0:
        raise TicketError("the reply file is empty")
    suffix = Path(upload_name).suffix.lower()
    recordings.mkdir(parents=True, exist_ok=True)
    name = file_name(number)
    with tempfile.TemporaryDirectory(dir=recordings) as tmp:
        # sox knows a format by its suffix; the sender's name is used for nothing else.
        source = Path(tmp) / f"upload{suffix if SUFFIX.match(suffix) else '.wav'}"
        _place(upload, source)
        staged = Path(tmp) / "reply.wav"
        try:
            build.telephone_wav(source, staged)
        except subprocess.CalledProcessError as e:
            why = e.stderr.decode(errors="replace").strip().splitlines()
            raise TicketError(
                f"the reply is not audio sox can read: {why[-1] if why else e}"
            ) from None
        seconds = _seconds(staged) - PAD_SECONDS
        if seconds > max_seconds:
            raise TicketError(
                f"the reply lasts {seconds:.0f} s; a recorded reply may last at most "
                f"{max_seconds} s (complaints.reply_max_seconds) so that callers hear it whole"
            )
        # Asterisk plays it as its user, to G.711 callers from its .alaw/.ulaw siblings.
        formats.place(staged, recordings / name)
    return name


def _place(upload: Path, target: Path) -> None:
    """``upload`` under the name sox needs: a hard link, a copy across file systems."""
    try:
        os.link(upload, target)
    except OSError:
        shutil.copyfile(upload, target)


def _seconds(wav: Path) -> float:
    with wave.open(str(wav), "rb") as w:
        return w.getnframes() / w.getframerate()


def prompt(recordings: Path, ticket: Ticket) -> Prompt | None:
    """The recorded reply as something a call can say (an absolute sound name)."""
    if not ticket.reply or not (recordings / ticket.reply).exists():
        return None
    return Prompt("reply", HEARD, file=str(recordings / Path(ticket.reply).stem))
