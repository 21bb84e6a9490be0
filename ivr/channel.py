"""The channel seam: what a call needs from the line it runs on.

``ivr.agi.channel.AgiChannel`` is one (a FastAGI session with Asterisk);
``ivr.agi.scripted.ScriptedChannel`` is the test double that runs a scripted caller in
simulated time. Both conform structurally, so nothing here imports either: mypy checks
AgiChannel where the controller's handler is given to the FastAGI server.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol


class Channel(Protocol):
    """What a call needs from its channel."""

    @property
    def env(self) -> Mapping[str, str]:
        """The AGI environment: agi_uniqueid, agi_callerid, agi_network_script, ..."""
        ...

    @property
    def uniqueid(self) -> str: ...

    @property
    def hung_up(self) -> bool: ...

    async def stream_file(self, name: str, escape_digits: str = "") -> str:
        """Play a sound; the escape digit that cut it, or ""."""
        ...

    async def wait_for_digit(self, timeout_ms: int) -> str:
        """One key within ``timeout_ms`` (negative: until hang-up), or ""."""
        ...

    async def record_file(
        self, path: str, fmt: str, escape_digits: str, max_ms: int, silence_s: int
    ) -> str:
        """Record after a beep until an escape digit, silence or ``max_ms``; the digit."""
        ...

    async def set_variable(self, name: str, value: str) -> None: ...

    async def get_variables(self, names: Sequence[str]) -> dict[str, str]:
        """Several channel variables in one round trip; unset ones read as ""."""
        ...
