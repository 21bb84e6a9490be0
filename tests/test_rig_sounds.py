"""The rig's shared prompt build (var/test-sounds) speaks in one voice only: every worker's
fast tier times its calls by those files, so a build at other settings must not happen
under them."""

from __future__ import annotations

import dataclasses
import json

import pytest

from ivr.config import PromptSettings
from tests.rig import sounds


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


def _greeting() -> tuple[str, int]:
    """The greeting's key in the shared build and its file's mtime: a build at other
    settings changes both (other workers' builds at the rig's voice change neither)."""
    hajj = sounds.SOUNDS / "id" / "hajj"
    key = json.loads((hajj / "manifest.json").read_text())["greeting"]["key"]
    return str(key), (hajj / "greeting.wav").stat().st_mtime_ns
