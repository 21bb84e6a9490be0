"""What a check reads from either tier: the call log of the hotline the calls went to."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Protocol

from ivr import storeplace
from ivr.calllog import CallRow, Line
from ivr.config import Config
from ivr.guard import SCHEMA, Guard, Limits
from ivr.testcall import CallResult, TestCall
from tests.rig.hotline import Scenario


class Tier(Protocol):
    """tests.rig.hotline.Hotline (real Asterisk) or tests.rig.fast.FastHotline."""

    @property
    def config(self) -> Config: ...

    def call(self, dtmf: str = "", number: str = "", **kwargs: Any) -> CallResult: ...

    def calls(self, scenarios: Mapping[str, Scenario]) -> dict[str, CallResult]: ...

    def place_all(self, specs: list[TestCall]) -> list[CallResult]: ...

    def spoken(self, call_id: str) -> list[str]: ...

    def notes(self, call_id: str) -> list[str]: ...

    def record(self, call_id: str) -> tuple[CallRow | None, list[Line]]: ...


def heard(tier: Tier, call_id: str) -> list[tuple[str, str, str, bool]]:
    """The transcript without its times: (kind, text, prompt ids, interrupted) per line."""
    return [(x.kind, x.text, x.prompts, x.interrupted) for x in tier.record(call_id)[1]]


@contextmanager
def guard_of(tier: Tier, limits: Limits | None = None) -> Iterator[Guard]:
    """The limits across calls where the hotline counts them (its call log, or with
    ``[database] url`` PostgreSQL), for the block: a test puts there the counts earlier
    calls would have left. ``limits``: the hotline's unless given."""
    config = tier.config
    with storeplace.opened(config.database, config.calllog_path, (SCHEMA,), wal=True) as sql:
        yield Guard(sql, limits or Limits.for_config(config))


def spoken(tier: Tier, calls: Mapping[str, CallResult], name: str) -> list[str]:
    """What the IVR said on the scenario ``name``'s call."""
    return tier.spoken(calls[name].call_id)


def said(text: str, times: int = 1) -> Callable[[list[str]], bool]:
    """A scenario's "until": ``text`` is in at least ``times`` of the spoken lines."""
    return lambda lines: sum(text in line for line in lines) >= times


def dob(p: object) -> str:
    """A sample pilgrim's date of birth as the caller keys it (DDMMYYYY)."""
    return p.tgl_lahir.strftime("%d%m%Y")  # type: ignore[attr-defined,no-any-return]
