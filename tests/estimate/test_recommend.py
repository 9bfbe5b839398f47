"""Recommendations: the cheapest qualifying mode and a reason built from figures."""

from __future__ import annotations

import pytest

from kit.estimate.batch import BatchEstimate
from kit.estimate.load import EnrichmentLoad
from kit.estimate.micro_batch import MicroBatchEstimate
from kit.estimate.recommend import format_duration, recommend
from kit.estimate.streaming import StreamingEstimate

STREAMING = StreamingEstimate(
    utilisation=0.8,
    stable=True,
    p_wait=0.4,
    wait_mean_s=0.04,
    latency_mean_s=0.24,
    latency_p95_s=0.8,
    min_consumers_for_slo=9,
    model="erlang-c",
    consumers=10,
)
MICRO_BATCH = MicroBatchEstimate(
    stable=True,
    latency_mean_s=150.0,
    latency_p95_s=285.0,
    backlog_growth_per_h=0.0,
    backlog_mean=0.0,
    arrivals_per_tick=600.0,
    limit=1000,
)
BATCH = BatchEstimate(
    stable=True,
    run_duration_s=3600.0,
    latency_mean_s=46800.0,
    latency_max_s=90000.0,
    queued_runs=0,
    runs_per_period=1,
    period_s=86400.0,
)


def loads(headroom: dict[str, float | None] | None = None) -> EnrichmentLoad:
    """An enrichment load with the given headroom per mode (none: no limit)."""
    peaks = {"streaming": 700.0, "micro_batch": 600.0, "batch": 2400.0}
    return EnrichmentLoad(
        hit_ratio=0.5,
        api_calls_per_s=5.0,
        peak_calls_per_min=peaks,
        rate_limit_headroom=headroom or dict.fromkeys(peaks),
        rate_limit_per_s=10.0 if headroom else 0.0,
    )


def test_batch_wins_when_it_meets_the_objective() -> None:
    """A loose objective keeps batch, the cheapest mode."""
    choice = recommend(STREAMING, MICRO_BATCH, BATCH, loads(), slo_s=2 * 86400)

    assert choice.mode == "batch"
    assert choice.reason == "batch max 25.0 h meets the 2.0 d objective"


def test_micro_batch_wins_over_streaming_when_it_suffices() -> None:
    """A ten-minute objective fails batch and passes micro-batch."""
    choice = recommend(STREAMING, MICRO_BATCH, BATCH, loads(), slo_s=600)

    assert choice.mode == "micro_batch"
    assert choice.reason == (
        "batch max 25.0 h exceeds the 10.0 min objective; "
        "micro-batch p95 4.8 min meets the 10.0 min objective"
    )


def test_unstable_micro_batch_is_explained_with_its_numbers() -> None:
    """An overloaded micro-batch says how many arrivals meet which limit."""
    overloaded = MicroBatchEstimate(False, None, None, 3600.0, None, 900.0, 600)

    choice = recommend(STREAMING, overloaded, BATCH, loads(), slo_s=60)

    assert choice.mode == "streaming"
    assert choice.reason == (
        "batch max 25.0 h exceeds the 60 s objective; "
        "micro-batch unstable (900 arrivals per tick, limit 600); "
        "streaming p95 0.8 s with 10 consumers meets the 60 s objective"
    )


def test_rate_limit_disqualifies_a_mode() -> None:
    """A mode whose busiest minute exceeds the rate limit does not qualify."""
    headroom = {"batch": -3.0, "micro_batch": -0.1, "streaming": 0.2}

    choice = recommend(STREAMING, MICRO_BATCH, BATCH, loads(headroom), slo_s=2 * 86400)

    assert choice.mode == "streaming"
    assert (
        "busiest minute, 2,400 calls, exceeds the limit of 600 a minute"
        in choice.reason
    )


def test_nothing_qualifies_names_what_streaming_needs() -> None:
    """When no mode qualifies, streaming is named with the consumers it needs."""
    unstable = StreamingEstimate(1.2, False, 1.0, None, None, None, 14, "erlang-c", 10)
    headroom = {"batch": 0.5, "micro_batch": 0.5, "streaming": -0.5}

    choice = recommend(unstable, MICRO_BATCH, BATCH, loads(headroom), slo_s=60)

    assert choice.mode == "streaming"
    assert "streaming unstable with 10 consumers (utilisation 1.20)" in choice.reason
    assert "recommend streaming with 14 consumers" in choice.reason
    assert "a rate limit of at least 11.7 calls/s" in choice.reason


def test_no_consumer_count_helps_says_so() -> None:
    """When even many consumers miss the objective the reason says what to change."""
    slow = StreamingEstimate(0.5, True, 0.1, 0.1, 2.0, 6.0, None, "erlang-c", 10)

    choice = recommend(slow, MICRO_BATCH, BATCH, loads(), slo_s=1)

    assert choice.mode == "streaming"
    assert "streaming p95 6 s with 10 consumers exceeds the 1 s objective" in (
        choice.reason
    )
    assert "shorten the service time or relax the objective" in choice.reason


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0.04, "0.04 s"),
        (0.8, "0.8 s"),
        (45, "45 s"),
        (750, "12.5 min"),
        (46800, "13.0 h"),
    ],
)
def test_durations_read_naturally(seconds: float, text: str) -> None:
    """Durations are written in the unit a person would use."""
    assert format_duration(seconds) == text
