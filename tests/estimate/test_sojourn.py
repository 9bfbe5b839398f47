"""Gamma service plus exponential wait: closed forms against known cases."""

from __future__ import annotations

import math

import numpy as np
import pytest

from kit.estimate import erlang, sojourn


def trapezoid(values: np.ndarray, points: np.ndarray) -> float:
    """The trapezoid rule, written out (numpy renamed its own in 2.0)."""
    return float(np.sum((values[1:] + values[:-1]) * np.diff(points)) / 2)


@pytest.mark.parametrize("x", [0.01, 0.3, 1.0, 2.5, 4.0, 9.0, 30.0])
def test_gamma_survival_matches_closed_forms(x: float) -> None:
    """Shapes 1/2, 1, 2 and 3 have elementary tails; both series and fraction agree."""
    assert sojourn.gamma_survival(0.5, 1.0, x) == pytest.approx(
        math.erfc(math.sqrt(x)), rel=1e-10
    )
    assert sojourn.gamma_survival(1.0, 1.0, x) == pytest.approx(math.exp(-x), rel=1e-10)
    assert sojourn.gamma_survival(2.0, 1.0, x) == pytest.approx(
        (1 + x) * math.exp(-x), rel=1e-10
    )
    assert sojourn.gamma_survival(3.0, 2.0, 2 * x) == pytest.approx(
        (1 + x + x * x / 2) * math.exp(-x), rel=1e-10
    )


@pytest.mark.parametrize(
    ("arrival_rate", "service_rate", "servers"),
    [(40.0, 5.0, 10), (45.0, 5.0, 10), (4.0, 1.0, 5), (8.0, 10.0, 1), (300.0, 5.0, 80)],
)
@pytest.mark.parametrize("t", [0.02, 0.3, 1.0, 4.0])
def test_exponential_service_gives_the_exact_m_m_c_tail(
    arrival_rate: float, service_rate: float, servers: int, t: float
) -> None:
    """With cv²=1 and the M/M/c wait the sum's tail is the exact Erlang tail."""
    waiting = erlang.probability_of_wait(servers, arrival_rate / service_rate)
    rate = servers * service_rate - arrival_rate

    value = sojourn.sojourn_survival(waiting, rate, 1 / service_rate, 1.0, t)

    expected = erlang.sojourn_tail(arrival_rate, service_rate, servers, t)
    assert value == pytest.approx(expected, rel=1e-9, abs=1e-300)


@pytest.mark.parametrize(
    ("p_wait", "wait_rate", "mean_s", "cv2", "t"),
    [
        (0.4, 10.0, 0.2, 0.25, 0.5),  # gamma decays faster than the wait
        (0.2, 5.0, 0.2, 0.2, 0.4),
        (0.5, 5.0, 0.2, 1 / 7, 0.6),
        (0.7, 30.0, 0.2, 0.5, 0.3),  # wait decays faster than the gamma
        (0.9, 1000.0, 0.2, 0.5, 0.7),
    ],
)
def test_sum_tail_matches_numerical_integration(
    p_wait: float, wait_rate: float, mean_s: float, cv2: float, t: float
) -> None:
    """P(S>t) + p·∫f_S(s)e^{−θ(t−s)}ds agrees with a fine trapezoid rule."""
    shape = 1 / cv2
    scale = mean_s / shape
    s = np.linspace(0.0, t, 400_001)[1:]
    log_density = (
        (shape - 1) * np.log(s)
        - s / scale
        - math.lgamma(shape)
        - shape * math.log(scale)
    )
    density = np.exp(log_density)
    survival = 1 - trapezoid(
        np.concatenate(([0.0], density)), np.linspace(0, t, 400_001)
    )
    integral = trapezoid(density * np.exp(-wait_rate * (t - s)), s)

    value = sojourn.sojourn_survival(p_wait, wait_rate, mean_s, cv2, t)

    assert value == pytest.approx(survival + p_wait * integral, rel=1e-6)


def test_constant_service_shifts_the_wait_tail() -> None:
    """With cv²=0 the tail is 1 before the service time, then the shifted wait tail."""
    assert sojourn.sojourn_survival(0.4, 10.0, 0.2, 0.0, 0.1) == 1.0
    assert sojourn.sojourn_survival(0.4, 10.0, 0.2, 0.0, 0.3) == pytest.approx(
        0.4 * math.exp(-1.0), rel=1e-12
    )
    assert sojourn.service_quantile(0.2, 0.0, 0.95) == 0.2


def test_service_quantile_of_an_exponential() -> None:
    """The 95th percentile of an exponential is ln(20) times its mean."""
    assert sojourn.service_quantile(0.3, 1.0, 0.95) == pytest.approx(
        0.3 * math.log(20), rel=1e-9
    )


def test_no_wait_leaves_the_service_time() -> None:
    """With no chance of waiting the time in system is the service time."""
    assert sojourn.sojourn_quantile(0.0, 5.0, 1.0, 0.5, 0.95) == pytest.approx(
        sojourn.service_quantile(1.0, 0.5, 0.95), rel=1e-12
    )


def test_nearly_constant_service_is_taken_as_constant() -> None:
    """Below a 1 % coefficient of variation the service time counts as constant."""
    assert sojourn.service_quantile(0.2, 1e-5, 0.95) == 0.2
    assert sojourn.service_quantile(0.2, 1e-3, 0.95) == pytest.approx(
        0.2 * (1 + 1.645 * math.sqrt(1e-3)), rel=5e-3
    )
