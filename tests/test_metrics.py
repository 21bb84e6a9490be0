"""The controller's metrics: what a STREAM FILE reply and a lookup add to /metrics, served
over real HTTP from the controller's own registry."""

from __future__ import annotations

import httpx
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from ivr.metrics import Metrics
from tests.rig.ports import free_port


def samples(text: str) -> dict[tuple[str, str], float]:
    """{(sample name, le or ""): value} of a /metrics page."""
    found = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            found[(s.name, s.labels.get("le", ""))] = s.value
    return found


def test_metrics_prompts_heard_out_give_stretch_short_ones_only_count() -> None:
    metrics = Metrics()
    metrics.played(2.04, 16_000)  # 2 s of audio in 2.04 s: stretch 1.02
    metrics.played(3.3, 24_000)  # 3 s in 3.3 s: 1.1
    metrics.played(0.2, 800)  # 0.1 s: mostly the round trip, not a stretch figure
    metrics.looked_up(40e-6)
    stop = metrics.serve("127.0.0.1", port := free_port())
    try:
        page = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    finally:
        stop()
    got = samples(page)
    assert got[("hajj_prompts_played_total", "")] == 3
    assert got[("hajj_prompt_stretch_ratio_count", "")] == 2
    assert got[("hajj_prompt_stretch_ratio_bucket", "1.02")] == 1
    assert got[("hajj_prompt_stretch_ratio_bucket", "1.075")] == 1
    assert got[("hajj_prompt_stretch_ratio_bucket", "1.1")] == 2
    assert got[("hajj_lookup_seconds_count", "")] == 1
    assert got[("hajj_lookup_seconds_bucket", "3e-05")] == 0
    assert got[("hajj_lookup_seconds_bucket", "5e-05")] == 1


def test_metrics_two_controllers_in_one_process_keep_their_own_counts() -> None:
    one, two = Metrics(), Metrics()
    one.looked_up(0.001)
    assert samples(_text(one))[("hajj_lookup_seconds_count", "")] == 1
    assert samples(_text(two))[("hajj_lookup_seconds_count", "")] == 0


def _text(metrics: Metrics) -> str:
    return generate_latest(metrics.registry).decode()
