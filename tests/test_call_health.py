"""/readyz on the rig's running web app: ready with Asterisk up, unready (AMI) while Asterisk
is stopped, ready again once it is back; /healthz answers throughout."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from tests.rig.hotline import Hotline

pytestmark = pytest.mark.asterisk


def readyz(hotline: Hotline) -> tuple[int, dict[str, Any]]:
    answer = httpx.get(f"{hotline.web_url}/readyz", timeout=5)
    return answer.status_code, answer.json()


def wait_for(hotline: Hotline, status: int, within: float) -> dict[str, Any]:
    deadline = time.monotonic() + within
    while True:
        code, body = readyz(hotline)
        if code == status or time.monotonic() > deadline:
            assert code == status, body
            return body
        time.sleep(0.5)


def test_readyz_unready_while_asterisk_is_stopped_and_ready_again_after_it_starts(
    hotline: Hotline,
) -> None:
    ready = wait_for(hotline, 200, 20)
    assert all(check["ok"] for check in ready["checks"].values())
    hotline.asterisk.stop()
    try:
        down = wait_for(hotline, 503, 15)
        assert down["checks"]["ami"]["ok"] is False
        assert down["checks"]["fastagi"]["ok"] is True  # the controller still listens
        assert httpx.get(f"{hotline.web_url}/healthz", timeout=5).text == "ok\n"
    finally:
        hotline.asterisk.start()
    back = wait_for(hotline, 200, 30)
    assert back["checks"]["ami"] == {"ok": True, "detail": "logged in"}
