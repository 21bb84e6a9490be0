"""What the controller counts as calls run through it (the fast tier: the real controller
and stores, a scripted channel): each route's ending as the call log records it, and a
flow that fails with an error."""

from __future__ import annotations

import pytest
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from ivr.data.mirror import Jemaah
from ivr.metrics import Metrics
from tests.rig.fast import FastHotline
from tests.rig.hotline import Scenario
from tests.scenarios.pilgrim import SOC, found

Page = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def page(metrics: Metrics) -> Page:
    text = generate_latest(metrics.registry).decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def delta(before: Page, after: Page, name: str, **labels: str) -> float:
    key = (name, tuple(sorted(labels.items())))
    return after.get(key, 0.0) - before.get(key, 0.0)


def said(text: str) -> Scenario:
    return Scenario(found(SOC.nomor_porsi), lambda lines: any(x.startswith(text) for x in lines))


def test_controller_counts_each_ending_by_route_and_outcome_and_times_each_command(
    fast: FastHotline,
) -> None:
    metrics = fast.controller.services.metrics
    assert metrics is not None  # agi.metrics_port is set by default
    before = page(metrics)
    calls = fast.calls({"agent": Scenario("0"), "lookup": said("Data per")})
    after = page(metrics)
    for result in calls.values():
        row, _ = fast.record(result.call_id)
        assert row is not None
        assert delta(before, after, "hajj_calls_total", route=row.route, outcome=row.outcome) >= 1
    endings = sum(v - before.get(k, 0.0) for k, v in after.items() if k[0] == "hajj_calls_total")
    assert endings == len(calls)
    assert delta(before, after, "hajj_lookup_seconds_count") == 1
    assert delta(before, after, "hajj_controller_errors_total", where="flow") == 0


def test_controller_a_flow_failing_counts_an_error_and_the_caller_goes_to_a_person(
    fast: FastHotline, monkeypatch: pytest.MonkeyPatch
) -> None:
    metrics = fast.controller.services.metrics
    assert metrics is not None

    def broken(porsi: str) -> Jemaah | None:
        raise RuntimeError("the mirror's disk went away")

    monkeypatch.setattr(fast.controller.services.mirror, "lookup", broken)
    before = page(metrics)
    result = fast.calls({"x": Scenario(found(SOC.nomor_porsi))})["x"]
    after = page(metrics)
    row, _ = fast.record(result.call_id)
    assert row is not None and (row.outcome, row.reason) == ("failed", "controller_error")
    assert delta(before, after, "hajj_controller_errors_total", where="flow") == 1
    assert delta(before, after, "hajj_calls_total", route="hotline", outcome="failed") == 1
