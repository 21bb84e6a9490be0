"""bench/scrape.py's quantiles from histogram buckets, against known data."""

from __future__ import annotations

import math

from bench.scrape import count, minus, quantile


def test_quantile_interpolates_inside_the_bucket_it_falls_in() -> None:
    # 100 observations: 50 in (0, 1], 40 in (1, 2], 10 in (2, 4]
    buckets = {1.0: 50.0, 2.0: 90.0, 4.0: 100.0, math.inf: 100.0}
    assert quantile(0.5, buckets) == 1.0
    assert quantile(0.7, buckets) == 1.5
    assert quantile(0.95, buckets) == 3.0
    assert count(buckets) == 100


def test_quantile_in_the_open_last_bucket_is_infinite_empty_is_nan() -> None:
    assert quantile(0.99, {1.0: 50.0, math.inf: 100.0}) == math.inf
    assert math.isnan(quantile(0.5, {1.0: 0.0, math.inf: 0.0}))


def test_minus_keeps_what_was_observed_between_two_scrapes() -> None:
    before = {1.0: 5.0, math.inf: 7.0}
    after = {1.0: 15.0, math.inf: 27.0}
    assert minus(after, before) == {1.0: 10.0, math.inf: 20.0}
