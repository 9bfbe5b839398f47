"""What-if grids: one scenario's estimate over a range of one setting.

The report's sliders pick a row of these grids, so a reader can try another
number of consumers, micro-batch interval or cache TTL with no kernel. Each
row comes from the same models as ``estimate_scenario``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pandas as pd

from kit.estimate import (
    _calls_per_record,
    _effective_service,
    _hit_ratio,
    mean_arrival_rate,
    micro_batch_estimate,
)
from kit.estimate.load import api_calls_per_second
from kit.estimate.streaming import estimate_streaming
from kit.scenario import Scenario, with_overrides

CONSUMERS = range(1, 33)
INTERVALS_MIN = (0.5, 1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0)
TTLS_S = tuple(float(ttl) for ttl in range(60, 3601, 60))


def consumers_grid(
    scenarios: Iterable[Scenario], consumers: Sequence[int] = CONSUMERS
) -> pd.DataFrame:
    """Streaming utilisation and latency per job for each number of consumers.

    Forty records a second of 0.2 s each need more than eight consumers:

    >>> grid = consumers_grid([Scenario(name="orders")], [8, 10])
    >>> grid[["consumers", "stable"]].values.tolist()
    [[8, False], [10, True]]
    """
    rows = []
    for scenario in scenarios:
        rate = mean_arrival_rate(scenario)
        mean_s, cv2 = _effective_service(scenario, _hit_ratio(scenario, rate))
        for count in consumers:
            estimate = estimate_streaming(rate, mean_s, cv2, count, scenario.slo_s)
            rows.append(
                {
                    "job": scenario.name,
                    "consumers": count,
                    "utilisation": estimate.utilisation,
                    "stable": estimate.stable,
                    "latency_mean_s": estimate.latency_mean_s,
                    "latency_p95_s": estimate.latency_p95_s,
                }
            )
    return pd.DataFrame(rows)


def interval_grid(
    scenarios: Iterable[Scenario], intervals_min: Sequence[float] = INTERVALS_MIN
) -> pd.DataFrame:
    """Micro-batch stability and latency per job for each interval in minutes."""
    rows = []
    for scenario in scenarios:
        rate = mean_arrival_rate(scenario)
        mean_s, _ = _effective_service(scenario, _hit_ratio(scenario, rate))
        micro = scenario.micro_batch
        for minutes in intervals_min:
            estimate = micro_batch_estimate(micro, minutes * 60.0, rate, mean_s)
            rows.append(
                {
                    "job": scenario.name,
                    "interval_min": float(minutes),
                    "stable": estimate.stable,
                    "latency_mean_s": estimate.latency_mean_s,
                    "latency_p95_s": estimate.latency_p95_s,
                    "backlog_growth_per_h": estimate.backlog_growth_per_h,
                }
            )
    return pd.DataFrame(rows)


def cache_grid(
    scenarios: Iterable[Scenario], ttls_s: Sequence[float] = TTLS_S
) -> pd.DataFrame:
    """Cache hit ratio and API calls per second per job for each TTL.

    Jobs without lookups are left out; a job with no cache is treated as a
    fixed-TTL cache, the simplest one to add.
    """
    rows = []
    for scenario in scenarios:
        calls = _calls_per_record(scenario.enrichment)
        if calls == 0:
            continue
        rate = mean_arrival_rate(scenario)
        policy = scenario.enrichment.cache
        for ttl in ttls_s:
            trial = with_overrides(
                scenario,
                {
                    "enrichment.cache": "ttl" if policy in ("none", "lru") else policy,
                    "enrichment.cache_ttl_s": ttl,
                },
            )
            hits = _hit_ratio(trial, rate)
            rows.append(
                {
                    "job": scenario.name,
                    "ttl_s": ttl,
                    "hit_ratio": hits,
                    "api_calls_per_s": api_calls_per_second(rate, calls, hits),
                }
            )
    return pd.DataFrame(rows)
