"""Pick the cheapest way of running a job that meets its freshness objective.

Batch is cheapest to run and change, then micro-batch, then streaming. A mode
qualifies when it is stable, its latency (the 95th percentile; the maximum for
batch) is within the objective, and its busiest minute fits the API rate limit.
"""

from __future__ import annotations

from dataclasses import dataclass

from kit.estimate.batch import BatchEstimate
from kit.estimate.load import EnrichmentLoad
from kit.estimate.micro_batch import MicroBatchEstimate
from kit.estimate.streaming import MOST_CONSUMERS, StreamingEstimate

MODES = ("batch", "micro_batch", "streaming")


# Why a mode cannot keep up when the queueing models alone would let it.
RATE_LIMITED = "its calls exceed the rate limit"
# A FIFO queue whose message groups, fewer than its consumers, bound the work.
FIFO_LIMITED = "fifo: message groups"


@dataclass(frozen=True)
class Recommendation:
    """The mode to move to and one line on why, built from the figures."""

    mode: str
    reason: str


def recommend(
    streaming: StreamingEstimate,
    micro_batch: MicroBatchEstimate,
    batch: BatchEstimate,
    enrichment: EnrichmentLoad,
    slo_s: float,
) -> Recommendation:
    """Return the cheapest qualifying mode, or streaming with what it is missing.

    When no mode qualifies, the reason names the consumers streaming needs for
    the objective and the rate limit its busiest minute needs.
    """
    objective = f"the {format_duration(slo_s)} objective"
    verdicts = []

    for mode in MODES:
        latency, description = _describe(mode, streaming, micro_batch, batch)
        headroom = enrichment.rate_limit_headroom.get(mode)
        peak = enrichment.peak_calls_per_min.get(mode, 0.0)

        if latency is None:
            verdicts.append(description)
            continue
        if latency > slo_s:
            verdicts.append(f"{description} exceeds {objective}")
            continue
        if headroom is not None and headroom < 0:
            limit = enrichment.rate_limit_per_s * 60.0
            verdicts.append(
                f"{description} meets {objective} but its busiest minute, "
                f"{peak:,.0f} calls, exceeds the limit of {limit:,.0f} a minute"
            )
            continue

        verdicts.append(f"{description} meets {objective}")
        return Recommendation(mode=mode, reason="; ".join(verdicts))

    verdicts.append(_what_streaming_needs(streaming, enrichment))
    return Recommendation(mode="streaming", reason="; ".join(verdicts))


def format_duration(seconds: float) -> str:
    """Write a duration for a person: seconds, minutes, hours or days.

    >>> format_duration(0.8), format_duration(60), format_duration(46800)
    ('0.8 s', '60 s', '13.0 h')
    """
    if seconds < 10:
        return f"{seconds:.2g} s"
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} min"
    if seconds < 172800:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"


def _describe(
    mode: str,
    streaming: StreamingEstimate,
    micro_batch: MicroBatchEstimate,
    batch: BatchEstimate,
) -> tuple[float | None, str]:
    """Return a mode's deciding latency and a phrase that states it."""
    if mode == "batch":
        if not batch.stable:
            length = format_duration(batch.run_duration_s)
            period = format_duration(batch.period_s)
            runs = f"{batch.runs_per_period} per {period}"
            return None, f"batch unstable (runs of {length}, {runs}, pile up)"
        return batch.latency_max_s, f"batch max {format_duration(batch.latency_max_s)}"

    if mode == "micro_batch":
        if not micro_batch.stable:
            if micro_batch.cause:
                detail = micro_batch.cause
            elif micro_batch.arrivals_per_tick >= micro_batch.limit:
                per_tick = f"{micro_batch.arrivals_per_tick:,.0f} arrivals per tick"
                detail = f"{per_tick}, limit {micro_batch.limit:,}"
            else:
                detail = "its slice outlasts the interval"
            return None, f"micro-batch unstable ({detail})"
        p95 = format_duration(micro_batch.latency_p95_s)
        every = (
            f" every {format_duration(micro_batch.interval_s)}"
            if micro_batch.interval_s
            else ""
        )
        return micro_batch.latency_p95_s, f"micro-batch{every} p95 {p95}"

    servers = "message groups" if streaming.model == FIFO_LIMITED else "consumers"
    consumers = f"{streaming.consumers} {servers}"
    if streaming.model == RATE_LIMITED:
        return None, f"streaming unstable ({RATE_LIMITED})"
    if not streaming.stable:
        utilisation = f"utilisation {streaming.utilisation:.2f}"
        return None, f"streaming unstable with {consumers} ({utilisation})"
    p95 = format_duration(streaming.latency_p95_s)
    return streaming.latency_p95_s, f"streaming p95 {p95} with {consumers}"


def _what_streaming_needs(
    streaming: StreamingEstimate, enrichment: EnrichmentLoad
) -> str:
    """Say what streaming is missing to meet the objective."""
    needed = streaming.min_consumers_for_slo
    servers = "message groups" if streaming.model == FIFO_LIMITED else "consumers"
    if streaming.model == RATE_LIMITED:
        limit = enrichment.peak_calls_per_min["streaming"] / 60.0
        return f"none meets it: raise the rate limit to at least {limit:,.1f} calls/s"
    if needed is None:
        parts = [
            f"none meets it: no count of {servers} up to {MOST_CONSUMERS:,} does, "
            "so shorten the service time or relax the objective"
        ]
    else:
        parts = [f"none meets it: recommend streaming with {needed} {servers}"]

    headroom = enrichment.rate_limit_headroom.get("streaming")
    if headroom is not None and headroom < 0:
        needed_rate = enrichment.peak_calls_per_min["streaming"] / 60.0
        parts.append(f"a rate limit of at least {needed_rate:,.1f} calls/s")
    return " and ".join(parts)
