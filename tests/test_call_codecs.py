"""A G.711 caller hears the prompts untranslated: Asterisk reads the file in the call's
codec (hajj/<id>.alaw for an A-law phone) instead of translating the WAV frame by frame.

What Asterisk does is read from its CLI (`core show channel`) while the prompts play: the
channel's write format and whether a translator sits on its write path."""

from __future__ import annotations

import random
import threading
import time
from pathlib import Path

import pytest

from ivr.calllog import CallLogReader
from tests.rig import sipp
from tests.rig.hotline import Hotline

pytestmark = pytest.mark.asterisk


def test_sip_pcma_caller_hears_prompts_from_alaw_files_with_no_write_transcoding(
    hotline: Hotline, tmp_path: Path
) -> None:
    caller = f"08{random.randrange(10**9, 10**10)}"
    done: list[sipp.SippResult] = []
    ast = hotline.config.asterisk

    def phone() -> None:  # dials the hotline, keys nothing: the greeting and the menu play
        number = hotline.config.ivr.hotline
        done.append(sipp.call(tmp_path, ast.sip_port, number, "", caller, 60, 9000, "PCMA"))

    calling = threading.Thread(target=phone)
    calling.start()
    seen = while_prompts_play(hotline, caller, calling)
    calling.join(90)

    assert done and done[0].ok, done[0].output if done else "no result"
    assert seen, "no prompt was seen playing"
    assert {s["NativeFormats"] for s in seen} == {"(alaw)"}, seen[0]
    assert {(s["WriteFormat"], s["WriteTranscode"]) for s in seen} == {("alaw", "No")}, [
        (s["WriteFormat"], s["WriteTranscode"]) for s in seen
    ]


def while_prompts_play(
    hotline: Hotline, caller: str, calling: threading.Thread
) -> list[dict[str, str]]:
    """`core show channel` of the caller's channel, sampled while the IVR talks to it (once
    its transcript has a line said and the call is in the IVR)."""
    samples: list[dict[str, str]] = []
    deadline = time.monotonic() + 60
    while calling.is_alive() and time.monotonic() < deadline:
        name = _channel(hotline)
        if name and _saying(hotline, caller):
            fields = _fields(hotline.asterisk.cli(f"core show channel {name}"))
            if fields.get("Application") == "AGI":
                samples.append(fields)
        time.sleep(0.1)
    return samples


def _channel(hotline: Hotline) -> str:
    """The SIP caller's channel (the anonymous endpoint's), if one is up."""
    concise = hotline.asterisk.cli("core show channels concise")
    names = [line.split("!")[0] for line in concise.splitlines()]
    return next((n for n in names if n.startswith("PJSIP/anonymous-")), "")


def _saying(hotline: Hotline, caller: str) -> bool:
    calls = [c for c in CallLogReader(hotline.config.calllog_path).recent(10) if c.caller == caller]
    return bool(calls) and bool(hotline.spoken(calls[0].id))


def _fields(shown: str) -> dict[str, str]:
    """`core show channel`'s "Name: value" lines."""
    pairs = (line.split(":", 1) for line in shown.splitlines() if ":" in line)
    return {key.strip(): value.strip() for key, value in pairs}


def test_music_on_hold_lists_each_song_once_from_the_sounds_dir(hotline: Hotline) -> None:
    """The queue's music plays from sounds/moh, where each song is .wav, .alaw and .ulaw:
    Asterisk lists it once (and opens the caller's codec), not three times."""
    shown = hotline.asterisk.cli("moh show files")
    songs = [line.split()[-1] for line in shown.splitlines() if "File:" in line]
    folder = str(hotline.config.sounds_dir / "moh")
    assert songs and all(song.startswith(folder) for song in songs), shown
    assert len(songs) == len(set(songs)) == len(list(Path(folder).glob("*.wav")))
