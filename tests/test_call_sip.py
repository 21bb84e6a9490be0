"""A real SIP phone (SIPp) calls the hotline and keys digits over RFC 4733."""

from __future__ import annotations

import random
import time
from pathlib import Path

import pytest

from ivr.calllog import CallLogReader
from tests.rig import sipp
from tests.rig.hotline import Hotline

pytestmark = pytest.mark.asterisk


def test_sip_call_keys_digits_over_rfc4733_hears_them_read_back(
    hotline: Hotline, tmp_path: Path
) -> None:
    caller = f"08{random.randrange(10**9, 10**10)}"
    started = time.time()

    done = sipp.call(tmp_path, hotline.config.asterisk.sip_port, "*500", "2113", caller=caller)

    assert done.ok, done.output
    calls = [c for c in CallLogReader(hotline.config.calllog_path).recent(20) if c.caller == caller]
    assert len(calls) == 1 and calls[0].started_at >= started
    spoken = hotline.spoken(calls[0].id)
    assert "Nomor yang Anda tekan adalah dua satu satu tiga" in spoken
    assert calls[0].outcome == "served"
