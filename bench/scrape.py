"""Read a controller's /metrics: histogram quantiles (linear within a bucket, as
Prometheus's histogram_quantile does) and differences between two scrapes."""

from __future__ import annotations

import httpx
from prometheus_client.parser import text_string_to_metric_families

Buckets = dict[float, float]  # upper bound -> cumulative count


def histograms(url: str) -> dict[str, Buckets]:
    """{histogram name: its cumulative buckets} from a /metrics page."""
    found: dict[str, Buckets] = {}
    page = httpx.get(url, timeout=10).text
    for family in text_string_to_metric_families(page):
        for s in family.samples:
            if s.name.endswith("_bucket"):
                bound = float(s.labels["le"])
                found.setdefault(family.name, {})[bound] = s.value
    return found


def minus(after: Buckets, before: Buckets) -> Buckets:
    """What was observed between two scrapes."""
    return {le: count - before.get(le, 0.0) for le, count in after.items()}


def quantile(q: float, buckets: Buckets) -> float:
    """The q-quantile (0..1); +Inf when it falls in the open last bucket, NaN when empty."""
    bounds = sorted(buckets)
    total = buckets[bounds[-1]]
    if total <= 0:
        return float("nan")
    rank = q * total
    lower, below = 0.0, 0.0
    for le in bounds:
        count = buckets[le]
        if count >= rank:
            if le == float("inf"):
                return float("inf")
            inside = count - below
            return lower + (le - lower) * ((rank - below) / inside if inside else 1.0)
        lower, below = le, count
    return float("inf")


def count(buckets: Buckets) -> float:
    return buckets.get(float("inf"), 0.0)
