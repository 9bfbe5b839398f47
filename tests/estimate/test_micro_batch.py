"""Micro-batch estimates against the facts file, plain iteration and hand algebra."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings

from kit.errors import InputError
from kit.estimate import micro_batch
from kit.estimate.micro_batch import (
    backlog_distribution,
    estimate_micro_batch,
    latency_quantile,
)
from tests.strategies import micro_batches


def poisson_pmf(mean: float, size: int) -> np.ndarray:
    """Poisson probabilities for 0…size−1, from logarithms."""
    counts = np.arange(size)
    log_factorial = np.array([math.lgamma(k + 1) for k in counts])
    return np.exp(counts * math.log(mean) - mean - log_factorial)


def iterate_lindley(per_tick: float, limit: int, size: int = 800) -> np.ndarray:
    """The backlog distribution by iterating Q' = max(Q + A − M, 0) to convergence."""
    arrivals = poisson_pmf(per_tick, int(per_tick + 40 * math.sqrt(per_tick) + 40))
    backlog = np.zeros(size)
    backlog[0] = 1.0

    for _ in range(100_000):
        total = np.convolve(backlog, arrivals)
        following = np.zeros(size)
        following[0] = total[: limit + 1].sum()
        kept = total[limit + 1 : limit + size]
        following[1 : 1 + len(kept)] = kept
        if np.abs(following - backlog).sum() < 1e-14:
            return following
        backlog = following
    raise AssertionError("the iteration did not converge")


def triangular_sum(count: np.ndarray, limit: int) -> np.ndarray:
    """G(n) = Σ_{j<n} ⌊j/M⌋ in closed form."""
    whole, rest = np.divmod(count, limit)
    return limit * whole * (whole - 1) / 2 + whole * rest


@pytest.mark.parametrize("per_tick", [600.0, 900.0])
def test_light_load_waits_half_an_interval(per_tick: float) -> None:
    """λT=600 or 900 with M=1000, T=300 s: about 150 s mean and p99 297 s."""
    estimate = estimate_micro_batch(per_tick / 300.0, 300.0, 1000, 0.0)

    assert estimate.stable
    assert estimate.latency_mean_s == pytest.approx(150.0, rel=1e-4)
    assert latency_quantile(per_tick / 300.0, 300.0, 1000, 0.0, 0.99) == pytest.approx(
        297.0, rel=1e-4
    )


@pytest.mark.parametrize(("per_tick", "simulated"), [(960.0, 150.6), (990.0, 160.6)])
def test_heavy_load_matches_the_simulation_and_kingman(
    per_tick: float, simulated: float
) -> None:
    """λT=960 and 990 agree with the simulated means and stay under Kingman's bound."""
    estimate = estimate_micro_batch(per_tick / 300.0, 300.0, 1000, 0.0)
    bound = 150.0 + 300.0 * per_tick / (2 * (1000 - per_tick)) / 1000

    assert estimate.latency_mean_s == pytest.approx(simulated, rel=0.02)
    assert estimate.latency_mean_s < bound
    assert estimate.backlog_mean < per_tick / (2 * (1000 - per_tick))


def test_overload_grows_the_backlog() -> None:
    """λT=1200 against M=1000 every 300 s adds 2,400 rows an hour."""
    estimate = estimate_micro_batch(4.0, 300.0, 1000, 0.0)

    assert not estimate.stable
    assert estimate.backlog_growth_per_h == pytest.approx(2400.0, rel=1e-12)
    assert estimate.latency_mean_s is None
    assert estimate.latency_p95_s is None


def test_arrivals_exactly_at_the_limit_are_unstable() -> None:
    """λT = M is not stable: no latency, and no growth on average."""
    estimate = estimate_micro_batch(1000 / 300, 300.0, 1000, 0.0)

    assert not estimate.stable
    assert estimate.latency_mean_s is None
    assert estimate.backlog_growth_per_h == pytest.approx(0.0, abs=1e-9)
    assert latency_quantile(1000 / 300, 300.0, 1000, 0.0, 0.99) is None


def test_slice_that_outlasts_the_interval_is_unstable() -> None:
    """A slice as long as the interval cannot keep up."""
    estimate = estimate_micro_batch(1.0, 60.0, 1000, 120.0)

    assert not estimate.stable
    assert estimate.backlog_growth_per_h == pytest.approx(1800.0, rel=1e-12)


@pytest.mark.parametrize(
    ("per_tick", "limit"), [(0.5, 1), (1.5, 2), (9.0, 10), (90.0, 100)]
)
def test_backlog_matches_iterating_the_recursion(per_tick: float, limit: int) -> None:
    """The Fourier factorisation equals plain iteration of the Lindley recursion."""
    fast = backlog_distribution(per_tick, limit)
    slow = iterate_lindley(per_tick, limit)

    size = min(len(fast), len(slow))
    assert np.abs(fast[:size] - slow[:size]).max() < 1e-11
    assert np.arange(size) @ fast[:size] == pytest.approx(
        np.arange(size) @ slow[:size], rel=1e-9
    )


