"""Render the prompt catalog to audio Asterisk plays: 8 kHz mono, as a 16-bit WAV and as
raw A-law and mu-law beside it (``ivr.prompts.formats``: a G.711 call reads its own
codec's file, untranslated).

Engines: gTTS (Google's voice, what callers should hear in production) when the machine
can reach it, espeak-ng offline (voice ``prompts.espeak_voice``: ``id``, or MBROLA's
Indonesian voice ``mb-id1`` where Debian's mbrola and mbrola-id1 are installed; without
them espeak-ng's ``id`` speaks, with a message saying so); the choice is logged. A human
recording always wins: one an admin made by phone (state_dir/overrides/recorded/<id>.wav)
over one shipped in prompts/recorded/<id>.wav. Builds are incremental: a manifest
remembers what text, engine and settings made each file, and which voice (``voice_of``),
so unchanged prompts are not regenerated; a full build (``prune``) also removes the files
of prompts no longer in the catalog. Files are replaced atomically, so a changed prompt is
heard on its next play.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

from ivr import files
from ivr.config import PromptSettings
from ivr.errors import SetupError
from ivr.prompts import formats
from ivr.prompts.catalog import SOUND_DIR, Catalog, Prompt

log = logging.getLogger(__name__)

LANGUAGE = "id"
MANIFEST = "manifest.json"
GTTS_HOST = ("translate.google.com", 443)
FALLBACK_VOICE = "id"  # espeak-ng's own Indonesian voice, always there with espeak-ng
MBROLA_DIR = Path("/usr/share/mbrola")
RECORDED = "recorded"  # the voice of a prompt made from a human recording
MOH = "moh"  # under the sounds dir: music on hold in every codec


@dataclass(frozen=True)
class BuildReport:
    engine: str
    built: list[str]
    unchanged: list[str]
    recorded: list[str]
    voice: str = ""  # what spoke the prompts built now: "gtts", "espeak:id", ...
    note: str = ""  # why the configured voice did not speak (a fallback)
    voices: dict[str, str] = field(default_factory=dict)  # prompt id -> its voice
    removed: list[str] = field(default_factory=list)  # no longer in the catalog (prune)


def espeak_voice(settings: PromptSettings, mbrola_dir: Path = MBROLA_DIR) -> tuple[str, str]:
    """The espeak-ng voice that speaks, and a message when it is not the configured one:
    an MBROLA voice ("mb-id1") needs its database (Debian mbrola-id1, in contrib/non-free:
    /usr/share/mbrola/id1/id1) and the mbrola program; without them espeak-ng's ``id``."""
    voice = settings.espeak_voice
    if not voice.startswith("mb-"):
        return voice, ""
    name = voice[3:]
    database = mbrola_dir / name / name
    if shutil.which("mbrola") is not None and database.exists():
        return voice, ""
    return FALLBACK_VOICE, (
        f"prompts.espeak_voice = {voice!r}: MBROLA's voice is not installed here "
        f"({database} or the mbrola program missing: `apt-get install mbrola mbrola-{name}`, "
        f"Debian contrib/non-free); espeak-ng's {FALLBACK_VOICE!r} voice speaks instead"
    )


def voice_label(engine: str, settings: PromptSettings) -> str:
    return f"espeak:{settings.espeak_voice}" if engine == "espeak" else engine


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


def recording_of(prompt_id: str, recorded: Path | Sequence[Path]) -> Path | None:
    """The human recording that replaces a prompt, the first folder's first."""
    folders = [recorded] if isinstance(recorded, Path) else list(recorded)
    found = (folder / f"{prompt_id}.wav" for folder in folders)
    return next((path for path in found if path.exists()), None)


