"""Cache hit ratios against the facts file, hand sums and monotonicity."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kit.errors import InputError
from kit.estimate.cache import hit_ratio, lru_characteristic_time, zipf_popularity
from kit.estimate.load import api_calls_per_second
from tests.strategies import caches


def test_facts_fixed_ttl() -> None:
    """α=0.8, N=10⁴, Λ=10/s, T=300 s: fixed TTL hits 0.47458, leaving 5.25 calls/s."""
    ratio = hit_ratio("ttl", 10_000, 0.8, 10.0, 300.0)

    assert ratio == pytest.approx(0.47458, rel=1e-4)
    assert api_calls_per_second(10.0, 1, ratio) == pytest.approx(5.25, rel=1e-3)


def test_facts_reset_ttl() -> None:
    """The same traffic with a TTL renewed on hits: 0.54264, 4.57 calls/s."""
    ratio = hit_ratio("ttl-reset", 10_000, 0.8, 10.0, 300.0)

    assert ratio == pytest.approx(0.54264, rel=1e-4)
    assert api_calls_per_second(10.0, 1, ratio) == pytest.approx(4.57, rel=1e-3)


def test_facts_lru() -> None:
    """An LRU of 1000 entries: t_C = 147.2 s and hit ratio 0.43666."""
    rates = 10.0 * zipf_popularity(10_000, 0.8)

    assert lru_characteristic_time(rates, 1000) == pytest.approx(147.2, rel=1e-3)
    assert hit_ratio("lru", 10_000, 0.8, 10.0, 0.0, 1000) == pytest.approx(
        0.43666, rel=1e-4
    )


def test_three_keys_by_hand() -> None:
    """With N=3, α=1, Λ=11/6 per second the per-key rates are 1, 1/2, 1/3."""
    lookup_rate = 11 / 6
    ttl = 2.0
    rates = [1.0, 0.5, 1 / 3]
    shares = [6 / 11, 3 / 11, 2 / 11]

    fixed = sum(p * r * ttl / (1 + r * ttl) for p, r in zip(shares, rates, strict=True))
    reset = sum(
        p * (1 - math.exp(-r * ttl)) for p, r in zip(shares, rates, strict=True)
    )

    assert hit_ratio("ttl", 3, 1.0, lookup_rate, ttl) == pytest.approx(fixed, rel=1e-12)
    assert hit_ratio("ttl-reset", 3, 1.0, lookup_rate, ttl) == pytest.approx(
        reset, rel=1e-12
    )


def test_che_time_solves_its_equation() -> None:
    """The characteristic time fills exactly C entries in expectation."""
    rates = 3.0 * zipf_popularity(500, 1.1)
    horizon = lru_characteristic_time(rates, 120)

    assert float(np.sum(1 - np.exp(-rates * horizon))) == pytest.approx(120, rel=1e-10)


def test_lru_ttl_shorter_than_che_time_acts_like_ttl_from_insert() -> None:
    """With a TTL below t_C, LRU entries expire from insert, as in the simulator."""
    with_both = hit_ratio("lru", 10_000, 0.8, 10.0, 100.0, 1000)

    assert with_both == pytest.approx(hit_ratio("ttl", 10_000, 0.8, 10.0, 100.0))


def test_capacity_for_every_key_always_hits() -> None:
    """With room for every key and no expiry the steady-state hit ratio is 1."""
    assert hit_ratio("lru", 100, 0.8, 10.0, 0.0, 100) == 1.0
    assert hit_ratio("lru", 100, 0.8, 10.0, 0.0, 10**6) == 1.0
    assert hit_ratio("lru", 100, 0.8, 10.0, 30.0, 100) == pytest.approx(
        hit_ratio("ttl", 100, 0.8, 10.0, 30.0)
    )


def test_no_cache_and_no_lookups_never_hit() -> None:
    """No cache, or no lookups at all, gives a hit ratio of 0."""
    assert hit_ratio("none", 100, 0.8, 10.0, 300.0) == 0.0
    assert hit_ratio("ttl", 100, 0.8, 0.0, 300.0) == 0.0
    assert hit_ratio("lru", 100, 0.8, 10.0, 300.0, 0) == 0.0


@settings(max_examples=100, deadline=None)
@given(
    cache=caches(),
    policy=st.sampled_from(["ttl", "ttl-reset", "lru"]),
    ttl=st.floats(0.01, 1e4),
    factor=st.floats(1.0, 100.0),
)
def test_longer_ttl_never_lowers_the_hit_ratio(
    cache: tuple[int, float, float], policy: str, ttl: float, factor: float
) -> None:
    """Keeping entries longer never lowers the hit ratio."""
    keys, alpha, lookup_rate = cache
    capacity = max(1, keys // 3)

    shorter = hit_ratio(policy, keys, alpha, lookup_rate, ttl, capacity)
    longer = hit_ratio(policy, keys, alpha, lookup_rate, ttl * factor, capacity)

    assert longer >= shorter - 1e-12


@settings(max_examples=100, deadline=None)
@given(cache=caches(), small=st.integers(0, 3000), extra=st.integers(0, 3000))
def test_larger_lru_never_lowers_the_hit_ratio(
    cache: tuple[int, float, float], small: int, extra: int
) -> None:
    """A larger LRU capacity never lowers the hit ratio."""
    keys, alpha, lookup_rate = cache

    smaller = hit_ratio("lru", keys, alpha, lookup_rate, 0.0, small)
    larger = hit_ratio("lru", keys, alpha, lookup_rate, 0.0, small + extra)

    assert larger >= smaller - 1e-12


@pytest.mark.parametrize(
    ("policy", "ttl", "capacity"),
    [("lfu", 1.0, 0), ("ttl", 0.0, 0), ("ttl", -1.0, 0), ("lru", 1.0, -1)],
)
def test_bad_settings_are_input_errors(policy: str, ttl: float, capacity: int) -> None:
    """Unknown policies, TTLs out of range and negative capacities raise."""
    with pytest.raises(InputError):
        hit_ratio(policy, 100, 0.8, 1.0, ttl, capacity)
