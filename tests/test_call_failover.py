"""The dialplan owns failure: with the controller down, callers still reach a person."""

from __future__ import annotations

import pytest

from tests.rig.hotline import Hotline

pytestmark = pytest.mark.asterisk


def test_hotline_controller_stopped_caller_reaches_agent_queue(hotline: Hotline) -> None:
    hotline.stop_controller()
    try:
        result = hotline.call("", end_on="QueueCallerJoin", timeout=30)
    finally:
        hotline.start_controller()

    joined = [e for e in result.events if e.get("Event") == "QueueCallerJoin"]
    assert joined and joined[0]["Queue"] == "hajj-tier1"
    reasons = [e.get("Reason") for e in result.events if e.get("UserEvent") == "HajjToAgent"]
    assert reasons == ["controller_unreachable"]
