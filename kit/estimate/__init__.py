"""Closed-form estimates of freshness and API load, one model per module.

``estimate_scenario`` runs them all on one scenario and returns the figures as
a JSON-ready dict: streaming (``streaming``, with ``erlang`` and ``sojourn``),
micro-batch (``micro_batch``), batch (``batch``), the enrichment cache
(``cache``) and API load (``load``), and the mode to move to (``recommend``).

How the scenario becomes model inputs:

- arrival rate λ: ``arrivals.rate_per_s``, or the mean of ``hourly_rates`` for
  a profile (the batch model uses the whole profile, and the peak minute of
  API calls the busiest hour); for ``records`` the caller sets ``rate_per_s``
  from the file. Arrivals are Poisson (ca² = 1).
- service: ``service.mean_s`` with cv² = 1 (exponential), 0 (constant) or
  ``service.cv``² (lognormal, gamma, empirical).
- enrichment: each record makes ``calls_per_record`` lookups, plus
  ``calls_per_block``/``block_size`` for the calls made once per block; a
  share 1 − H miss the cache and add ``latency_s`` each. The effective service
  time is S + X·latency_s with X ~ Binomial(calls, 1 − H) independent of S:
  mean E[S] + calls·(1 − H)·latency_s, variance Var(S) +
  calls·H·(1 − H)·latency_s². A block's share of a call is spread evenly over
  its records: right for the mean, an approximation for the variance. With no
  calls, the hit ratio is None and the API sees nothing.
- micro-batch: a slice processes min(limit, λT) records with ``concurrency``
  workers in min(limit, λT)·E[S_eff]/concurrency seconds.
- batch: the runs fire at the cron's fire times over a repeating window of
  whole days from the schedule's reference Monday
  (``kit.schedule.PERIOD_WINDOW_START``): a week, or for rarer schedules a
  year or the period in days, whichever is longer; each run takes the records
  that arrived since the previous one, λ·window/fires on average, in
  records·E[S_eff]/concurrency s.
- consumers: a FIFO queue hands out one message per group at a time, so at
  most min(consumers, message_groups) records are in service; that many
  servers is an upper bound on what the groups allow.
- failures: a transient failure is tried again, up to ``max_deliveries``
  attempts, so a record takes (1 − p^k)/(1 − p) attempts on average, each
  with its service time and lookups. How long a redelivery waits (ack
  timeouts, prefetch) and dead letters are left to the simulator.
- rate limit: API calls above ``rate_limit_per_s`` cannot be made, so
  streaming and micro-batch are unstable when the calls they need exceed it.
"""

from __future__ import annotations

import dataclasses
import statistics
from collections.abc import Sequence
from datetime import datetime, time, timedelta
from typing import Any

from kit.errors import InputError
from kit.estimate.batch import BatchEstimate, estimate_batch
from kit.estimate.cache import hit_ratio
from kit.estimate.load import (
    EnrichmentLoad,
    api_calls_per_second,
    batch_peak_calls_per_minute,
    micro_batch_peak_calls_per_minute,
    rate_limit_headroom,
    streaming_peak_calls_per_minute,
)
from kit.estimate.micro_batch import MicroBatchEstimate, estimate_micro_batch
from kit.estimate.recommend import (
    FIFO_LIMITED,
    RATE_LIMITED,
    Recommendation,
    recommend,
)
from kit.estimate.streaming import StreamingEstimate, estimate_streaming
from kit.scenario import (
    Batch,
    Enrichment,
    Failures,
    MicroBatch,
    Scenario,
    Streaming,
)
from kit.schedule import (
    PERIOD_WINDOW_START,
    Schedule,
    fire_times,
    iter_fire_times,
    period_seconds,
    zone_or_utc,
)

DAY_S = 86400.0
WEEK_S = 7 * DAY_S
YEAR_DAYS = 365

__all__ = [
    "BatchEstimate",
    "EnrichmentLoad",
    "MicroBatchEstimate",
    "Recommendation",
    "StreamingEstimate",
    "estimate_scenario",
]

_STREAMING_KEYS = (
    "utilisation",
    "stable",
    "p_wait",
    "wait_mean_s",
    "latency_mean_s",
    "latency_p95_s",
    "min_consumers_for_slo",
)
_MICRO_BATCH_KEYS = (
    "stable",
    "latency_mean_s",
    "latency_p95_s",
    "backlog_growth_per_h",
)
_BATCH_KEYS = ("run_duration_s", "latency_mean_s", "latency_max_s")


