"""The prompts as the test rig speaks them, built once and shared: var/test-sounds.

The fast tier times every prompt by these WAVs, so they must be built exactly as the real
rig builds its own (the settings come from the rig's config: espeak-ng at 200 wpm), in
that one voice (``SETTINGS``), and only of the shipped catalog with the sample's offices:
a hotline's own edits are built into a folder of its own (``own_sounds``). The
build is incremental (prompts/build.py keeps a manifest), and a file lock keeps two pytest
workers from building into the same folder at once. The real rig's private sounds start
as a copy of them (``seed``): each worker's hotline would otherwise speak all 400-odd
prompts again with espeak-ng, competing for the CPU with the other worker's calls.
"""

from __future__ import annotations

import fcntl
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ivr.admin.overrides import OFFICES
from ivr.config import PromptSettings
from ivr.prompts import build
from ivr.prompts.catalog import Catalog

ROOT = Path(__file__).resolve().parents[2]
SOUNDS = ROOT / "var" / "test-sounds"
# The one voice every rig speaks in (the [prompts] of tests/rig/hotline.py's and
# cluster.py's configs): a build at other settings would speak every prompt again into the
# shared folder, and the other workers' fast tiers would time their calls by those lengths
# meanwhile (test_health's default settings once did: a studio take keyed for the beep
# landed in the prompt before it).
SETTINGS = PromptSettings(engine="espeak", espeak_speed=200)


def _voice(settings: PromptSettings) -> tuple[str, str, int]:
    return settings.engine, settings.espeak_voice, settings.espeak_speed


@contextmanager
def _built(settings: PromptSettings, prompts_dir: Path, overlay: Path | None) -> Iterator[Path]:
    """The shared sounds up to date, held under the lock until the block ends."""
    if _voice(settings) != _voice(SETTINGS):
        raise ValueError(f"the shared sounds speak as {_voice(SETTINGS)}, not {_voice(settings)}")
    SOUNDS.mkdir(parents=True, exist_ok=True)
    with (SOUNDS / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            build.build(_shared(prompts_dir, overlay), SOUNDS, prompts_dir / "recorded", settings)
            yield SOUNDS
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def shared_sounds(
    settings: PromptSettings, prompts_dir: Path = ROOT / "prompts", overlay: Path | None = None
) -> Path:
    """The sounds directory (``<dir>/id/hajj/<id>.wav``, ``<dir>/id/beep.wav``), up to date
    with the catalog (and ``overlay``'s files over it: the sample's office prompts): a cold
    build takes a few seconds, a warm one reads the manifest."""
    with _built(settings, prompts_dir, overlay) as sounds:
        return sounds


def seed(
    settings: PromptSettings, target: Path, prompts_dir: Path, overlay: Path | None = None
) -> None:
    """Copy the shared build (files and manifest) into a private sounds dir ``target``, so
    the private build after it (incremental, by the manifest's keys) finds every prompt
    made with these settings unchanged. A copy, not a link: Asterisk's user gets its own
    files (the state dir is tightened afterwards) and the rig may rebuild them."""
    with _built(settings, prompts_dir, overlay) as sounds:
        shutil.copytree(sounds / build.LANGUAGE, target / build.LANGUAGE, dirs_exist_ok=True)


def _shared(prompts_dir: Path, overlay: Path | None) -> Catalog:
    """What the shared build speaks: the shipped catalog with the offices an import wrote
    into ``overlay`` (the sample's, the same for every hotline of the rig). Never a
    hotline's own edits (an announcement a test edited on the dashboard): built here, they
    would change a prompt under the other workers' calls."""
    if overlay is None or not (overlay / OFFICES).exists():
        return Catalog.load(prompts_dir)
    with tempfile.TemporaryDirectory() as offices_only:
        shutil.copy(overlay / OFFICES, offices_only)
        return Catalog.load(prompts_dir, Path(offices_only))


def own_sounds(
    settings: PromptSettings, target: Path, overlay: Path, prompts_dir: Path = ROOT / "prompts"
) -> Path | None:
    """A hotline's own edits (its catalog's prompts the shared build speaks otherwise, or
    lacks) built into ``target``, timed before the shared build; None when it has none."""
    mine = Catalog.load(prompts_dir, overlay)
    shared = _shared(prompts_dir, overlay)
    edited = {pid: p for pid, p in mine.items() if pid not in shared or shared[pid].text != p.text}
    if not edited:
        return None
    build.build(Catalog(edited), target, prompts_dir / "recorded", settings)
    return target
