"""Every sound Asterisk plays exists as WAV and as raw A-law and mu-law beside it, so a
G.711 call reads its own codec's file: catalog builds (incremental, pruned), the beep,
prompts an admin records by phone, officers' uploaded replies."""

from __future__ import annotations

import array
import subprocess
import wave
from pathlib import Path

from ivr import config as config_mod
from ivr.admin.studio import Studio
from ivr.complaints import replies
from ivr.config import Config, PromptSettings
from ivr.prompts import build, formats
from ivr.prompts.catalog import Catalog, Prompt
from tests.rig import web

SETTINGS = PromptSettings(engine="espeak", espeak_speed=200)
FRAME = 160  # samples in one 20 ms G.711 frame at 8 kHz
CATALOG = Catalog({"halo": Prompt("halo", "Halo"), "dua": Prompt("dua", "dua puluh dua")})


def frames(wav: Path) -> int:
    with wave.open(str(wav)) as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (8000, 1, 2)
        return int(w.getnframes())


def decoded(raw: Path, tmp_path: Path) -> tuple[int, int]:
    """A raw G.711 file as sox decodes it: its samples, and its peak (16-bit)."""
    out = tmp_path / f"decoded-{raw.name}.wav"
    kind = formats.CODECS[raw.suffix[1:]]
    argv = ["sox", "-t", kind, "-r", "8000", "-c", "1", str(raw), "-b", "16", str(out)]
    subprocess.run(argv, check=True, capture_output=True)
    with wave.open(str(out)) as w:
        samples = array.array("h", w.readframes(w.getnframes()))
    return len(samples), max(abs(x) for x in samples)


def assert_plays_in_every_codec(wav: Path, tmp_path: Path) -> None:
    """The .alaw and .ulaw beside ``wav`` are its audio: as long within a frame, not silence."""
    assert formats.complete(wav), sorted(p.name for p in wav.parent.iterdir())
    for raw in formats.siblings(wav):
        samples, peak = decoded(raw, tmp_path)
        assert abs(samples - frames(wav)) <= FRAME, (raw.name, samples, frames(wav))
        assert peak > 1000, (raw.name, peak)  # a voice or a tone, not silence


def test_build_writes_each_prompt_and_the_beep_as_wav_alaw_and_ulaw(tmp_path: Path) -> None:
    sounds = tmp_path / "sounds"

    build.build(CATALOG, sounds, tmp_path / "rec", SETTINGS)

    out = build.target_dir(sounds)
    for pid in CATALOG:
        assert_plays_in_every_codec(out / f"{pid}.wav", tmp_path)
    assert_plays_in_every_codec(out.parent / "beep.wav", tmp_path)
    assert not list(out.glob(".*.tmp")) and not list(out.parent.glob(".*.tmp"))
    assert build.missing(CATALOG, sounds) == []


def test_build_changed_prompt_rebuilds_all_three_others_untouched(tmp_path: Path) -> None:
    sounds = tmp_path / "sounds"
    build.build(CATALOG, sounds, tmp_path / "rec", SETTINGS)
    out = build.target_dir(sounds)
    before = {p: p.read_bytes() for pid in CATALOG for p in formats.all_of(out / f"{pid}.wav")}
    stamps = {p: p.stat().st_mtime_ns for p in before}
    changed = Catalog({**CATALOG, "halo": Prompt("halo", "Halo, selamat datang di hotline")})

    report = build.build(changed, sounds, tmp_path / "rec", SETTINGS)

    assert (report.built, report.unchanged) == (["halo"], ["dua"])
    for path in formats.all_of(out / "halo.wav"):
        assert path.read_bytes() != before[path], path.name
    for path in formats.all_of(out / "dua.wav"):
        assert path.stat().st_mtime_ns == stamps[path], path.name
    assert_plays_in_every_codec(out / "halo.wav", tmp_path)


def test_build_prune_removes_all_three_of_a_prompt_gone_from_the_catalog(tmp_path: Path) -> None:
    sounds = tmp_path / "sounds"
    build.build(CATALOG, sounds, tmp_path / "rec", SETTINGS)
    out = build.target_dir(sounds)
    fewer = Catalog({"halo": CATALOG["halo"]})

    partial = build.build(fewer, sounds, tmp_path / "rec", SETTINGS)  # a part: prunes nothing
    assert partial.removed == [] and formats.complete(out / "dua.wav")
    report = build.build(fewer, sounds, tmp_path / "rec", SETTINGS, prune=True)

    assert report.removed == ["dua"] and report.unchanged == ["halo"]
    assert not any(p.exists() for p in formats.all_of(out / "dua.wav"))
    assert "dua" not in build.voice_of(sounds) and formats.complete(out / "halo.wav")
    again = build.build(CATALOG, sounds, tmp_path / "rec", SETTINGS)  # back: built again
    assert again.built == ["dua"] and formats.complete(out / "dua.wav")