def estimate_scenario(
    scenario: Scenario, timetable: tuple[Sequence[float], float] | None = None
) -> dict[str, Any]:
    """Estimate every mode for one scenario and recommend one, as a JSON-ready dict.

    ``timetable`` is the batch's fire times as offsets into a repeating window
    and the window's length in seconds; by default it comes from the scenario's
    cron (see :func:`batch_timetable`).

    >>> figures = estimate_scenario(Scenario())
    >>> figures["recommendation"]["mode"], figures["streaming"]["stable"]
    ('streaming', True)
    """
    fires, window_s = timetable or batch_timetable(scenario.batch)
    fires = [float(offset) for offset in fires]
    arrivals = scenario.arrivals
    enrichment = scenario.enrichment
    calls = _calls_per_record(enrichment) * attempts_per_record(
        scenario.failures, scenario.streaming.max_deliveries
    )

    profile = arrivals.hourly_rates if arrivals.process == "profile" else None
    rate = mean_arrival_rate(scenario)
    busiest = max(profile) if profile else rate

    hits = _hit_ratio(scenario, rate)
    mean_s, cv2 = _effective_service(scenario, hits)

    servers = _servers(scenario.streaming)
    streaming = estimate_streaming(rate, mean_s, cv2, servers, scenario.slo_s)
    if servers < scenario.streaming.consumers:
        streaming = dataclasses.replace(streaming, model=FIFO_LIMITED)

    micro = scenario.micro_batch
    micro_batch = micro_batch_estimate(micro, micro.interval_s, rate, mean_s)
    demand = api_calls_per_second(rate, calls, hits)
    streaming, micro_batch = _within_rate_limit(
        streaming, micro_batch, demand, enrichment.rate_limit_per_s, rate
    )

    records_per_run = rate * window_s / len(set(fires))
    days = round(window_s / DAY_S)
    batch = estimate_batch(
        fires,
        window_s,
        list(profile) * days if profile and days * DAY_S == window_s else profile,
        records_per_run,
        mean_s,
        scenario.batch.concurrency,
        scenario.batch.commit,
    )

    busiest_slice_s = min(float(micro.limit), busiest * micro.interval_s) * mean_s
    peaks = {
        "streaming": streaming_peak_calls_per_minute(
            busiest,
            calls,
            hits,
            scenario.streaming.consumers,
            enrichment.latency_s,
        ),
        "micro_batch": micro_batch_peak_calls_per_minute(
            busiest,
            micro.interval_s,
            micro.limit,
            calls,
            hits,
            busiest_slice_s / micro.concurrency,
            micro.concurrency,
            enrichment.latency_s,
        ),
        "batch": batch_peak_calls_per_minute(
            records_per_run,
            calls,
            hits,
            batch.run_duration_s,
            scenario.batch.concurrency,
            enrichment.latency_s,
        ),
    }
    load = EnrichmentLoad(
        hit_ratio=hits,
        api_calls_per_s=demand,
        peak_calls_per_min=peaks,
        rate_limit_headroom={
            mode: rate_limit_headroom(peak, enrichment.rate_limit_per_s)
            for mode, peak in peaks.items()
        },
        rate_limit_per_s=enrichment.rate_limit_per_s,
    )

    choice = recommend(streaming, micro_batch, batch, load, scenario.slo_s)
    return {
        "scenario": scenario.name,
        "streaming": _pick(streaming, _STREAMING_KEYS),
        "micro_batch": _pick(micro_batch, _MICRO_BATCH_KEYS),
        "batch": _pick(batch, _BATCH_KEYS),
        "enrichment": {
            "hit_ratio": load.hit_ratio,
            "api_calls_per_s": load.api_calls_per_s,
            "peak_calls_per_min": dict(load.peak_calls_per_min),
            "rate_limit_headroom": dict(load.rate_limit_headroom),
        },
        "recommendation": {"mode": choice.mode, "reason": choice.reason},
    }


def mean_arrival_rate(scenario: Scenario) -> float:
    """Mean arrivals per second: the rate, or the mean of an hourly profile.

    >>> from kit.scenario import scenario_from_dict
    >>> mean_arrival_rate(scenario_from_dict(
    ...     {"arrivals": {"process": "profile", "hourly_rates": [1.0, 3.0] * 12}}))
    2.0
    """
    arrivals = scenario.arrivals
    if arrivals.process == "profile" and arrivals.hourly_rates:
        return statistics.fmean(arrivals.hourly_rates)
    return arrivals.rate_per_s


def micro_batch_estimate(
    micro: MicroBatch, interval_s: float, rate: float, mean_s: float
) -> MicroBatchEstimate:
    """Estimate a micro-batch ticking every ``interval_s``: each slice takes
    min(limit, λT) records through ``concurrency`` workers."""
    picked = min(float(micro.limit), rate * interval_s)
    slice_s = picked * mean_s / micro.concurrency
    full_slice_s = micro.limit * mean_s / micro.concurrency
    return estimate_micro_batch(rate, interval_s, micro.limit, slice_s, full_slice_s)


