"""Render the prompt catalog to audio Asterisk plays: 8 kHz, mono, 16-bit WAV.

Engines: gTTS (Google's voice, what callers should hear in production) when the machine
can reach it, espeak-ng (voice ``id``) offline; the choice is logged. A human recording in
prompts/recorded/<id>.wav always wins. Builds are incremental: a manifest remembers what
text, engine and settings made each file, so unchanged prompts are not regenerated.
Files are replaced atomically, so a changed prompt is heard on its next play.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import socket
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from ivr import files
from ivr.config import PromptSettings
from ivr.errors import SetupError
from ivr.prompts.catalog import SOUND_DIR, Catalog, Prompt

log = logging.getLogger(__name__)

LANGUAGE = "id"
MANIFEST = "manifest.json"
GTTS_HOST = ("translate.google.com", 443)


@dataclass(frozen=True)
class BuildReport:
    engine: str
    built: list[str]
    unchanged: list[str]
    recorded: list[str]


def target_dir(sounds_dir: Path) -> Path:
    return sounds_dir / LANGUAGE / SOUND_DIR


def choose_engine(settings: PromptSettings) -> str:
    if settings.engine != "auto":
        return settings.engine
    return "gtts" if _gtts_reachable() else "espeak"


def _gtts_reachable() -> bool:
    try:
        import gtts  # noqa: F401
    except ImportError:
        return False
    try:
        socket.create_connection(GTTS_HOST, timeout=2).close()
    except OSError:
        return False
    return True


def build(
    catalog: Catalog, sounds_dir: Path, recorded_dir: Path, settings: PromptSettings
) -> BuildReport:
    engine = choose_engine(settings)
    _check_tools(engine)
    log.info("prompt engine: %s", engine)
    out = target_dir(sounds_dir)
    out.mkdir(parents=True, exist_ok=True)
    for folder in (out.parent, out):  # Asterisk's user owns the sounds (ivr/files.py)
        files.owned_like_folder(folder)
    manifest = _read_manifest(out)
    jobs: list[tuple[Prompt, str, Path | None]] = []
    report = BuildReport(engine, [], [], [])
    for prompt in catalog.values():
        recording = recorded_dir / f"{prompt.id}.wav"
        source = recording if recording.exists() else None
        key = _key(prompt, engine, settings, source)
        (report.recorded if source else report.built).append(prompt.id)
        if manifest.get(prompt.id) == key and (out / f"{prompt.id}.wav").exists():
            (report.recorded if source else report.built).remove(prompt.id)
            report.unchanged.append(prompt.id)
            continue
        jobs.append((prompt, key, source))
    with ThreadPoolExecutor(max_workers=4) as pool:
        for prompt, key in pool.map(lambda j: _render(j, out, engine, settings), jobs):
            manifest[prompt.id] = key
    _write_manifest(out, manifest)
    _tone(out.parent / "beep.wav")
    return report


def _tone(target: Path) -> None:
    """Asterisk's "beep" (RECORD FILE's cue to speak) in our language: a 1 kHz tone."""
    if target.exists():
        return
    argv = ["sox", "-n", "-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer"]
    tmp = target.with_name(".beep.tmp.wav")
    subprocess.run(
        [*argv, str(tmp), "synth", "0.4", "sine", "1000", "vol", "0.5"],
        check=True,
        capture_output=True,
    )
    files.owned_like_folder(tmp)
    tmp.replace(target)


def missing(catalog: Catalog, sounds_dir: Path) -> list[str]:
    out = target_dir(sounds_dir)
    return [pid for pid in catalog if not (out / f"{pid}.wav").exists()]


def _key(prompt: Prompt, engine: str, settings: PromptSettings, source: Path | None) -> str:
    if source is not None:
        stat = source.stat()
        basis = f"recorded:{stat.st_size}:{stat.st_mtime_ns}"
    else:
        basis = f"{engine}:{settings.espeak_voice}:{settings.espeak_speed}:{prompt.text}"
    return hashlib.sha256(basis.encode()).hexdigest()[:16]


def _render(
    job: tuple[Prompt, str, Path | None], out: Path, engine: str, settings: PromptSettings
) -> tuple[Prompt, str]:
    prompt, key, source = job
    with tempfile.TemporaryDirectory() as tmp:
        try:
            raw = source or _synthesise(prompt.text, Path(tmp), engine, settings)
        except Exception as e:  # gTTS: network, rate limit; a prompt must still exist
            if engine != "gtts":
                raise
            log.warning("gTTS failed for %s (%s); espeak-ng this time", prompt.id, e)
            raw = _synthesise(prompt.text, Path(tmp), "espeak", settings)
            key = _key(prompt, "espeak", settings, None)  # retried with gTTS next build
        staged = Path(tmp) / "out.wav"
        telephone_wav(raw, staged)
        shutil.move(staged, out / f".{prompt.id}.wav.tmp")
        files.owned_like_folder(out / f".{prompt.id}.wav.tmp")
        (out / f".{prompt.id}.wav.tmp").replace(out / f"{prompt.id}.wav")
    return prompt, key


def _synthesise(text: str, tmp: Path, engine: str, settings: PromptSettings) -> Path:
    if engine == "gtts":
        from gtts import gTTS

        mp3 = tmp / "raw.mp3"
        gTTS(text, lang=LANGUAGE, slow=False).save(str(mp3))
        return mp3
    wav = tmp / "raw.wav"
    argv = ["espeak-ng", "-v", settings.espeak_voice, "-s", str(settings.espeak_speed)]
    subprocess.run([*argv, "-w", str(wav), text], check=True, capture_output=True)
    return wav


def telephone_wav(source: Path, target: Path) -> None:
    """Any audio sox reads (WAV, MP3, OGG, FLAC, ...) as a prompt Asterisk plays."""
    # 8 kHz mono 16-bit signed: what format_wav plays without transcoding for G.711.
    # A short tail of silence keeps fragments (digits, numbers) apart for elderly ears.
    argv = ["sox", str(source), "-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer"]
    subprocess.run([*argv, str(target), "pad", "0", "0.15"], check=True, capture_output=True)


def _check_tools(engine: str) -> None:
    needed = ["sox"] + (["espeak-ng"] if engine == "espeak" else [])
    absent = [tool for tool in needed if shutil.which(tool) is None]
    if absent:
        raise SetupError(f"{', '.join(absent)} missing: `apt-get install {' '.join(absent)}`")


def _read_manifest(out: Path) -> dict[str, str]:
    try:
        data = json.loads((out / MANIFEST).read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return {}
    return {str(k): str(v) for k, v in data.items()}


def _write_manifest(out: Path, manifest: dict[str, str]) -> None:
    tmp = out / f".{MANIFEST}.tmp"
    tmp.write_text(json.dumps(manifest, indent=1, sort_keys=True))
    files.owned_like_folder(tmp)
    tmp.replace(out / MANIFEST)
