"""Batch freshness: the facts file's cases, hand sums and a fine-grid integral."""

from __future__ import annotations

import numpy as np
import pytest

from kit.errors import InputError
from kit.estimate.batch import estimate_batch

HOUR = 3600.0
DAY = 86400.0
OFFICE_HOURS = [0.0] * 9 + [5.0] * 8 + [0.0] * 7


def test_daily_run_with_end_commit() -> None:
    """T=24 h, D=1 h, end commit: mean 13.0 h and max 25 h."""
    estimate = estimate_batch([0.0], DAY, None, 3600, 1.0, 1, "end")

    assert estimate.stable
    assert estimate.run_duration_s == HOUR
    assert estimate.latency_mean_s == pytest.approx(13.0 * HOUR, rel=1e-12)
    assert estimate.latency_max_s == pytest.approx(25.0 * HOUR, rel=1e-12)
    assert estimate.queued_runs == 0


def test_daily_run_with_progressive_commit() -> None:
    """Rows visible as written: mean (T + D)/2 = 12.5 h and max T = 24 h."""
    estimate = estimate_batch([0.0], DAY, None, 3600, 1.0, 1, "progressive")

    assert estimate.latency_mean_s == pytest.approx(12.5 * HOUR, rel=1e-12)
    assert estimate.latency_max_s == pytest.approx(24.0 * HOUR, rel=1e-12)


def test_office_hours_with_a_two_oclock_cron() -> None:
    """Arrivals 09:00–17:00 only, cron at 02:00, D=1 h: mean 14.0 h (facts file)."""
    estimate = estimate_batch([2 * HOUR], DAY, OFFICE_HOURS, 3600, 1.0, 1, "end")

    assert estimate.latency_mean_s == pytest.approx(14.0 * HOUR, rel=1e-12)
    assert estimate.latency_max_s == pytest.approx(18.0 * HOUR, rel=1e-12)


def test_two_fires_a_day_halve_the_wait() -> None:
    """Fires at 00:00 and 12:00 with uniform arrivals: 6 h to the fire plus D."""
    estimate = estimate_batch([0.0, 12 * HOUR], DAY, None, 1800, 2.0, 1, "end")

    assert estimate.latency_mean_s == pytest.approx(7.0 * HOUR, rel=1e-12)
    assert estimate.latency_max_s == pytest.approx(13.0 * HOUR, rel=1e-12)


def test_run_duration_is_records_times_time_over_concurrency() -> None:
    """D = records·per_record_s/concurrency."""
    estimate = estimate_batch([0.0], DAY, None, 10_000, 0.36, 4, "end")

    assert estimate.run_duration_s == pytest.approx(900.0, rel=1e-12)


def test_overlapping_runs_queue_and_add_delay() -> None:
    """Fires at 00:00 and 01:00 with 2 h runs: the second waits 1 h (hand sum)."""
    estimate = estimate_batch([0.0, HOUR], DAY, None, 7200, 1.0, 1, "end")

    # records of 00:00–01:00: 0.5 h to the fire + 1 h queued + 2 h run;
    # records of 01:00–24:00: 11.5 h to the fire + 2 h run.
    expected = (1 * 3.5 + 23 * 13.5) / 24 * HOUR
    assert estimate.queued_runs == 1
    assert estimate.latency_mean_s == pytest.approx(expected, rel=1e-12)
    assert estimate.latency_max_s == pytest.approx(25.0 * HOUR, rel=1e-12)


@pytest.mark.parametrize("hours", [25.0, 48.0])
def test_runs_longer_than_the_period_are_unstable(hours: float) -> None:
    """A daily run that takes more than a day piles up: no latency figures."""
    estimate = estimate_batch([0.0], DAY, None, hours * HOUR, 1.0, 1, "end")

    assert not estimate.stable
    assert estimate.latency_mean_s is None
    assert estimate.latency_max_s is None
    assert estimate.queued_runs == 1
    assert estimate.run_duration_s == hours * HOUR


def test_runs_that_exactly_fill_the_period_are_stable() -> None:
    """Four 6 h runs a day keep up: each ends just as the next one fires."""
    fires = [0.0, 6 * HOUR, 12 * HOUR, 18 * HOUR]
    estimate = estimate_batch(fires, DAY, None, 6 * HOUR, 1.0, 1, "end")

    assert estimate.stable
    assert estimate.queued_runs == 0
    assert estimate.latency_mean_s == pytest.approx(9.0 * HOUR, rel=1e-12)


def test_all_zero_profile_falls_back_to_uniform() -> None:
    """With no arrivals at all the figures are those of a uniform arrival time."""
    quiet = estimate_batch([0.0], DAY, [0.0] * 24, 0, 1.0, 1, "end")
    uniform = estimate_batch([0.0], DAY, None, 0, 1.0, 1, "end")

    assert quiet == uniform


@pytest.mark.parametrize("commit", ["end", "progressive"])
def test_uneven_profile_matches_a_fine_grid(commit: str) -> None:
    """The piecewise integral equals a one-second grid over a day (different method)."""
    rates = np.random.default_rng(7).uniform(0.0, 3.0, 24)
    rates[[2, 3, 20]] = 0.0
    fires = [1.5 * HOUR, 9 * HOUR, 14.25 * HOUR]
    duration = 1800.0
    estimate = estimate_batch(fires, DAY, list(rates), 1800, 1.0, 1, commit)

    times = np.arange(0.0, DAY, 1.0) + 0.5
    weights = rates[(times // HOUR).astype(int)]
    extended = np.array([*fires, fires[0] + DAY])
    waits = extended[np.searchsorted(extended, times)] - times
    visible = duration if commit == "end" else duration / 2
    expected = float((weights * waits).sum() / weights.sum()) + visible

    assert estimate.latency_mean_s == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize(
    ("fires", "profile", "concurrency", "commit"),
    [
        ([], None, 1, "end"),
        ([DAY], None, 1, "end"),
        ([-1.0], None, 1, "end"),
        ([0.0], [-1.0] * 24, 1, "end"),
        ([0.0], None, 0, "end"),
        ([0.0], None, 1, "later"),
    ],
)
def test_bad_inputs_are_input_errors(
    fires: list[float], profile: list[float] | None, concurrency: int, commit: str
) -> None:
    """Fire times outside the period, negative rates and bad choices raise."""
    with pytest.raises(InputError):
        estimate_batch(fires, DAY, profile, 100, 1.0, concurrency, commit)
