"""Freshness of scheduled batch: runs that fire at set times and pick up everything
that arrived since the previous fire.

A record arriving at time t waits r(t), the time to the next fire, then for the
run to start (a run queues behind an unfinished one, as Mule's default
``ORDERED_SEQUENTIAL`` scheduling does), then until it is visible: the whole run
duration D with an end-of-run commit, or its share of the run, in arrival order,
when rows are visible as written (``progressive``). Averaged over records,

    E[L] = ∫λ(t)·(r(t) + delay(t)) dt / ∫λ(t) dt + E[D_vis],

E[D_vis] = D (end) or D/2 (progressive), integrated exactly piece by piece:
the arrival rate is constant between profile breakpoints and r(t) is linear
between fires (Kleinrock, *Queueing Systems* vol. 1, §5.2, for the uniform case).
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

from kit.errors import InputError


@dataclass(frozen=True)
class BatchEstimate:
    """Batch figures; latencies are None when runs pile up without end."""

    stable: bool
    run_duration_s: float
    latency_mean_s: float | None
    latency_max_s: float | None
    queued_runs: int
    runs_per_period: int
    period_s: float


def estimate_batch(
    fire_times_s: Sequence[float],
    period_s: float,
    arrival_profile: Sequence[float] | None,
    records_per_run: float,
    per_record_s: float,
    concurrency: int,
    commit: str,
) -> BatchEstimate:
    """Estimate batch latency for runs firing at ``fire_times_s`` in every period.

    ``fire_times_s`` are offsets in [0, period_s), e.g. seconds since midnight for
    a daily period. ``arrival_profile`` holds arrival rates for equal slices of
    the period (24 hourly rates for a daily period) or None for a constant rate.
    Every run lasts D = records_per_run·per_record_s/concurrency: records in
    parallel, no per-run overhead, the same D whatever the run's share of the
    arrivals. ``queued_runs`` counts the runs per period that start late behind
    the previous one; when runs need more than the period (fires·D > period) the
    queue of runs grows without end: ``stable`` is False and the latencies None.
    ``latency_max_s`` is the largest latency of a record that can arrive (where
    the rate is positive).

    >>> day, hour = 86400.0, 3600.0
    >>> estimate = estimate_batch([7200.0], day, None, 3600, 1.0, 1, "end")
    >>> estimate.latency_mean_s / hour, estimate.latency_max_s / hour
    (13.0, 25.0)
    """
    fires, rates = _check_inputs(
        fire_times_s, period_s, arrival_profile, records_per_run, per_record_s
    )
    _check_choices(concurrency, commit)
    duration = records_per_run * per_record_s / concurrency
    count = len(fires)

    if count * duration > period_s * (1.0 + 1e-12):
        return BatchEstimate(
            stable=False,
            run_duration_s=duration,
            latency_mean_s=None,
            latency_max_s=None,
            queued_runs=count,
            runs_per_period=count,
            period_s=period_s,
        )

    delays = _steady_delays(fires, period_s, duration)
    queued = sum(delay > 1e-9 * period_s for delay in delays)
    segments = _segments(fires, period_s, rates)
    if not any(rate > 0 for _, _, rate, _ in segments):
        segments = [(start, end, 1.0, run) for start, end, _, run in segments]

    mean = _mean_latency(segments, fires, period_s, delays, duration, commit)
    largest = _max_latency(segments, fires, period_s, delays, duration, commit)
    return BatchEstimate(
        stable=True,
        run_duration_s=duration,
        latency_mean_s=mean,
        latency_max_s=largest,
        queued_runs=queued,
        runs_per_period=count,
        period_s=period_s,
    )


def _segments(
    fires: list[float], period_s: float, rates: list[float]
) -> list[tuple[float, float, float, int]]:
    """Split the period into (start, end, rate, run) pieces: a constant rate and
    one next fire each. ``run`` indexes the fire that picks the piece up."""
    slice_s = period_s / len(rates)
    cuts = sorted({0.0, period_s, *fires, *(i * slice_s for i in range(len(rates)))})

    segments = []
    for start, end in itertools.pairwise(cuts):
        if end <= start:
            continue
        rate = rates[min(int(start // slice_s), len(rates) - 1)]
        run = bisect.bisect_left(fires, end)
        run = run if run < len(fires) else 0
        segments.append((start, end, rate, run))
    return segments


def _next_fire(run: int, start: float, fires: list[float], period_s: float) -> float:
    """Return the time of the fire ``run`` that follows ``start``."""
    fire = fires[run]
    return fire if fire > start else fire + period_s


def _mean_latency(
    segments: list[tuple[float, float, float, int]],
    fires: list[float],
    period_s: float,
    delays: list[float],
    duration: float,
    commit: str,
) -> float:
    """Integrate λ(t)·(r(t) + delay) over the pieces and add the visibility delay."""
    weight = 0.0
    total = 0.0

    for start, end, rate, run in segments:
        fire = _next_fire(run, start, fires, period_s)
        weight += rate * (end - start)
        total += rate * ((fire - start) ** 2 - (fire - end) ** 2) / 2.0
        total += rate * (end - start) * delays[run]

    visible = duration if commit == "end" else duration / 2.0
    return total / weight + visible


def _max_latency(
    segments: list[tuple[float, float, float, int]],
    fires: list[float],
    period_s: float,
    delays: list[float],
    duration: float,
    commit: str,
) -> float:
    """Return the largest latency over pieces with arrivals.

    Within a piece, r(t) falls with slope −1 and the progressive visibility
    D·(share of the run's records ahead) rises linearly, so the largest value
    is at one end of a piece.
    """
    run_weight = [0.0] * len(fires)
    for start, end, rate, run in segments:
        run_weight[run] += rate * (end - start)

    ahead = [0.0] * len(fires)
    largest = 0.0
    for start, end, rate, run in _in_run_order(segments, fires, period_s):
        fire = _next_fire(run, start, fires, period_s)
        share_start = ahead[run] / run_weight[run] if run_weight[run] else 0.0
        ahead[run] += rate * (end - start)
        share_end = ahead[run] / run_weight[run] if run_weight[run] else 0.0
        if rate <= 0:
            continue

        if commit == "end":
            candidate = fire - start + duration
        else:
            candidate = max(
                fire - start + duration * share_start,
                fire - end + duration * share_end,
            )
        largest = max(largest, candidate + delays[run])
    return largest


def _in_run_order(
    segments: list[tuple[float, float, float, int]],
    fires: list[float],
    period_s: float,
) -> list[tuple[float, float, float, int]]:
    """Order the pieces of each run by arrival time, the wrapped ones first."""

    def arrival_order(segment: tuple[float, float, float, int]) -> float:
        start, _, _, run = segment
        fire = _next_fire(run, start, fires, period_s)
        return fire - start

    return sorted(segments, key=lambda segment: -arrival_order(segment))


def _steady_delays(fires: list[float], period_s: float, duration: float) -> list[float]:
    """Return each fire's start delay once the runs' queue repeats every period.

    A run starts at max(its fire, the previous run's end); repeating the period
    from an empty queue reaches the repeating pattern within a few periods.
    """
    delays = [0.0] * len(fires)
    previous_end = -math.inf

    for period in range(10_000):
        latest = []
        for fire in fires:
            fire_at = fire + period * period_s
            start = max(fire_at, previous_end)
            latest.append(start - fire_at)
            previous_end = start + duration
        if period > 0 and all(
            abs(new - old) <= 1e-9 * period_s
            for new, old in zip(latest, delays, strict=True)
        ):
            return latest
        delays = latest
    return delays


def _check_inputs(
    fire_times_s: Sequence[float],
    period_s: float,
    arrival_profile: Sequence[float] | None,
    records_per_run: float,
    per_record_s: float,
) -> tuple[list[float], list[float]]:
    """Return the sorted fire times and the rates, raising for bad values."""
    if not (math.isfinite(period_s) and period_s > 0):
        raise InputError(
            f"period_s = {period_s!r} is out of range; it must be a number > 0."
        )
    fires = sorted({float(fire) for fire in fire_times_s})
    if not fires or any(not 0 <= fire < period_s for fire in fires):
        raise InputError(
            f"fire_times_s = {list(fire_times_s)!r} must hold at least one time, "
            f"each in [0, {period_s:g}); pass offsets within one period."
        )

    rates = [1.0] if arrival_profile is None else [float(r) for r in arrival_profile]
    if not rates or any(not (math.isfinite(rate) and rate >= 0) for rate in rates):
        raise InputError(
            f"arrival_profile = {arrival_profile!r} must hold finite rates >= 0."
        )
    for name, value in (
        ("records_per_run", records_per_run),
        ("per_record_s", per_record_s),
    ):
        if not (math.isfinite(value) and value >= 0):
            raise InputError(f"{name} = {value!r} is out of range; it must be >= 0.")
    return fires, rates


def _check_choices(concurrency: int, commit: str) -> None:
    """Raise for a concurrency below 1 or an unknown commit mode."""
    if (
        isinstance(concurrency, bool)
        or not isinstance(concurrency, int)
        or concurrency < 1
    ):
        raise InputError(
            f"concurrency = {concurrency!r} is out of range; it must be a whole "
            "number >= 1."
        )
    if commit not in ("end", "progressive"):
        raise InputError(
            f"commit = {commit!r} is not allowed; use 'end' or 'progressive'."
        )
