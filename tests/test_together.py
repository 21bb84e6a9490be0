"""The fast tier's calls at the same moment (tests/rig/together.py): what each call does
between two commands happens in simulated-time order across calls, even when a call waits
on a worker thread meanwhile."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from tests.rig.together import Pace, together

Steps = list[tuple[float, str]]


def call(
    name: str, moments: list[float], done: Steps, slow_at: float = -1.0
) -> Callable[[Pace], Awaitable[str]]:
    """A call whose commands end at ``moments``; after each it notes (moment, name). At
    ``slow_at`` it first waits on a worker thread (as a store write does)."""

    async def run(pace: Pace) -> str:
        for moment in moments:
            await pace(moment)
            if moment == slow_at:
                await asyncio.to_thread(time.sleep, 0.05)
            done.append((moment, name))
        return name

    return run


def test_together_steps_of_calls_run_in_simulated_time_order() -> None:
    done: Steps = []
    calls = [call("a", [1.0, 4.0, 5.0], done), call("b", [2.0, 3.0, 6.0], done)]
    assert asyncio.run(together(calls)) == ["a", "b"]
    assert done == sorted(done) and len(done) == 6


def test_together_a_call_in_a_worker_thread_is_not_overtaken() -> None:
    done: Steps = []
    calls = [call("a", [1.0, 2.0], done, slow_at=1.0), call("b", [1.5], done)]
    asyncio.run(together(calls))
    assert done == [(1.0, "a"), (1.5, "b"), (2.0, "a")]


def test_together_equal_moments_go_in_the_order_the_calls_got_there() -> None:
    done: Steps = []
    asyncio.run(together([call("a", [1.0, 2.0], done), call("b", [1.0, 2.0], done)]))
    assert done == [(1.0, "a"), (1.0, "b"), (2.0, "a"), (2.0, "b")]
