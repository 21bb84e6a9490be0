"""The prompts as the test rig speaks them, built once and shared: var/test-sounds.

The fast tier times every prompt by these WAVs, so they must be built exactly as the real
rig builds its own (the settings come from the rig's config: espeak-ng at 200 wpm). The
build is incremental (prompts/build.py keeps a manifest), and a file lock keeps two pytest
workers from building into the same folder at once.
"""

from __future__ import annotations

import fcntl
from pathlib import Path

from ivr.config import PromptSettings
from ivr.prompts import build
from ivr.prompts.catalog import Catalog

ROOT = Path(__file__).resolve().parents[2]
SOUNDS = ROOT / "var" / "test-sounds"


def shared_sounds(
    settings: PromptSettings, prompts_dir: Path = ROOT / "prompts", overlay: Path | None = None
) -> Path:
    """The sounds directory (``<dir>/id/hajj/<id>.wav``, ``<dir>/id/beep.wav``), up to date
    with the catalog (and ``overlay``'s files over it: the sample's office prompts): a cold
    build takes a few seconds, a warm one reads the manifest."""
    SOUNDS.mkdir(parents=True, exist_ok=True)
    with (SOUNDS / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            catalog = Catalog.load(prompts_dir, overlay)
            build.build(catalog, SOUNDS, prompts_dir / "recorded", settings)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return SOUNDS
