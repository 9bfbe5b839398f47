"""Streaming estimates: exact M/M/c, Pollaczek–Khinchine, Kingman, Allen–Cunneen."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings

from kit.errors import InputError
from kit.estimate import erlang, sojourn
from kit.estimate.streaming import estimate_streaming, latency_p95
from tests.strategies import queues


def test_exponential_case_is_exact_erlang_c() -> None:
    """λ=40, E[S]=0.2, c=10 reproduces the facts file's M/M/c figures."""
    estimate = estimate_streaming(40.0, 0.2, 1.0, 10, slo_s=60.0)

    assert estimate.model == "erlang-c"
    assert estimate.stable
    assert estimate.utilisation == pytest.approx(0.8, rel=1e-12)
    assert estimate.p_wait == pytest.approx(0.40918, rel=1e-4)
    assert estimate.wait_mean_s == pytest.approx(0.040918, rel=1e-4)
    assert estimate.latency_mean_s == pytest.approx(0.24092, rel=1e-4)
    assert erlang.sojourn_tail(40.0, 5.0, 10, estimate.latency_p95_s) == pytest.approx(
        0.05, rel=1e-9
    )


def test_m_m_1_percentile_is_closed_form() -> None:
    """For M/M/1 the p95 of latency is ln(20)/(μ − λ)."""
    estimate = estimate_streaming(8.0, 0.1, 1.0, 1, slo_s=60.0)

    assert estimate.latency_p95_s == pytest.approx(math.log(20) / 2.0, rel=1e-9)
    assert estimate.latency_mean_s == pytest.approx(0.5, rel=1e-12)


def test_general_service_on_one_consumer_is_pollaczek_khinchine() -> None:
    """M/G/1 with λ=8, E[S]=0.1, cs²=2 has the facts file's Wq=0.6."""
    estimate = estimate_streaming(8.0, 0.1, 2.0, 1, slo_s=60.0)

    assert estimate.model == "pollaczek-khinchine"
    assert estimate.wait_mean_s == pytest.approx(0.6, rel=1e-12)
    assert estimate.p_wait == pytest.approx(0.8, rel=1e-12)


def test_constant_service_is_m_d_1() -> None:
    """M/D/1 with λ=8, μ=10 waits 0.2 s and spends 0.3 s in the system."""
    estimate = estimate_streaming(8.0, 0.1, 0.0, 1, slo_s=60.0)

    assert estimate.wait_mean_s == pytest.approx(0.2, rel=1e-12)
    assert estimate.latency_mean_s == pytest.approx(0.3, rel=1e-12)


def test_one_consumer_with_other_arrivals_is_kingman() -> None:
    """ρ=0.8, E[S]=0.1, ca²=0.5, cs²=0.25 gives Kingman's Wq≈0.150."""
    estimate = estimate_streaming(8.0, 0.1, 0.25, 1, slo_s=60.0, arrival_cv2=0.5)

    assert estimate.model == "kingman"
    assert estimate.wait_mean_s == pytest.approx(0.150, rel=1e-9)


def test_several_consumers_with_general_service_is_allen_cunneen() -> None:
    """λ=40, μ=5, c=10, cs²=0.25 gives the facts file's Wq≈0.02557."""
    estimate = estimate_streaming(40.0, 0.2, 0.25, 10, slo_s=60.0)

    assert estimate.model == "allen-cunneen"
    assert estimate.wait_mean_s == pytest.approx(0.02557, rel=1e-3)
    assert estimate.wait_mean_s == pytest.approx(0.040918 * 0.625, rel=1e-4)


def test_approximate_percentile_uses_the_matched_exponential_wait() -> None:
    """The G/G/c p95 is where the gamma-plus-exponential tail falls to 5 %."""
    estimate = estimate_streaming(40.0, 0.2, 2.25, 10, slo_s=60.0)
    rate = estimate.p_wait / estimate.wait_mean_s

    tail = sojourn.sojourn_survival(
        estimate.p_wait, rate, 0.2, 2.25, estimate.latency_p95_s
    )

    assert tail == pytest.approx(0.05, rel=1e-9)
    assert rate == pytest.approx((50.0 - 40.0) / ((1 + 2.25) / 2), rel=1e-12)


