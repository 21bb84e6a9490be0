"""The files a sound is played from: one WAV and the same audio in each G.711 codec.

Asterisk opens a sound by its name without extension and, among the files present
(``welcome.wav``, ``welcome.alaw``, ``welcome.ulaw``), reads the one cheapest to turn into
the channel's codec (file.c, ``ast_openstream``): an A-law caller gets the ``.alaw`` file
as it is, frame for frame, and no translator (slin -> alaw) runs for the call. The WAV
stays for Local channels, the dashboard's player and our own length checks. Every writer
of a sound Asterisk plays (prompts, the beep, officers' replies) goes through ``place``,
so the three never drift apart; a ``.wav`` present means its siblings are too.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from ivr import files

# File extension Asterisk's format_pcm reads -> sox's name for the raw codec.
CODECS = {"alaw": "al", "ulaw": "ul"}
RATE = "8000"  # G.711: 8 kHz mono, one byte a sample


def siblings(wav: Path) -> list[Path]:
    """The raw G.711 files played in place of ``wav`` (same name, codec extension)."""
    return [wav.with_suffix(f".{ext}") for ext in CODECS]


def all_of(wav: Path) -> list[Path]:
    """``wav`` and its G.711 siblings: everything one sound is."""
    return [wav, *siblings(wav)]


def complete(wav: Path) -> bool:
    """The sound exists in every format Asterisk should find."""
    return all(path.exists() for path in all_of(wav))


def place(staged: Path, target: Path) -> None:
    """A telephone WAV (8 kHz mono 16-bit, ``staged``, anywhere) becomes ``target`` and
    its G.711 siblings in ``target``'s folder; each file replaced atomically and owned
    like the folder (Asterisk's user reads it). The siblings go first, the WAV last."""
    write_codecs(staged, target)
    tmp = target.with_name(f".{target.name}.tmp")
    shutil.move(staged, tmp)
    _swap(tmp, target)


def write_codecs(wav: Path, target: Path) -> None:
    """The G.711 siblings of ``target`` (a .wav path) from the audio of ``wav``."""
    for sibling, kind in zip(siblings(target), CODECS.values(), strict=True):
        tmp = sibling.with_name(f".{sibling.name}.tmp")
        # The type is explicit: sox would otherwise guess it from the ".tmp" suffix.
        argv = ["sox", str(wav), "-t", kind, "-r", RATE, "-c", "1", str(tmp)]
        subprocess.run(argv, check=True, capture_output=True)
        _swap(tmp, sibling)


def remove(wav: Path) -> None:
    """The sound gone in every format (missing ones are fine)."""
    for path in all_of(wav):
        path.unlink(missing_ok=True)


def _swap(tmp: Path, target: Path) -> None:
    files.owned_like_folder(tmp)
    tmp.replace(target)
