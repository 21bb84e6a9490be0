"""The complaint desk as a call flow sees it: the tickets and where recordings go."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ivr.complaints.tickets import Tickets


@dataclass(frozen=True)
class ComplaintDesk:
    tickets: Tickets
    recordings: Path
    max_seconds: int
    silence_seconds: int