@pytest.mark.parametrize("per_tick", [0.3, 0.5, 0.9, 0.99])
def test_single_record_limit_has_the_m_d_1_mean(per_tick: float) -> None:
    """With M=1, E[Q] = ρ²/(2(1 − ρ)) exactly."""
    backlog = backlog_distribution(per_tick, 1)

    expected = per_tick**2 / (2 * (1 - per_tick))
    assert np.arange(len(backlog)) @ backlog == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize("per_tick", [0.5, 1.5, 1.9])
def test_limit_of_two_matches_the_root_formula(per_tick: float) -> None:
    """With M=2, E[Q] = 1/(1 − z₁) − (2 − (λT)²)/(2(2 − λT)), z₁ = −e^{λT(z₁−1)/2}."""
    root = 0.0
    for _ in range(500):
        root = -math.exp(per_tick * (root - 1) / 2)

    expected = 1 / (1 - root) - (2 - per_tick**2) / (2 * (2 - per_tick))
    backlog = backlog_distribution(per_tick, 2)

    assert np.arange(len(backlog)) @ backlog == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize(("per_tick", "limit"), [(9.5, 10), (90.0, 100), (960.0, 1000)])
def test_mean_latency_matches_the_order_statistics_formula(
    per_tick: float, limit: int
) -> None:
    """E[L] = T/2 + T·E[G(Q+A) − G(Q)]/λT, summing over records in arrival order."""
    backlog = backlog_distribution(per_tick, limit)
    arrivals = poisson_pmf(per_tick, int(per_tick + 40 * math.sqrt(per_tick) + 40))
    present = np.convolve(backlog, arrivals)

    behind = present @ triangular_sum(np.arange(len(present)), limit)
    behind -= backlog @ triangular_sum(np.arange(len(backlog)), limit)
    expected = 300.0 * (0.5 + behind / per_tick) + 12.0

    estimate = estimate_micro_batch(per_tick / 300.0, 300.0, limit, 12.0)
    assert estimate.latency_mean_s == pytest.approx(expected, rel=1e-9)


def test_slice_duration_adds_to_every_latency() -> None:
    """The slice's processing time adds to the mean and the p95 alike."""
    without = estimate_micro_batch(3.2, 300.0, 1000, 0.0)
    with_slice = estimate_micro_batch(3.2, 300.0, 1000, 45.0)

    assert with_slice.latency_mean_s == pytest.approx(without.latency_mean_s + 45.0)
    assert with_slice.latency_p95_s == pytest.approx(without.latency_p95_s + 45.0)


def test_p95_without_backlog_is_a_uniform_wait() -> None:
    """With no backlog the p95 is 0.95 of the interval, like a uniform wait."""
    estimate = estimate_micro_batch(0.01, 60.0, 1000, 5.0)

    assert estimate.latency_p95_s == pytest.approx(0.95 * 60.0 + 5.0, rel=1e-9)


def test_zero_arrivals_wait_half_an_interval() -> None:
    """With no arrivals a record would wait half an interval plus the slice."""
    estimate = estimate_micro_batch(0.0, 300.0, 1000, 10.0)

    assert estimate.stable
    assert estimate.latency_mean_s == 160.0
    assert estimate.latency_p95_s == pytest.approx(295.0)
    assert estimate.backlog_growth_per_h == 0.0


@settings(max_examples=80, deadline=None)
@given(case=micro_batches())
def test_mean_latency_grows_with_the_arrival_rate(
    case: tuple[int, float, float, float],
) -> None:
    """More arrivals per tick never shorten the mean latency."""
    limit, interval_s, low, high = case

    slower = estimate_micro_batch(low, interval_s, limit, 0.0).latency_mean_s
    faster = estimate_micro_batch(high, interval_s, limit, 0.0).latency_mean_s

    assert faster >= slower * (1 - 1e-9)


@pytest.mark.parametrize(
    "arguments",
    [
        (-1.0, 300.0, 10, 0.0),
        (1.0, 0.0, 10, 0.0),
        (1.0, 300.0, 0, 0.0),
        (1.0, 300.0, 10, -1.0),
    ],
)
def test_bad_parameters_are_input_errors(
    arguments: tuple[float, float, int, float],
) -> None:
    """Out-of-range inputs raise InputError."""
    with pytest.raises(InputError, match="out of range"):
        estimate_micro_batch(*arguments)


def test_beyond_the_grid_the_backlog_is_geometric_with_kingmans_mean(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Too close to saturation for the grid, E[Q] is Kingman's λT/(2(M − λT))."""
    monkeypatch.setattr(micro_batch, "LARGEST_GRID", 256)

    with caplog.at_level("WARNING", logger="kit.estimate.micro_batch"):
        backlog = backlog_distribution(990.0, 1000)

    assert np.arange(len(backlog)) @ backlog == pytest.approx(49.5, rel=1e-9)
    assert "saturation" in caplog.text
