"""The complaint desk as a call flow sees it: the tickets, where writes and recordings go."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ivr.complaints.tickets import Tickets
from ivr.complaints.writer import TicketWriter


@dataclass(frozen=True)
class ComplaintDesk:
    tickets: Tickets  # reads (and the dashboard's writes)
    writer: TicketWriter  # the phone's writes: off the event loop, spooled
    recordings: Path
    max_seconds: int
    silence_seconds: int
