"""Freshness of micro-batch: a scheduler that takes up to M records every T seconds.

The backlog left after each tick follows the Lindley recursion
Q' = max(Q + A − M, 0) with A ~ Poisson(λT) arrivals per tick (a discrete bulk
service queue; Bailey 1954). It is stable iff λT < M. Its stationary
distribution is computed exactly, to rounding, from the Wiener–Hopf
factorisation of z^M − e^{λT(z−1)} by fast Fourier transforms (see
``backlog_distribution``), rather than by iterating the recursion, which needs
tens of thousands of steps near saturation.

A record's latency is the time to the next tick, plus one interval for every
tick it waits behind older records, plus the slice's processing time:
L = T·(V + J) + D with V ~ Unif(0, 1) and J = ⌊(Q + K)/M⌋, where K, the
records that arrived earlier in the same interval, is Poisson(λT(1 − V)) given
V. Records are taken oldest first and ticks do not overlap.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np

from kit.errors import InputError

logger = logging.getLogger(__name__)

# Largest Fourier grid for the backlog distribution (about 100 MB of work
# arrays). Past it, within about 0.002 % of saturation for M = 1000, the
# backlog is taken as geometric with the Kingman mean λT/(2(M − λT)), an upper
# bound that is then within a few per cent of the exact mean.
LARGEST_GRID = 2**21

# Below this many arrivals per tick a record is taken to find nobody ahead of it
# in its interval; the chance it does is under λT/2, less than 5e-13.
FEWEST_ARRIVALS = 1e-12


@dataclass(frozen=True)
class MicroBatchEstimate:
    """Micro-batch figures; latencies are None when the backlog grows."""

    stable: bool
    latency_mean_s: float | None
    latency_p95_s: float | None
    backlog_growth_per_h: float
    backlog_mean: float | None
    arrivals_per_tick: float
    limit: int
    interval_s: float = 0.0
    cause: str = ""  # what makes it unstable when nothing in the model does


def estimate_micro_batch(
    arrival_rate: float,
    interval_s: float,
    limit: int,
    slice_duration_s: float,
    full_slice_s: float = 0.0,
) -> MicroBatchEstimate:
    """Estimate latency for a tick every ``interval_s`` taking up to ``limit``
    records, which become visible ``slice_duration_s`` after the tick.

    Stable iff λT < M and the slice ends before the next tick (a slice as long
    as the interval cannot keep up). Unstable: latencies None and the backlog
    grows by (λT − M)·3600/T records an hour, or, when the slice is the
    bottleneck, by λ·3600·(1 − T/D). ``backlog_mean`` is E[Q], the records
    left behind by a tick.

    ``full_slice_s`` is how long a slice of ``limit`` records takes. Once a
    backlog builds, a slice that long skips the ticks it overlaps, so the job
    takes at most M records per T·⌈D_full/T⌉; it is unstable when λ reaches
    that, even if an average slice fits in one interval.

    >>> estimate = estimate_micro_batch(3.0, 300.0, 1000, 0.0)  # λT = 900
    >>> round(estimate.latency_mean_s, 1), round(estimate.latency_p95_s, 1)
    (150.0, 285.0)
    >>> estimate_micro_batch(4.0, 300.0, 1000, 0.0).backlog_growth_per_h
    2400.0
    """
    _check_inputs(arrival_rate, interval_s, limit, slice_duration_s)
    per_tick = arrival_rate * interval_s

    growth = _backlog_growth_per_h(
        arrival_rate, interval_s, limit, slice_duration_s, full_slice_s
    )
    if growth is not None:
        return MicroBatchEstimate(
            stable=False,
            latency_mean_s=None,
            latency_p95_s=None,
            backlog_growth_per_h=growth,
            backlog_mean=None,
            arrivals_per_tick=per_tick,
            limit=limit,
            interval_s=interval_s,
        )

    backlog = backlog_distribution(per_tick, limit)
    ticks_behind = _ticks_behind_survival(backlog, per_tick, limit)
    mean_ticks = 0.5 + float(ticks_behind[1:].sum())
    p95_ticks = _latency_ticks_quantile(backlog, ticks_behind, per_tick, limit, 0.95)

    return MicroBatchEstimate(
        stable=True,
        latency_mean_s=interval_s * mean_ticks + slice_duration_s,
        latency_p95_s=interval_s * p95_ticks + slice_duration_s,
        backlog_growth_per_h=0.0,
        backlog_mean=float(np.arange(len(backlog)) @ backlog),
        arrivals_per_tick=per_tick,
        limit=limit,
        interval_s=interval_s,
    )


def latency_quantile(
    arrival_rate: float,
    interval_s: float,
    limit: int,
    slice_duration_s: float,
    probability: float,
) -> float | None:
    """Return a quantile of latency, e.g. 0.99 for the 99th percentile, or None
    when unstable.

    >>> round(latency_quantile(2.0, 300.0, 1000, 0.0, 0.99), 6)  # λT = 600
    297.0
    """
    _check_inputs(arrival_rate, interval_s, limit, slice_duration_s)
    if not 0 < probability < 1:
        raise InputError(
            f"probability {probability!r} is out of range; it must lie strictly "
            "between 0 and 1."
        )
    growth = _backlog_growth_per_h(arrival_rate, interval_s, limit, slice_duration_s)
    if growth is not None:
        return None

    per_tick = arrival_rate * interval_s
    backlog = backlog_distribution(per_tick, limit)
    ticks_behind = _ticks_behind_survival(backlog, per_tick, limit)
    ticks = _latency_ticks_quantile(backlog, ticks_behind, per_tick, limit, probability)
    return interval_s * ticks + slice_duration_s


def backlog_distribution(arrivals_per_tick: float, limit: int) -> np.ndarray:
    """Return P(Q = n), n = 0, 1, …, for the stationary backlog left by a tick.

    With f(z) = z^M − A(z), A(z) = e^{λT(z−1)}, the backlog's generating function
    is E[z^Q] = H(1)/H(z), where f = P·H splits f into the polynomial P whose
    roots are f's M roots in the unit disc and a factor H without roots inside
    |z| < z*, z* > 1 being f's real root beyond 1. On the circle |z| = √z* the
    positive-power Laurent coefficients ℓ_n of log(1 − A(z)·z^{−M}) are those of
    log H, so E[z^Q] = exp(Σ ℓ_n(1 − zⁿ)); one FFT gives ℓ_n, a second the
    generating function on the unit circle, a third the probabilities.

    >>> pmf = backlog_distribution(0.5, 1)  # M/D/1-like: E[Q] = ρ²/(2(1 − ρ))
    >>> round(float(np.arange(len(pmf)) @ pmf), 12)
    0.25
    """
    if not 0 <= arrivals_per_tick < limit:
        raise InputError(
            f"arrivals per tick {arrivals_per_tick!r} must lie in [0, limit = "
            f"{limit}) for a stationary backlog."
        )
    if _overflow_is_negligible(arrivals_per_tick, limit):
        return np.ones(1)

    root = _root_beyond_one(arrivals_per_tick, limit)
    log_root = math.log(root)
    size = 256
    while size < 4.0 * (40.0 + math.log(limit)) / log_root:
        size *= 2
    if size > LARGEST_GRID:
        logger.warning(
            "micro-batch backlog within %.2g%% of saturation: using the Kingman "
            "mean with a geometric shape",
            100 * (1 - arrivals_per_tick / limit),
        )
        return _geometric_backlog(arrivals_per_tick, limit)

    radius = math.sqrt(root)
    angles = 2.0 * math.pi * np.arange(size) / size
    log_z = math.log(radius) + 1j * angles
    ratio = np.exp(arrivals_per_tick * (np.exp(log_z) - 1.0) - limit * log_z)
    coefficients = np.fft.fft(np.log1p(-ratio)) / size

    powers = np.arange(1, size // 2 + 1)
    ell = np.zeros(size, dtype=complex)
    ell[powers] = coefficients[powers] * np.exp(-math.log(radius) * powers)

    log_generating = ell.sum() - np.fft.ifft(ell) * size
    pmf = np.fft.fft(np.exp(log_generating)).real / size
    pmf = np.clip(pmf, 0.0, None)

    tail = np.flatnonzero(pmf > 1e-18)
    pmf = pmf[: tail[-1] + 1] if tail.size else np.ones(1)
    return pmf / pmf.sum()


def _overflow_is_negligible(per_tick: float, limit: int) -> bool:
    """Tell whether a tick's arrivals exceed the limit with chance below 1e-20,
    so that the backlog is empty to within rounding."""
    if per_tick == 0:
        return True

    log_first = (limit + 1) * math.log(per_tick) - per_tick - math.lgamma(limit + 2.0)
    log_bound = log_first - math.log1p(-per_tick / (limit + 2.0))
    return log_bound < math.log(1e-20)


def _backlog_growth_per_h(
    arrival_rate: float,
    interval_s: float,
    limit: int,
    slice_duration_s: float,
    full_slice_s: float = 0.0,
) -> float | None:
    """Return the hourly backlog growth when unstable, None when stable."""
    per_tick = arrival_rate * interval_s
    if per_tick >= limit:
        return (per_tick - limit) * 3600.0 / interval_s
    if arrival_rate > 0 and slice_duration_s >= interval_s:
        return arrival_rate * 3600.0 * (1.0 - interval_s / slice_duration_s)
    ticks_per_full_slice = max(1, math.ceil(full_slice_s / interval_s))
    capacity = limit / (interval_s * ticks_per_full_slice)
    if ticks_per_full_slice > 1 and arrival_rate >= capacity:
        return (arrival_rate - capacity) * 3600.0
    return None


def _ticks_behind_survival(
    backlog: np.ndarray, per_tick: float, limit: int
) -> np.ndarray:
    """Return P(J >= m), m = 0, 1, …, for the ticks a record waits behind others.

    J = ⌊(Q + K)/M⌋, where over a uniform position in the interval K has the
    mixed Poisson probabilities P(K = k) = P(A > k)/λT.
    """
    if per_tick < FEWEST_ARRIVALS:
        return np.ones(1)

    earlier = _poisson_tail(per_tick) / per_tick
    ahead = _convolve(backlog, earlier)
    at_least = np.cumsum(ahead[::-1])[::-1]

    multiples = np.arange(0, len(at_least), limit)
    survival = np.minimum(at_least[multiples], 1.0)
    survival[0] = 1.0
    return survival


def _latency_ticks_quantile(
    backlog: np.ndarray,
    ticks_behind: np.ndarray,
    per_tick: float,
    limit: int,
    probability: float,
) -> float:
    """Return the quantile of V + J in intervals.

    For x = m + f, P(V + J > x) = P(J >= m + 1) + P(J = m, V > f), and
    P(K = k, V > f) = P(Poisson(λT(1 − f)) > k)/λT; the whole ticks m come from
    ``ticks_behind`` and f by bisection.
    """
    target = 1.0 - probability
    whole = int(np.flatnonzero(ticks_behind > target)[-1])
    beyond = float(ticks_behind[whole + 1]) if whole + 1 < len(ticks_behind) else 0.0
    if per_tick < FEWEST_ARRIVALS:
        return whole + probability

    window_low, window_high = whole * limit, (whole + 1) * limit
    counts = np.arange(min(len(backlog), window_high))
    weights = backlog[: len(counts)]

    def exceeds(fraction: float) -> float:
        mean = per_tick * (1.0 - fraction)
        upper = _expected_minimum(mean, window_high - counts)
        lower = _expected_minimum(mean, window_low - counts)
        return beyond + float(weights @ (upper - lower)) / per_tick

    low, high = 0.0, 1.0
    for _ in range(60):
        middle = 0.5 * (low + high)
        if exceeds(middle) > target:
            low = middle
        else:
            high = middle
    return whole + 0.5 * (low + high)


def _poisson_tail(mean: float) -> np.ndarray:
    """Return P(N > k), k = 0, 1, …, for N ~ Poisson(mean), until it is negligible."""
    first, pmf = _poisson_window(mean)
    return np.concatenate((np.ones(first), _strict_tail(pmf)))


def _expected_minimum(mean: float, caps: np.ndarray) -> np.ndarray:
    """Return E[min(N, j)] = Σ_{k<j} P(N > k) for N ~ Poisson(mean), each j in caps."""
    caps = np.maximum(caps, 0)
    if mean == 0:
        return np.zeros(len(caps))

    first, pmf = _poisson_window(mean)
    tail = _strict_tail(pmf)
    partial = np.concatenate(([0.0], np.cumsum(tail)))
    inside = np.clip(caps - first, 0, len(tail))
    return np.minimum(caps, first) + partial[inside]


def _strict_tail(pmf: np.ndarray) -> np.ndarray:
    """Return Σ_{j>k} pmf_j for each k, summed from the far end so that tiny tails
    keep their precision."""
    from_the_end = np.cumsum(pmf[::-1])[::-1]
    return np.concatenate((from_the_end[1:], [0.0]))


def _poisson_window(mean: float) -> tuple[int, np.ndarray]:
    """Return (k₀, P(N = k₀ + i)) over the range of k outside which the Poisson
    probabilities are negligible (below about 1e-300)."""
    spread = 40.0 * math.sqrt(mean) + 40.0
    first = max(0, math.floor(mean - spread))
    last = math.ceil(mean + spread)

    steps = math.log(mean) - np.log(np.arange(first + 1, last + 1, dtype=float))
    log_first = first * math.log(mean) - mean - math.lgamma(first + 1.0)
    log_pmf = log_first + np.concatenate(([0.0], np.cumsum(steps)))
    return first, np.exp(log_pmf)


def _convolve(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Convolve two probability vectors, by FFT when they are long."""
    if min(len(first), len(second)) < 64:
        return np.convolve(first, second)

    size = len(first) + len(second) - 1
    padded = 1 << (size - 1).bit_length()
    product = np.fft.rfft(first, padded) * np.fft.rfft(second, padded)
    return np.clip(np.fft.irfft(product, padded)[:size], 0.0, None)


