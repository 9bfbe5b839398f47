"""Load on the downstream API: average calls, the busiest minute, and the headroom
left under a rate limit, for each way of running the job.

Only cache misses reach the API: a record makes calls_per_record·(1 − H) calls
on average. The busiest minute is:

- streaming: the 99.9th percentile of the calls in a minute, capped by what the
  consumers can do (consumers/latency calls a second). Records arrive as a
  Poisson count, each making X ~ Binomial(calls, 1 − H) calls: with one call
  a record that is a Poisson count with mean λ·60·(1 − H); with several, the
  calls come in clusters, and the normal quantile of the compound count,
  mean λ·60·E[X] and variance λ·60·E[X²], is taken when it is higher;
- micro-batch: each tick's min(M, λT) records make their calls during the slice,
  which lasts at least as long as ``concurrency`` workers need to make them; the
  busiest 60 s window covers as much of the slices as their period allows;
- batch: a run's calls spread over its run duration, likewise at least as long
  as ``concurrency`` workers need; runs are taken to fire at least a minute
  apart.

Headroom is 1 − peak/(limit·60): negative means the limit is exceeded; None when
there is no limit.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

from kit.errors import InputError

# The share of minutes whose call count the peak is not exceeded in.
PEAK_PROBABILITY = 0.999

_PEAK_Z = NormalDist().inv_cdf(PEAK_PROBABILITY)

# Up to this mean the Poisson quantile is summed exactly; beyond it the
# Cornish–Fisher correction of the normal quantile is within one call.
LARGEST_EXACT_MEAN = 1e7


@dataclass(frozen=True)
class EnrichmentLoad:
    """API figures for one scenario; hit_ratio is None when there are no lookups."""

    hit_ratio: float | None
    api_calls_per_s: float
    peak_calls_per_min: Mapping[str, float]
    rate_limit_headroom: Mapping[str, float | None]
    rate_limit_per_s: float


def api_calls_per_second(
    arrival_rate: float, calls_per_record: float, hit_ratio: float | None
) -> float:
    """Return the average API calls a second: λ·calls·(1 − H).

    >>> round(api_calls_per_second(10.0, 1, 0.47458), 4)
    5.2542
    """
    return arrival_rate * calls_per_record * (1.0 - (hit_ratio or 0.0))


def streaming_peak_calls_per_minute(
    arrival_rate: float,
    calls_per_record: float,
    hit_ratio: float | None,
    consumers: int,
    call_latency_s: float,
) -> float:
    """Return the p99.9 of the calls in one minute under streaming.

    >>> streaming_peak_calls_per_minute(10.0, 1, 0.0, 10, 0.0)
    677.0
    >>> streaming_peak_calls_per_minute(10.0, 5, 0.0, 10, 0.0)  # 5 x Poisson(600)
    3379.0
    """
    mean = 60.0 * api_calls_per_second(arrival_rate, calls_per_record, hit_ratio)
    peak = float(poisson_quantile(mean, PEAK_PROBABILITY))
    miss = 1.0 - (hit_ratio or 0.0)
    per_record_square = (
        calls_per_record * miss * (1.0 - miss) + (calls_per_record * miss) ** 2
    )
    spread = math.sqrt(60.0 * arrival_rate * per_record_square)
    peak = max(peak, float(math.ceil(mean + _PEAK_Z * spread)))
    if call_latency_s > 0:
        peak = min(peak, 60.0 * consumers / call_latency_s)
    return peak


def micro_batch_peak_calls_per_minute(
    arrival_rate: float,
    interval_s: float,
    limit: int,
    calls_per_record: float,
    hit_ratio: float | None,
    slice_duration_s: float,
    concurrency: int,
    call_latency_s: float,
) -> float:
    """Return the calls in the busiest minute under micro-batch.

    Calls run at a steady rate during each slice of length d, one slice every T
    seconds; a 60 s window = n·T + w (0 <= w < T) covers at most n·d + min(d, w)
    seconds of slices.

    >>> micro_batch_peak_calls_per_minute(2.0, 300.0, 1000, 1, 0.0, 120.0, 4, 0.0)
    300.0
    """
    records = min(float(limit), arrival_rate * interval_s)
    calls = records * calls_per_record * (1.0 - (hit_ratio or 0.0))
    if calls == 0:
        return 0.0

    spread = max(slice_duration_s, calls * call_latency_s / concurrency)
    whole, rest = divmod(60.0, interval_s)
    if spread == 0:
        return calls * (whole + (1.0 if rest > 0 else 0.0))
    return calls / spread * (whole * spread + min(spread, rest))


def batch_peak_calls_per_minute(
    records_per_run: float,
    calls_per_record: float,
    hit_ratio: float | None,
    run_duration_s: float,
    concurrency: int,
    call_latency_s: float,
) -> float:
    """Return the calls in the busiest minute of a batch run.

    >>> batch_peak_calls_per_minute(36000, 2, 0.5, 3600.0, 4, 0.1)
    600.0
    """
    calls = records_per_run * calls_per_record * (1.0 - (hit_ratio or 0.0))
    if calls == 0:
        return 0.0

    spread = max(run_duration_s, calls * call_latency_s / concurrency)
    if spread == 0:
        return calls
    return calls / spread * min(60.0, spread)


def rate_limit_headroom(peak_per_min: float, rate_limit_per_s: float) -> float | None:
    """Return 1 − peak/(limit·60), or None when there is no limit (0).

    >>> round(rate_limit_headroom(540.0, 10.0), 12)
    0.1
    """
    if rate_limit_per_s == 0:
        return None
    return 1.0 - peak_per_min / (rate_limit_per_s * 60.0)


def poisson_quantile(mean: float, probability: float) -> int:
    """Return the smallest k with P(N <= k) >= probability for N ~ Poisson(mean).

    Up to a mean of 10⁷ the probabilities are summed exactly (from the log of
    each term, over the range where they are not negligible). Beyond it the
    Cornish–Fisher expansion mean + z·√mean + (z² − 1)/6 of the normal quantile
    z, with a continuity correction, is used.

    >>> poisson_quantile(600.0, 0.99), poisson_quantile(600.0, 0.999)
    (658, 677)
    """
    if not (math.isfinite(mean) and mean >= 0):
        raise InputError(f"Poisson mean {mean!r} is out of range; it must be >= 0.")
    if not 0 < probability < 1:
        raise InputError(
            f"probability {probability!r} is out of range; it must lie strictly "
            "between 0 and 1."
        )
    if mean == 0:
        return 0

    if mean > LARGEST_EXACT_MEAN:
        z = normal_quantile(probability)
        estimate = mean + z * math.sqrt(mean) + (z * z - 1.0) / 6.0
        return max(0, math.ceil(estimate - 0.5))

    spread = 40.0 * math.sqrt(mean) + 40.0
    first = max(0, math.floor(mean - spread))
    counts = np.arange(first, math.ceil(mean + spread) + 1, dtype=float)
    log_first = first * math.log(mean) - mean - math.lgamma(first + 1.0)
    steps = math.log(mean) - np.log(counts[1:])
    pmf = np.exp(log_first + np.concatenate(([0.0], np.cumsum(steps))))

    cumulative = np.cumsum(pmf)
    index = int(np.searchsorted(cumulative, probability * (1.0 - 1e-15)))
    return first + min(index, len(counts) - 1)


def normal_quantile(probability: float) -> float:
    """Return z with Φ(z) = probability, by bisection on the complementary error
    function.

    >>> round(normal_quantile(0.975), 6)
    1.959964
    """
    low, high = -40.0, 40.0
    for _ in range(200):
        middle = 0.5 * (low + high)
        if middle in (low, high):
            break
        if 0.5 * math.erfc(-middle / math.sqrt(2.0)) < probability:
            low = middle
        else:
            high = middle
    return 0.5 * (low + high)