def test_build_of_prompts_made_before_codec_files_adds_them_without_synthesis(
    tmp_path: Path,
) -> None:
    """A deployment upgraded from WAV-only prompts: the next build derives .alaw/.ulaw from
    each WAV (gTTS is not asked again) and the WAV is left as it was."""
    sounds = tmp_path / "sounds"
    build.build(CATALOG, sounds, tmp_path / "rec", SETTINGS)
    out = build.target_dir(sounds)
    for pid in CATALOG:
        for raw in formats.siblings(out / f"{pid}.wav"):
            raw.unlink()
    assert build.missing(CATALOG, sounds) == ["halo", "dua"]
    stamp = (out / "halo.wav").stat().st_mtime_ns

    report = build.build(CATALOG, sounds, tmp_path / "rec", SETTINGS)

    assert report.built == [] and sorted(report.unchanged) == ["dua", "halo"]
    assert (out / "halo.wav").stat().st_mtime_ns == stamp
    for pid in CATALOG:
        assert_plays_in_every_codec(out / f"{pid}.wav", tmp_path)


def _config(tmp_path: Path) -> Config:
    overrides = {"state_dir": tmp_path, "prompts.engine": "espeak", "prompts.espeak_speed": 200}
    return config_mod.load(file=None, env={}, overrides=overrides)


def test_prompt_recorded_by_phone_is_played_in_every_codec_and_forgetting_rebuilds_them(
    tmp_path: Path,
) -> None:
    config = _config(tmp_path)
    studio = Studio(config)
    prompt = Catalog.load(config.prompts_dir)["you-entered"]
    take = studio.take_path("call-1")
    take.parent.mkdir(parents=True)
    web.tone_wav(take.with_suffix(".wav"), 1.2)  # as RECORD FILE leaves it (any WAV)
    sound = build.target_dir(config.sounds_dir) / "you-entered.wav"

    studio.keep(prompt, 1234, take, "rahmat")

    assert build.voice_of(config.sounds_dir)["you-entered"] == build.RECORDED
    assert frames(sound) >= 1.2 * 8000
    assert_plays_in_every_codec(sound, tmp_path)
    recorded = {p: p.read_bytes() for p in formats.all_of(sound)}
    studio.forget(prompt, 1234, "rahmat")
    assert build.voice_of(config.sounds_dir)["you-entered"] == "espeak:id"
    assert all(p.read_bytes() != recorded[p] for p in formats.all_of(sound))
    assert_plays_in_every_codec(sound, tmp_path)


def test_reply_uploaded_is_stored_as_wav_alaw_and_ulaw(tmp_path: Path) -> None:
    upload = web.tone_wav(tmp_path / "balasan.wav", 1.5)
    recordings = tmp_path / "recordings"

    name = replies.store(recordings, "1234567890", upload, "balasan.wav", max_seconds=60)

    assert name == "1234567890-reply.wav"
    assert_plays_in_every_codec(recordings / name, tmp_path)
    assert sorted(p.name for p in recordings.iterdir()) == [
        "1234567890-reply.alaw",
        "1234567890-reply.ulaw",
        "1234567890-reply.wav",
    ]


def test_music_on_hold_is_linked_and_made_in_every_codec_once(tmp_path: Path) -> None:
    """Callers waiting in the queue hear the packaged music (WAV) in their own codec."""
    package = tmp_path / "package-moh"
    package.mkdir()
    tone = ["sox", "-n", "-r", "8000", "-c", "1", "-b", "16", str(package / "song.wav")]
    subprocess.run([*tone, "synth", "2", "sine", "440"], check=True)
    sounds = tmp_path / "sounds"

    folder = build.music_on_hold(package, sounds)

    assert folder == build.moh_dir(sounds)
    assert (folder / "song.wav").resolve() == (package / "song.wav").resolve()
    assert_plays_in_every_codec(folder / "song.wav", tmp_path)
    stamps = [p.stat().st_mtime_ns for p in formats.siblings(folder / "song.wav")]
    build.music_on_hold(package, sounds)  # every Asterisk start: nothing made again
    assert [p.stat().st_mtime_ns for p in formats.siblings(folder / "song.wav")] == stamps