def build(
    catalog: Catalog,
    sounds_dir: Path,
    recorded: Path | Sequence[Path],
    settings: PromptSettings,
    *,
    prune: bool = False,
) -> BuildReport:
    """``recorded``: the folder(s) of human recordings, the one that wins first.
    ``prune``: ``catalog`` is the whole catalog; prompts built before and no longer in it
    lose their files (a part, as one prompt rebuilt, must not prune)."""
    engine = choose_engine(settings)
    _check_tools(engine)
    voice, note = espeak_voice(settings)  # also gTTS's fallback when it fails
    note = note if engine == "espeak" else ""
    if note:
        log.warning("%s", note)
    settings = replace(settings, espeak_voice=voice)
    log.info("prompt engine: %s", voice_label(engine, settings))
    out = _prepared(sounds_dir)
    manifest = _read_manifest(out)
    jobs: list[tuple[Prompt, str, Path | None]] = []
    report = BuildReport(engine, [], [], [], voice_label(engine, settings), note)
    for prompt in catalog.values():
        source = recording_of(prompt.id, recorded)
        key = _key(prompt, engine, settings, source)
        wav = out / f"{prompt.id}.wav"
        if manifest.get(prompt.id, Made("")).key == key and wav.exists():
            if not formats.complete(wav):  # built before the codec files: no new synthesis
                formats.write_codecs(wav, wav)
            report.unchanged.append(prompt.id)
            continue
        (report.recorded if source else report.built).append(prompt.id)
        jobs.append((prompt, key, source))
    if prune:
        _prune(out, manifest, catalog, report)
    with ThreadPoolExecutor(max_workers=4) as pool:
        for prompt, made in pool.map(lambda j: _render(j, out, engine, settings), jobs):
            manifest[prompt.id] = made
    _write_manifest(out, manifest)
    _tone(out.parent / "beep.wav")
    report.voices.update({pid: manifest[pid].voice for pid in catalog if pid in manifest})
    return report


def _prune(out: Path, manifest: dict[str, Made], catalog: Catalog, report: BuildReport) -> None:
    """Prompts in the manifest but not in the catalog (an office gone from kantor.csv, an
    announcement deleted): every format of their sound goes, and their manifest entry."""
    for pid in sorted(set(manifest) - set(catalog)):
        formats.remove(out / f"{pid}.wav")
        del manifest[pid]
        report.removed.append(pid)


def moh_dir(sounds_dir: Path) -> Path:
    """Where Asterisk's music on hold plays from (musiconhold.conf ``directory``)."""
    return sounds_dir / MOH


def music_on_hold(source: Path, sounds_dir: Path) -> Path:
    """The packaged music on hold (``source``: WAV files) where callers waiting in the
    queue hear it in their own codec: each WAV linked in, its .alaw/.ulaw made beside the
    link once (res_musiconhold lists a file once whatever its formats, and opens it as a
    prompt is opened: the cheapest format for the channel)."""
    target = moh_dir(sounds_dir)
    target.mkdir(parents=True, exist_ok=True)
    files.owned_like_folder(target)
    for wav in sorted(source.glob("*.wav")) if source.is_dir() else []:
        link = target / wav.name
        if not link.is_symlink() or link.resolve() != wav.resolve():
            link.unlink(missing_ok=True)
            link.symlink_to(wav)
        if not formats.complete(link):
            formats.write_codecs(wav, link)
    return target


def install_recording(prompt: Prompt, source: Path, sounds_dir: Path) -> None:
    """A human recording (``source``, kept where ``build`` finds it) becomes the prompt's
    sound now, atomically: heard on its next play, and the next build keeps it."""
    out = _prepared(sounds_dir)
    key = _key(prompt, "", PromptSettings(), source)
    _render((prompt, key, source), out, "", PromptSettings())
    manifest = _read_manifest(out)
    manifest[prompt.id] = Made(key, RECORDED)
    _write_manifest(out, manifest)


def voice_of(sounds_dir: Path) -> dict[str, str]:
    """Which voice made each built prompt ("gtts", "espeak:mb-id1", "recorded"; "" when
    an older build did not say)."""
    return {pid: made.voice for pid, made in _read_manifest(target_dir(sounds_dir)).items()}


