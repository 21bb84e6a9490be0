"""The prompt catalog (prompts/catalog.toml): id -> Indonesian text, English gloss."""

from __future__ import annotations

import hashlib
import re
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from ivr.errors import ConfigError

PROMPT_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# Where built prompts live under the sounds directory, and how Asterisk names them.
SOUND_DIR = "hajj"
# Prompt numbers (what an admin keys to record a prompt by phone): four digits.
NUMBER_FIRST, NUMBER_SLOTS = 1000, 9000


@dataclass(frozen=True)
class Prompt:
    id: str
    text: str  # Indonesian, exactly as spoken
    en: str = ""
    # A sound outside the catalog (a complaint's recorded reply): absolute, no extension.
    file: str = ""

    @property
    def sound(self) -> str:
        """The name Asterisk plays (relative to sounds/<language>/, no extension)."""
        return self.file or f"{SOUND_DIR}/{self.id}"


class Catalog(Mapping[str, Prompt]):
    def __init__(self, prompts: Mapping[str, Prompt]) -> None:
        self._prompts = dict(prompts)

    def __getitem__(self, key: str) -> Prompt:
        return self._prompts[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._prompts)

    def __len__(self) -> int:
        return len(self._prompts)

    @classmethod
    def load(cls, prompts_dir: Path, overlay: Path | None = None) -> Catalog:
        """Every prompts/*.toml file (catalog.toml, words.toml, ...); ids are unique.

        A file of the same name in ``overlay`` (the dashboard's edits, in the state
        directory) is read instead of the shipped one.
        """
        prompts: dict[str, Prompt] = {}
        for path in sorted(prompts_dir.glob("*.toml")):
            if overlay is not None and (overlay / path.name).exists():
                path = overlay / path.name
            for prompt in _read(path):
                if prompt.id in prompts:
                    raise ConfigError(f"prompt catalog {path}: {prompt.id!r} defined twice")
                prompts[prompt.id] = prompt
        if not prompts:
            raise ConfigError(f"no prompt catalog (*.toml) in {prompts_dir}")
        return cls(prompts)

    def numbers(self) -> dict[int, Prompt]:
        """Each prompt's number, stable across catalogs: a hash of its id picks one of
        the four-digit numbers; a collision takes the next free one, in id order (so a
        prompt keeps its number when others are added, unless it collided)."""
        taken: dict[int, Prompt] = {}
        for pid in sorted(self._prompts):
            number = _preferred_number(pid)
            while number in taken:
                number = NUMBER_FIRST + (number - NUMBER_FIRST + 1) % NUMBER_SLOTS
            taken[number] = self._prompts[pid]
        return dict(sorted(taken.items()))

    def number_of(self) -> dict[str, int]:
        """Prompt id -> its number (see ``numbers``)."""
        return {prompt.id: number for number, prompt in self.numbers().items()}

    def digit(self, key: str) -> Prompt:
        """The prompt that speaks one DTMF key (0-9, *, #)."""
        name = {"*": "star", "#": "hash"}.get(key, key)
        return self[f"digit-{name}"]


def _preferred_number(pid: str) -> int:
    digest = int.from_bytes(hashlib.sha256(pid.encode()).digest()[:8], "big")
    return NUMBER_FIRST + digest % NUMBER_SLOTS


def _read(path: Path) -> list[Prompt]:
    try:
        tree = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise ConfigError(f"prompt catalog {path}: {e}") from None
    prompts = []
    for pid, entry in tree.items():
        if not PROMPT_ID.match(pid) or not isinstance(entry, dict) or not entry.get("id"):
            raise ConfigError(f"prompt catalog {path}: entry {pid!r} needs an `id` text")
        prompts.append(Prompt(pid, str(entry["id"]).strip(), str(entry.get("en", ""))))
    return prompts


def sources(prompts_dir: Path, overlay: Path | None) -> list[Path]:
    """The files a catalog is read from (to notice edits): shipped and overlay."""
    found = sorted(prompts_dir.glob("*.toml"))
    if overlay is not None:
        found += sorted(overlay.glob("*.toml"))
    return found
