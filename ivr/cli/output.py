"""What commands print: JSON, times in the hotline's zone; and running a coroutine."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Coroutine
from typing import Any, TypeVar

from ivr.config import Config
from ivr.localtime import Clock

T = TypeVar("T")


def print_json(value: object) -> None:
    print(json.dumps(value, indent=2, ensure_ascii=False))


def run_async(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def local_time(config: Config, ts: float) -> str:
    """A unix time as the staff read it: in [agents] timezone, labelled (WIB)."""
    return Clock.for_zone(config.agents.timezone).when(ts)