@pytest.mark.parametrize("arrival_rate", [50.0, 55.0])
def test_full_or_over_utilisation_is_unstable(arrival_rate: float) -> None:
    """At utilisation 1 and above the queue is unstable and no latency is given."""
    estimate = estimate_streaming(arrival_rate, 0.2, 1.0, 10, slo_s=2.0)

    assert not estimate.stable
    assert estimate.utilisation >= 1.0
    assert estimate.wait_mean_s is None
    assert estimate.latency_mean_s is None
    assert estimate.latency_p95_s is None
    assert estimate.min_consumers_for_slo is not None
    assert estimate.min_consumers_for_slo > arrival_rate * 0.2


def test_zero_arrivals_leave_only_the_service_time() -> None:
    """With no arrivals nobody waits and latency is the service time."""
    estimate = estimate_streaming(0.0, 0.2, 0.5, 3, slo_s=60.0)

    assert estimate.utilisation == 0.0
    assert estimate.p_wait == 0.0
    assert estimate.wait_mean_s == 0.0
    assert estimate.latency_mean_s == 0.2
    assert estimate.latency_p95_s == pytest.approx(
        sojourn.service_quantile(0.2, 0.5, 0.95), rel=1e-12
    )
    assert estimate.min_consumers_for_slo == 1


@pytest.mark.parametrize(
    ("arrival_rate", "cv2", "slo_s"),
    [(40.0, 1.0, 1.0), (40.0, 1.0, 0.61), (40.0, 2.25, 1.2), (400.0, 0.5, 0.5)],
)
def test_min_consumers_is_the_smallest_that_meets_the_slo(
    arrival_rate: float, cv2: float, slo_s: float
) -> None:
    """The count found meets the p95 objective and one fewer does not."""
    fewest = estimate_streaming(arrival_rate, 0.2, cv2, 10, slo_s).min_consumers_for_slo

    assert fewest is not None
    assert latency_p95(arrival_rate, 0.2, cv2, fewest) <= slo_s
    fewer = latency_p95(arrival_rate, 0.2, cv2, fewest - 1)
    assert fewer is None or fewer > slo_s


def test_min_consumers_is_none_when_service_alone_is_too_slow() -> None:
    """When the service time's own p95 exceeds the objective no count helps."""
    estimate = estimate_streaming(40.0, 0.2, 1.0, 10, slo_s=0.5)

    assert sojourn.service_quantile(0.2, 1.0, 0.95) > 0.5
    assert estimate.min_consumers_for_slo is None


def test_min_consumers_scales_to_thousands() -> None:
    """A load of 5,000 busy consumers is searched quickly and correctly."""
    fewest = estimate_streaming(5000.0, 1.0, 1.0, 5200, 3.5).min_consumers_for_slo

    assert fewest is not None and 5000 < fewest <= 10_000
    assert latency_p95(5000.0, 1.0, 1.0, fewest) <= 3.5
    assert latency_p95(5000.0, 1.0, 1.0, fewest - 1) > 3.5


@settings(max_examples=100, deadline=None)
@given(queue=queues())
def test_more_consumers_never_raise_the_wait(
    queue: tuple[float, float, float, float, int],
) -> None:
    """Adding a consumer never raises the mean wait or the latency p95."""
    arrival_rate, mean_s, cv2, arrival_cv2, consumers = queue

    fewer = estimate_streaming(arrival_rate, mean_s, cv2, consumers, 1.0, arrival_cv2)
    more = estimate_streaming(
        arrival_rate, mean_s, cv2, consumers + 1, 1.0, arrival_cv2
    )

    assert more.wait_mean_s <= fewer.wait_mean_s * (1 + 1e-12) + 1e-300
    assert more.latency_p95_s <= fewer.latency_p95_s * (1 + 1e-9)


@pytest.mark.parametrize(
    "arguments",
    [
        (-1.0, 0.2, 1.0, 1, 1.0),
        (1.0, 0.0, 1.0, 1, 1.0),
        (1.0, 0.2, -1.0, 1, 1.0),
        (1.0, 0.2, 1.0, 0, 1.0),
        (1.0, 0.2, 1.0, 1, 0.0),
    ],
)
def test_bad_parameters_are_input_errors(arguments: tuple[float, ...]) -> None:
    """Out-of-range inputs raise InputError naming the parameter."""
    with pytest.raises(InputError, match="out of range"):
        estimate_streaming(*arguments)  # type: ignore[arg-type]


def test_capacity_used_up_by_rounding_is_unstable() -> None:
    """λ·E[S] rounds just below 13 while 13·μ − λ is exactly 0: unstable, no crash."""
    rate, mean_s = 21.09089602229023, 0.6163796922738964

    estimate = estimate_streaming(rate, mean_s, 0.0, 13, 1.0)

    assert estimate.utilisation < 1.0
    assert not estimate.stable and estimate.latency_mean_s is None
