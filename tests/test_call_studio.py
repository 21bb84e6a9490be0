"""Recording a prompt by phone over a real call: an admin dials *79 from a staff phone's
context (a Local channel into hajj-agent-phone), signs in, records the prompt through
RECORD FILE and keeps it; the next call (no restart) plays the recording. Every other
branch (wrong PIN, locks, unknown prompt number, recording again, cancelling, the hotline
not reaching *79) runs in the fast tier: tests/test_flow_studio.py, the same checks
(tests/scenarios/studio.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ivr.testcall import CallResult
from tests.rig.hotline import Hotline
from tests.scenarios import studio as checks

pytestmark = pytest.mark.asterisk


@pytest.fixture(scope="module")
def kept(hotline: Hotline) -> Iterator[tuple[CallResult, CallResult]]:
    try:
        yield checks.record_and_keep(hotline)
    finally:
        checks.forget(hotline)  # the session's other tests hear the built prompt again


def test_studio_prompt_recorded_by_phone_and_kept(
    hotline: Hotline, kept: tuple[CallResult, CallResult]
) -> None:
    checks.check_kept_by_phone(hotline, kept[0])


def test_studio_next_call_hears_the_recording(
    hotline: Hotline, kept: tuple[CallResult, CallResult]
) -> None:
    checks.check_next_call_hears_the_recording(hotline, kept[1])