def _prepared(sounds_dir: Path) -> Path:
    out = target_dir(sounds_dir)
    out.mkdir(parents=True, exist_ok=True)
    for folder in (out.parent, out):  # Asterisk's user owns the sounds (ivr/files.py)
        files.owned_like_folder(folder)
    return out


def _tone(target: Path) -> None:
    """Asterisk's "beep" (RECORD FILE's cue to speak) in our language: a 1 kHz tone."""
    if formats.complete(target):
        return
    argv = ["sox", "-n", "-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer"]
    with tempfile.TemporaryDirectory() as tmp:
        staged = Path(tmp) / "beep.wav"
        subprocess.run(
            [*argv, str(staged), "synth", "0.4", "sine", "1000", "vol", "0.5"],
            check=True,
            capture_output=True,
        )
        formats.place(staged, target)


def missing(catalog: Catalog, sounds_dir: Path) -> list[str]:
    out = target_dir(sounds_dir)
    return [pid for pid in catalog if not formats.complete(out / f"{pid}.wav")]


def _key(prompt: Prompt, engine: str, settings: PromptSettings, source: Path | None) -> str:
    if source is not None:
        stat = source.stat()
        basis = f"recorded:{stat.st_size}:{stat.st_mtime_ns}"
    else:
        basis = f"{engine}:{settings.espeak_voice}:{settings.espeak_speed}:{prompt.text}"
    return hashlib.sha256(basis.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Made:
    """What made a built prompt: the key of its inputs, and the voice."""

    key: str
    voice: str = ""


def _render(
    job: tuple[Prompt, str, Path | None], out: Path, engine: str, settings: PromptSettings
) -> tuple[Prompt, Made]:
    prompt, key, source = job
    voice = RECORDED if source else voice_label(engine, settings)
    with tempfile.TemporaryDirectory() as tmp:
        try:
            raw = source or _synthesise(prompt.text, Path(tmp), engine, settings)
        except Exception as e:  # gTTS: network, rate limit; a prompt must still exist
            if engine != "gtts":
                raise
            log.warning("gTTS failed for %s (%s); espeak-ng this time", prompt.id, e)
            raw = _synthesise(prompt.text, Path(tmp), "espeak", settings)
            key = _key(prompt, "espeak", settings, None)  # retried with gTTS next build
            voice = voice_label("espeak", settings)
        staged = Path(tmp) / "out.wav"
        telephone_wav(raw, staged)
        formats.place(staged, out / f"{prompt.id}.wav")
    return prompt, Made(key, voice)


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
    # 8 kHz mono 16-bit signed (slin): format_wav plays it as is to a Local channel; a
    # G.711 call is played the .alaw/.ulaw made from it (formats.place), not this.
    # A short tail of silence keeps fragments (digits, numbers) apart for elderly ears.
    argv = ["sox", str(source), "-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer"]
    subprocess.run([*argv, str(target), "pad", "0", "0.15"], check=True, capture_output=True)


def _check_tools(engine: str) -> None:
    needed = ["sox"] + (["espeak-ng"] if engine == "espeak" else [])
    absent = [tool for tool in needed if shutil.which(tool) is None]
    if absent:
        raise SetupError(f"{', '.join(absent)} missing: `apt-get install {' '.join(absent)}`")


def _read_manifest(out: Path) -> dict[str, Made]:
    """id -> Made; an older manifest's entries are the key alone (voice unknown)."""
    try:
        data = json.loads((out / MANIFEST).read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return {}
    return {
        str(k): Made(str(v["key"]), str(v.get("voice", "")))
        if isinstance(v, dict)
        else Made(str(v))
        for k, v in data.items()
    }


def _write_manifest(out: Path, manifest: dict[str, Made]) -> None:
    tmp = out / f".{MANIFEST}.tmp"
    data = {pid: {"key": m.key, "voice": m.voice} for pid, m in manifest.items()}
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True))
    files.owned_like_folder(tmp)
    tmp.replace(out / MANIFEST)
