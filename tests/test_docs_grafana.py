"""docs/grafana-hajj-ivr.json, the sample dashboard, against what the hotline exports: every
metric a panel's query names exists (the controller's /metrics read from real stores, and
Asterisk's res_prometheus names a real scrape checks), and every metric has a panel."""

from __future__ import annotations

import json
import re
from pathlib import Path

from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from ivr import config as config_mod
from ivr.admin.audit import Audit
from ivr.agents.store import AgentStore
from ivr.calldb import CallDb
from ivr.livestate import LiveState
from ivr.metrics import Metrics
from tests.test_call_metrics import ASTERISK_METRICS

DASHBOARD = Path(__file__).parent.parent / "docs" / "grafana-hajj-ivr.json"
METRIC = re.compile(r"\b(?:hajj|asterisk)_[a-z0-9_]+\b")


def queries() -> list[str]:
    dashboard = json.loads(DASHBOARD.read_text())
    return [t["expr"] for panel in dashboard["panels"] for t in panel["targets"]]


def exported(state_dir: Path) -> tuple[set[str], set[str]]:
    """(every sample name, every family name) of a controller's page with each part in it."""
    config = config_mod.load(overrides={"state_dir": str(state_dir)})
    CallDb.open(config.calllog_path).close()
    AgentStore.for_config(config).add("alice", 1)
    metrics = Metrics()
    metrics.played(2.0, 16_000)
    metrics.looked_up(1e-4)
    metrics.commanded("ANSWER", 1e-3)
    metrics.ended("hotline", "served")
    metrics.failed("flow")
    members = {"PJSIP/agent-alice": {"Status": "1", "Paused": "0"}}
    audit = Audit.for_config(config)
    metrics.add(
        LiveState(
            config.calllog_path,
            config.mirror_path,
            AgentStore.for_config(config),
            audit,
            lambda: members,
        )
    )
    page = generate_latest(metrics.registry).decode()
    families = list(text_string_to_metric_families(page))
    return {s.name for f in families for s in f.samples}, {f.name for f in families}


def test_docs_grafana_every_query_names_a_metric_the_hotline_exports(live: Path) -> None:
    samples, _ = exported(live.parent)
    named = {name for expr in queries() for name in METRIC.findall(expr)}
    unknown = {n for n in named if n.startswith("hajj_") and n not in samples}
    unknown |= {n for n in named if n.startswith("asterisk_") and n not in ASTERISK_METRICS}
    assert not unknown, sorted(unknown)


def test_docs_grafana_every_metric_the_controller_exports_has_a_panel(live: Path) -> None:
    _, families = exported(live.parent)
    text = "\n".join(queries())
    # (prometheus_client's *_created series say when a counter began: nothing to graph)
    graphed = {f for f in families if not f.endswith("_created")}
    missing = {f for f in graphed if not re.search(rf"\b{f}(_total|_bucket|_count|_sum)?\b", text)}
    assert not missing, sorted(missing)


def test_docs_grafana_is_an_importable_dashboard() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    assert dashboard["uid"] and dashboard["title"] and dashboard["panels"]
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    for panel in dashboard["panels"]:
        assert panel["targets"], panel["title"]
        assert panel["datasource"]["uid"] == "${DS_PROMETHEUS}"
