"""API load: Poisson quantiles, busiest minutes per mode and rate-limit headroom."""

from __future__ import annotations

import math

import pytest

from kit.estimate import load
from kit.estimate.load import (
    api_calls_per_second,
    batch_peak_calls_per_minute,
    micro_batch_peak_calls_per_minute,
    normal_quantile,
    poisson_quantile,
    rate_limit_headroom,
    streaming_peak_calls_per_minute,
)


def quantile_by_factorials(mean: float, probability: float) -> int:
    """The Poisson quantile from the textbook sum of e^{−m}mᵏ/k!."""
    total = 0.0
    k = 0
    while True:
        total += math.exp(-mean) * mean**k / math.factorial(k)
        if total >= probability:
            return k
        k += 1


def test_facts_poisson_six_hundred() -> None:
    """Poisson(600): p99 is 658 and p99.9 is 677, as in the facts file."""
    assert poisson_quantile(600.0, 0.99) == 658
    assert poisson_quantile(600.0, 0.999) == 677


@pytest.mark.parametrize("mean", [0.01, 0.7, 3.0, 12.5, 60.0])
@pytest.mark.parametrize("probability", [0.5, 0.9, 0.99, 0.999])
def test_small_means_match_the_factorial_sum(mean: float, probability: float) -> None:
    """For small means the quantile equals a direct sum of the probabilities."""
    assert poisson_quantile(mean, probability) == quantile_by_factorials(
        mean, probability
    )


@pytest.mark.parametrize("mean", [2e5, 3e6])
def test_normal_expansion_agrees_with_the_exact_sum(
    mean: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Cornish–Fisher branch gives the exact quantile for large means."""
    exact = [poisson_quantile(mean, p) for p in (0.5, 0.99, 0.999)]
    monkeypatch.setattr(load, "LARGEST_EXACT_MEAN", 0.0)

    assert [poisson_quantile(mean, p) for p in (0.5, 0.99, 0.999)] == exact


def test_normal_quantile() -> None:
    """The standard normal's 97.5 % and 99.9 % points."""
    assert normal_quantile(0.975) == pytest.approx(1.959964, rel=1e-6)
    assert normal_quantile(0.999) == pytest.approx(3.090232, rel=1e-6)


def test_average_calls_count_only_misses() -> None:
    """API calls a second are λ·calls·(1 − H); no hit ratio means no cache."""
    assert api_calls_per_second(10.0, 2, 0.25) == pytest.approx(15.0)
    assert api_calls_per_second(10.0, 2, None) == pytest.approx(20.0)
    assert api_calls_per_second(10.0, 0, None) == 0.0


def test_streaming_peak_is_the_poisson_tail_capped_by_consumers() -> None:
    """Streaming's busiest minute is the p99.9 count, capped at consumers/latency."""
    assert streaming_peak_calls_per_minute(10.0, 1, 0.0, 10, 0.0) == 677.0
    assert streaming_peak_calls_per_minute(20.0, 1, 0.5, 10, 0.0) == 677.0
    assert streaming_peak_calls_per_minute(10.0, 1, 0.0, 2, 0.5) == 240.0
    assert streaming_peak_calls_per_minute(10.0, 0, None, 10, 0.5) == 0.0


def test_micro_batch_slice_shorter_than_a_minute_lands_in_one() -> None:
    """A 20 s slice of 600 calls every 5 minutes puts all 600 in one minute."""
    peak = micro_batch_peak_calls_per_minute(2.0, 300.0, 1000, 1, 0.0, 20.0, 4, 0.0)

    assert peak == pytest.approx(600.0)


def test_micro_batch_long_slice_spreads_its_calls() -> None:
    """A 240 s slice of 600 calls runs at 2.5 calls/s: 150 in the busiest minute."""
    peak = micro_batch_peak_calls_per_minute(2.0, 300.0, 1000, 1, 0.0, 240.0, 4, 0.0)

    assert peak == pytest.approx(150.0)


def test_micro_batch_short_interval_counts_every_tick_in_the_minute() -> None:
    """Ticks every 25 s with 5 s slices: a minute holds two slices and part of one."""
    peak = micro_batch_peak_calls_per_minute(4.0, 25.0, 1000, 1, 0.0, 5.0, 1, 0.0)

    # 100 calls per slice at 20 calls/s; 60 s = 2·25 s + 10 s covers 2·5 + 5 s.
    assert peak == pytest.approx(300.0)


def test_micro_batch_workers_bound_the_call_rate() -> None:
    """The slice cannot be shorter than the workers need for its calls."""
    peak = micro_batch_peak_calls_per_minute(2.0, 300.0, 1000, 1, 0.0, 1.0, 2, 0.5)

    # 600 calls at 2 workers / 0.5 s = 4 calls/s take 150 s: 240 in a minute.
    assert peak == pytest.approx(240.0)


def test_batch_peak_spreads_the_run_over_its_duration() -> None:
    """A run's calls spread over its duration, at most all of them in a minute."""
    assert batch_peak_calls_per_minute(36000, 2, 0.5, 3600.0, 4, 0.0) == pytest.approx(
        600.0
    )
    assert batch_peak_calls_per_minute(100, 1, 0.0, 30.0, 4, 0.0) == pytest.approx(
        100.0
    )
    assert batch_peak_calls_per_minute(36000, 1, 0.0, 60.0, 4, 0.1) == pytest.approx(
        2400.0
    )
    assert batch_peak_calls_per_minute(36000, 0, None, 60.0, 4, 0.1) == 0.0


def test_headroom_against_the_rate_limit() -> None:
    """Headroom is 1 − peak/(limit·60); None with no limit; negative when over."""
    assert rate_limit_headroom(300.0, 10.0) == pytest.approx(0.5)
    assert rate_limit_headroom(900.0, 10.0) == pytest.approx(-0.5)
    assert rate_limit_headroom(900.0, 0.0) is None