def _root_beyond_one(per_tick: float, limit: int) -> float:
    """Return z* > 1 with z*^M = e^{λT(z*−1)}, by bisection on M·ln z − λT(z − 1)."""

    def gap(z: float) -> float:
        return limit * math.log(z) - per_tick * (z - 1.0)

    low = 1.0 + (limit - per_tick) / limit  # gap > 0 here, the function is concave
    while gap(low) <= 0:
        low = 1.0 + (low - 1.0) / 2.0
    high = max(2.0 * low, 2.0)
    while gap(high) > 0:
        low, high = high, high * 2.0

    for _ in range(200):
        middle = 0.5 * (low + high)
        if middle in (low, high):
            break
        if gap(middle) > 0:
            low = middle
        else:
            high = middle
    return 0.5 * (low + high)


def _geometric_backlog(per_tick: float, limit: int) -> np.ndarray:
    """Return a geometric backlog distribution with the Kingman mean."""
    mean = per_tick / (2.0 * (limit - per_tick))
    ratio = mean / (1.0 + mean)
    size = int(40.0 / -math.log(ratio)) + 1
    pmf = (1.0 - ratio) * ratio ** np.arange(size, dtype=float)
    return pmf / pmf.sum()


def _check_inputs(
    arrival_rate: float, interval_s: float, limit: int, slice_duration_s: float
) -> None:
    """Raise naming the first parameter that is out of range."""
    checks = (
        ("arrival_rate", arrival_rate, arrival_rate >= 0, "a number >= 0"),
        ("interval_s", interval_s, interval_s > 0, "a number > 0"),
        ("slice_duration_s", slice_duration_s, slice_duration_s >= 0, "a number >= 0"),
    )
    for name, value, valid, allowed in checks:
        if not (valid and math.isfinite(value)):
            raise InputError(
                f"{name} = {value!r} is out of range; it must be {allowed}."
            )
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise InputError(
            f"limit = {limit!r} is out of range; it must be a whole number >= 1."
        )
