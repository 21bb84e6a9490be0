"""The rig's shared prompt build (var/test-sounds) speaks in one voice only and the shipped
texts only: every worker's fast tier times its calls by those files, so neither a build at
other settings nor one hotline's edited announcement may change them under the others."""

from __future__ import annotations

import dataclasses
import json
import wave
from pathlib import Path

import pytest

from ivr import config as config_mod
from ivr.admin import overrides
from ivr.agi.scripted import SoundLengths
from ivr.config import PromptSettings
from tests.rig import sounds
from tests.rig.fast import FastHotline

# Longer than the shipped first umrah announcement: its sound lasts longer.
EDITED = "Manasik umrah gratis setiap hari Sabtu pagi di aula kantor Kementerian Agama kabupaten."


def test_rig_sounds_shared_build_refuses_other_settings_and_leaves_the_files() -> None:
    sounds.shared_sounds(sounds.SETTINGS)
    before = _greeting()
    for other in (
        PromptSettings(),  # the product's defaults: engine auto, 135 wpm
        dataclasses.replace(sounds.SETTINGS, espeak_speed=160),
        dataclasses.replace(sounds.SETTINGS, espeak_voice="mb-id1"),
    ):
        with pytest.raises(ValueError, match="shared sounds speak as"):
            sounds.shared_sounds(other)
        with pytest.raises(ValueError, match="shared sounds speak as"):
            sounds.seed(other, sounds.SOUNDS.parent / "never", sounds.ROOT / "prompts")
    assert _greeting() == before
    assert not (sounds.SOUNDS.parent / "never").exists()


def test_rig_sounds_a_hotlines_edited_announcement_is_its_own_never_the_shared_builds(
    tmp_path: Path,
) -> None:
    sounds.shared_sounds(sounds.SETTINGS)
    before = _shared("umrah-announce-1")
    config = config_mod.load(file=None, env={}, overrides={"state_dir": tmp_path})
    overrides.save_announcements(config, [EDITED], overrides.UMRAH)
    running = FastHotline.start(tmp_path)
    try:
        assert _shared("umrah-announce-1") == before
        own = tmp_path / "edited-sounds" / "id" / "hajj" / "umrah-announce-1.wav"
        with wave.open(str(own)) as w:
            edited = w.getnframes() / w.getframerate()
        assert running.lengths("hajj/umrah-announce-1") == edited
        assert SoundLengths(sounds.SOUNDS)("hajj/umrah-announce-1") != edited
        assert running.lengths("hajj/greeting") == SoundLengths(sounds.SOUNDS)("hajj/greeting")
    finally:
        running.close()


def _greeting() -> tuple[str, int]:
    return _shared("greeting")


def _shared(prompt: str) -> tuple[str, int]:
    """A prompt's key in the shared build and its file's mtime: a build at other settings
    or of other text changes both (other workers' builds of the same change neither)."""
    hajj = sounds.SOUNDS / "id" / "hajj"
    key = json.loads((hajj / "manifest.json").read_text())[prompt]["key"]
    return str(key), (hajj / f"{prompt}.wav").stat().st_mtime_ns
