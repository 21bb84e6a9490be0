"""What a check reads from either tier: the call log of the hotline the calls went to."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from ivr.calllog import CallRow, Line
from ivr.config import Config
from ivr.testcall import CallResult
from tests.rig.hotline import Scenario


class Tier(Protocol):
    """tests.rig.hotline.Hotline (real Asterisk) or tests.rig.fast.FastHotline."""

    @property
    def config(self) -> Config: ...

    def call(self, dtmf: str = "", number: str = "", **kwargs: Any) -> CallResult: ...

    def calls(self, scenarios: Mapping[str, Scenario]) -> dict[str, CallResult]: ...

    def spoken(self, call_id: str) -> list[str]: ...

    def notes(self, call_id: str) -> list[str]: ...

    def record(self, call_id: str) -> tuple[CallRow | None, list[Line]]: ...


def heard(tier: Tier, call_id: str) -> list[tuple[str, str, str, bool]]:
    """The transcript without its times: (kind, text, prompt ids, interrupted) per line."""
    return [(x.kind, x.text, x.prompts, x.interrupted) for x in tier.record(call_id)[1]]