def batch_timetable(batch: Batch) -> tuple[list[float], float]:
    """Return the cron's fire times as offsets into a repeating window, and its length.

    The window is whole days from Monday 2026-01-05 00:00 in the batch's time
    zone: one day when the schedule fires at the same times every day, one week
    when it fires at least weekly, else 365 days or its period rounded to days,
    whichever is longer, so a yearly cron repeats every 365 days and a monthly
    one fires 12 times. A window that would end before the first fire is
    stretched to hold it.

    >>> batch_timetable(Batch(cron="0 0 2 * * ?"))
    ([7200.0], 86400.0)
    >>> batch_timetable(Batch(cron="0 0 2 ? * MON-FRI"))[0][:2]
    [7200.0, 93600.0]
    >>> batch_timetable(Batch(cron="0 0 3 1 1 ?"))[1] / 86400
    365.0
    """
    plan = Schedule("cron", cron=batch.cron, time_zone=batch.time_zone)
    period = period_seconds(plan)
    if period is None:
        raise InputError(
            f"batch.cron = {batch.cron!r} never fires again; give a schedule that "
            "repeats"
        )
    if _repeats_daily(batch.cron):
        days = 1
    else:
        days = 7 if period <= WEEK_S else max(YEAR_DAYS, round(period / DAY_S))
    zone, _ = zone_or_utc(batch.time_zone)
    start = datetime.combine(PERIOD_WINDOW_START, time(), zone)
    first = next(iter_fire_times(plan, start))
    days = max(days, (first - start).days + 1)
    end = start + timedelta(days=days)
    offsets = [(fire - start).total_seconds() for fire in fire_times(plan, start, end)]
    return offsets, days * DAY_S


def _repeats_daily(cron: str) -> bool:
    """Tell whether a Quartz cron fires at the same times every day.

    It does when day of month, month, weekday and year are all unrestricted; a
    one-day window then gives the same figures as a week, with a seventh of the
    fires (an every-second poll fires 604,800 times a week).

    >>> _repeats_daily("0 0/5 * * * ?"), _repeats_daily("0 0 2 ? * MON-FRI")
    (True, False)
    """
    fields = cron.split()
    return all(field in ("*", "?") for field in fields[3:])


def _servers(streaming: Streaming) -> int:
    """Records in service at once: the consumers, or fewer FIFO message groups."""
    if streaming.queue == "fifo":
        return min(streaming.consumers, streaming.message_groups)
    return streaming.consumers


def attempts_per_record(failures: Failures, max_deliveries: int) -> float:
    """Mean attempts a record takes when each fails with chance p, at most k.

    >>> attempts_per_record(Failures(transient_rate=0.5), 10)
    1.998046875
    """
    p = failures.transient_rate
    if p >= 1.0:
        return float(max_deliveries)
    return (1.0 - p**max_deliveries) / (1.0 - p)


def _within_rate_limit(
    streaming: StreamingEstimate,
    micro_batch: MicroBatchEstimate,
    demand: float,
    limit: float,
    rate: float,
) -> tuple[StreamingEstimate, MicroBatchEstimate]:
    """Mark streaming and micro-batch unstable when their calls exceed the limit.

    Both must keep up with the arrivals on average; at ``demand`` calls a
    second against ``limit`` they take at most rate·limit/demand records a
    second, and the rest pile up.
    """
    if limit <= 0 or demand < limit:
        return streaming, micro_batch
    shortfall_per_h = rate * (1.0 - limit / demand) * 3600.0
    streaming = dataclasses.replace(
        streaming,
        model=RATE_LIMITED,
        stable=False,
        wait_mean_s=None,
        latency_mean_s=None,
        latency_p95_s=None,
        min_consumers_for_slo=None,
    )
    micro_batch = dataclasses.replace(
        micro_batch,
        cause=RATE_LIMITED,
        stable=False,
        latency_mean_s=None,
        latency_p95_s=None,
        backlog_mean=None,
        backlog_growth_per_h=max(micro_batch.backlog_growth_per_h, shortfall_per_h),
    )
    return streaming, micro_batch


def _hit_ratio(scenario: Scenario, rate: float) -> float | None:
    """Return the cache hit ratio, or None when records make no lookups."""
    enrichment = scenario.enrichment
    calls = _calls_per_record(enrichment)
    if calls == 0:
        return None
    return hit_ratio(
        enrichment.cache,
        enrichment.keys,
        enrichment.zipf_alpha,
        rate * calls,
        enrichment.cache_ttl_s,
        enrichment.cache_capacity,
    )


def _effective_service(scenario: Scenario, hits: float | None) -> tuple[float, float]:
    """Return the mean and cv² of the service time with the cache misses' calls."""
    service = scenario.service
    enrichment = scenario.enrichment

    if service.distribution == "exponential":
        cv2 = 1.0
    elif service.distribution == "constant":
        cv2 = 0.0
    else:
        cv2 = service.cv**2

    miss = 1.0 - (hits or 0.0)
    calls = _calls_per_record(enrichment)
    mean_s = service.mean_s + calls * miss * enrichment.latency_s
    variance = cv2 * service.mean_s**2
    variance += calls * miss * (1.0 - miss) * enrichment.latency_s**2
    attempts = attempts_per_record(scenario.failures, scenario.streaming.max_deliveries)
    return mean_s * attempts, variance / mean_s**2


def _calls_per_record(enrichment: Enrichment) -> float:
    """Return the calls a record makes on average: its own and its block's share.

    >>> _calls_per_record(Enrichment(calls_per_record=2, calls_per_block=1))
    2.01
    """
    per_block = enrichment.calls_per_block / enrichment.block_size
    return enrichment.calls_per_record + per_block


def _pick(estimate: Any, keys: Sequence[str]) -> dict[str, Any]:
    """Return the named fields of an estimate dataclass as a dict."""
    return {key: getattr(estimate, key) for key in keys}
