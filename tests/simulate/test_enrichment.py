"""The cache policies and the rate limit, traced call by call and in steady state."""

from __future__ import annotations

import numpy as np
import pytest

from kit.estimate.cache import hit_ratio
from kit.scenario import Enrichment, scenario_from_dict
from kit.simulate import simulate_scenario
from kit.simulate.enrichment import (
    API_CALLS,
    HITS,
    THROTTLED,
    enrich,
    new_enricher,
)


def _lookups(enrichment: Enrichment, calls: list[tuple[float, int]]) -> list[bool]:
    """Make single lookups at (time, key) in order; return which were hits."""
    enricher = new_enricher(enrichment, minutes=10)
    hits = []
    for moment, key in calls:
        before = int(enricher.counts[HITS])
        enrich(*enricher, np.array([key], dtype=np.int64), moment)
        hits.append(int(enricher.counts[HITS]) > before)
    return hits


def test_fixed_ttl_expires_from_insert() -> None:
    """A ttl entry lives 10 s from its insert, however often it is hit."""
    enrichment = Enrichment(cache="ttl", cache_ttl_s=10.0, keys=3)
    calls = [(0.0, 1), (5.0, 1), (9.0, 1), (11.0, 1), (12.0, 1)]

    assert _lookups(enrichment, calls) == [False, True, True, False, True]


def test_ttl_reset_renews_on_every_hit() -> None:
    """A ttl-reset entry lives 10 s from its last hit."""
    enrichment = Enrichment(cache="ttl-reset", cache_ttl_s=10.0, keys=3)
    calls = [(0.0, 1), (5.0, 1), (14.0, 1), (23.0, 1), (34.0, 1)]

    assert _lookups(enrichment, calls) == [False, True, True, True, False]


def test_lru_evicts_the_least_recently_used() -> None:
    """With room for two, touching key 0 makes key 1 the one to go."""
    enrichment = Enrichment(cache="lru", cache_capacity=2, cache_ttl_s=0.0, keys=4)
    calls = [(0.0, 0), (1.0, 1), (2.0, 0), (3.0, 2), (4.0, 0), (5.0, 1)]

    assert _lookups(enrichment, calls) == [False, False, True, False, True, False]


def test_lookups_take_latency_only_on_misses() -> None:
    """Two lookups of one key: the miss costs the latency, the hit nothing."""
    enricher = new_enricher(
        Enrichment(cache="ttl", cache_ttl_s=60.0, latency_s=0.5, keys=2), minutes=1
    )
    done = enrich(*enricher, np.array([1, 1], dtype=np.int64), 3.0)

    assert done == 3.5
    assert int(enricher.counts[API_CALLS]) == 1


def test_rate_limit_spaces_calls() -> None:
    """Five calls at once under 2 calls/s and a burst of 2 go at 0, 0, 0.5, 1, 1.5."""
    enricher = new_enricher(Enrichment(rate_limit_per_s=2.0, keys=1), minutes=1)
    granted = [enrich(*enricher, np.array([0], dtype=np.int64), 0.0) for _ in range(5)]

    assert granted == [0.0, 0.0, 0.5, 1.0, 1.5]
    assert int(enricher.counts[THROTTLED]) == 3


def test_simulated_fixed_ttl_hit_ratio_matches_the_closed_form() -> None:
    """Poisson lookups of Zipf keys hit a fixed-TTL cache as λT/(1 + λT) says."""
    rate, keys, alpha, ttl = 20.0, 1000, 0.8, 10.0
    scenario = scenario_from_dict(
        {
            "arrivals": {"rate_per_s": rate, "count": 300_000},
            "service": {"mean_s": 0.001},
            "enrichment": {
                "calls_per_record": 1,
                "keys": keys,
                "zipf_alpha": alpha,
                "cache": "ttl",
                "cache_ttl_s": ttl,
            },
            "streaming": {"consumers": 20, "prefetch": 0},
        }
    )
    figures = simulate_scenario(scenario, ("streaming",)).to_json()["modes"]
    expected = hit_ratio("ttl", keys, alpha, rate, ttl)

    assert figures["streaming"]["cache_hit_ratio"] == pytest.approx(expected, abs=0.005)


def test_throttled_calls_never_exceed_the_rate_limit() -> None:
    """Calls asked at 20/s under a 5/s limit start at most 5 a second, plus a burst."""
    scenario = scenario_from_dict(
        {
            "arrivals": {"rate_per_s": 20.0, "count": 6000},
            "service": {"mean_s": 0.01},
            "enrichment": {"calls_per_record": 1, "rate_limit_per_s": 5.0},
            "streaming": {"consumers": 50},
        }
    )
    run = simulate_scenario(scenario, ("streaming",)).runs["streaming"]

    assert run.figures["throttled_calls"] > 0
    assert run.series["api_calls"].max() <= 5 * 60 + 5
