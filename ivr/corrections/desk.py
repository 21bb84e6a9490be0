"""The correction desk as a call flow sees it: the cases and where messages are recorded."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ivr.corrections.cases import Cases


@dataclass(frozen=True)
class CorrectionDesk:
    cases: Cases
    recordings: Path  # config.recordings_dir: correction-NUMBER.wav, RECORD FILE writes it
    max_seconds: int  # complaints.correction_record_seconds
    silence_seconds: int
