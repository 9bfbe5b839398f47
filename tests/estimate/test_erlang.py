"""The M/M/c formulas against the facts file, exact arithmetic and integration."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest

from kit.errors import InputError
from kit.estimate import erlang


def trapezoid(values: np.ndarray, points: np.ndarray) -> float:
    """The trapezoid rule, written out (numpy renamed its own in 2.0)."""
    return float(np.sum((values[1:] + values[:-1]) * np.diff(points)) / 2)


def erlang_c_by_sum(servers: int, offered_load: Fraction) -> Fraction:
    """Erlang C from its textbook sum, in exact rational arithmetic."""
    top = offered_load**servers / math.factorial(servers)
    top *= Fraction(servers) / (servers - offered_load)
    below = sum(offered_load**k / math.factorial(k) for k in range(servers))
    return top / (below + top)


def erlang_c_in_logs(servers: int, offered_load: float) -> float:
    """Erlang C from the same sum evaluated with logarithms, for large c."""
    logs = [k * math.log(offered_load) - math.lgamma(k + 1) for k in range(servers)]
    log_top = (
        servers * math.log(offered_load)
        - math.lgamma(servers + 1)
        + math.log(servers / (servers - offered_load))
    )
    largest = max(*logs, log_top)
    below = sum(math.exp(value - largest) for value in logs)
    top = math.exp(log_top - largest)
    return top / (below + top)


def test_facts_ten_servers_at_eighty_percent() -> None:
    """λ=40, μ=5, c=10 gives the facts file's C, Wq, W, Lq and tails."""
    waiting = erlang.probability_of_wait(10, 8.0)
    wait = erlang.mean_wait(40.0, 5.0, 10)

    assert waiting == pytest.approx(0.40918, rel=1e-4)
    assert wait == pytest.approx(0.040918, rel=1e-4)
    assert wait + 1 / 5 == pytest.approx(0.24092, rel=1e-4)
    assert 40.0 * wait == pytest.approx(1.6367, rel=1e-4)
    assert erlang.wait_tail(40.0, 5.0, 10, 0.1) == pytest.approx(0.15053, rel=1e-4)
    assert erlang.sojourn_tail(40.0, 5.0, 10, 0.5) == pytest.approx(0.112916, rel=1e-5)


def test_facts_nine_servers_and_the_minute_example() -> None:
    """c=9 at λ=40, μ=5 and λ=2/min, μ=1/3/min, c=10 match the facts file."""
    assert erlang.probability_of_wait(9, 8.0) == pytest.approx(0.65333, rel=1e-4)
    assert erlang.mean_wait(40.0, 5.0, 9) == pytest.approx(0.13067, rel=1e-4)
    assert erlang.probability_of_wait(10, 6.0) == pytest.approx(0.10130, rel=1e-4)
    assert erlang.mean_wait(2.0, 1 / 3, 10) == pytest.approx(0.07597, rel=1e-4)


def test_one_server_is_the_m_m_1_queue() -> None:
    """With c=1 the formulas reduce to M/M/1: C=ρ, Wq=ρ/(μ−λ), P(W>t)=e^{−(μ−λ)t}."""
    assert erlang.probability_of_wait(1, 0.8) == pytest.approx(0.8, rel=1e-12)
    assert erlang.mean_wait(8.0, 10.0, 1) == pytest.approx(0.4, rel=1e-12)
    assert erlang.sojourn_tail(8.0, 10.0, 1, 1.0) == pytest.approx(
        math.exp(-2), rel=1e-12
    )
    assert erlang.wait_tail(8.0, 10.0, 1, 1.0) == pytest.approx(
        0.8 * math.exp(-2), rel=1e-12
    )
    assert erlang.sojourn_tail(8.0, 10.0, 1, 1.0) == pytest.approx(0.13534, rel=1e-4)
    assert erlang.wait_tail(8.0, 10.0, 1, 1.0) == pytest.approx(0.10827, rel=1e-4)


@pytest.mark.parametrize(
    ("servers", "load"),
    [(1, Fraction(1, 2)), (2, Fraction(3, 2)), (5, Fraction(7, 2)), (12, Fraction(11))],
)
def test_recursion_matches_the_explicit_sum(servers: int, load: Fraction) -> None:
    """The stable recursion equals the textbook sum computed in exact fractions."""
    exact = float(erlang_c_by_sum(servers, load))

    assert erlang.probability_of_wait(servers, float(load)) == pytest.approx(
        exact, rel=1e-12
    )


@pytest.mark.parametrize(
    ("servers", "load"), [(200, 190.0), (1000, 950.0), (3000, 2999.0)]
)
def test_large_server_counts_stay_accurate(servers: int, load: float) -> None:
    """For hundreds to thousands of servers the recursion matches the log-space sum."""
    value = erlang.probability_of_wait(servers, load)

    assert 0 < value < 1
    assert value == pytest.approx(erlang_c_in_logs(servers, load), rel=1e-9)


@pytest.mark.parametrize(
    ("arrival_rate", "service_rate", "servers"),
    [(40.0, 5.0, 10), (36.0, 5.0, 10), (45.0, 5.0, 10), (8.0, 10.0, 1), (4.0, 1.0, 5)],
)
@pytest.mark.parametrize("t", [0.05, 0.5, 2.0])
def test_sojourn_tail_matches_numerical_convolution(
    arrival_rate: float, service_rate: float, servers: int, t: float
) -> None:
    """P(W>t) equals e^{−μt} + ∫μe^{−μs}·P(Wq>t−s)ds integrated numerically.

    The cases cover c−1−a above, below and exactly at zero (λ=45 and λ=4, μ=1, c=5).
    """
    s = np.linspace(0.0, t, 200_001)
    density = service_rate * np.exp(-service_rate * s)
    waiting = erlang.probability_of_wait(servers, arrival_rate / service_rate)
    exact_waits = waiting * np.exp(-(servers * service_rate - arrival_rate) * (t - s))
    middle = erlang.wait_tail(arrival_rate, service_rate, servers, t / 2)
    assert middle == pytest.approx(exact_waits[100_000], rel=1e-12)

    integral = float(trapezoid(density * exact_waits, s))
    expected = math.exp(-service_rate * t) + integral

    assert erlang.sojourn_tail(arrival_rate, service_rate, servers, t) == pytest.approx(
        expected, rel=1e-8
    )


def test_tail_is_continuous_where_c_minus_one_equals_the_load() -> None:
    """At c−1−a=0 the limit joins the values just either side of it."""
    at = erlang.sojourn_tail(4.0, 1.0, 5, 1.5)
    below = erlang.sojourn_tail(4.0 - 1e-7, 1.0, 5, 1.5)
    above = erlang.sojourn_tail(4.0 + 1e-7, 1.0, 5, 1.5)

    assert below == pytest.approx(at, rel=1e-6)
    assert above == pytest.approx(at, rel=1e-6)


def test_sojourn_quantile_solves_the_tail() -> None:
    """The quantile is where the exact tail equals one minus the probability."""
    t = erlang.sojourn_quantile(40.0, 5.0, 10, 0.95)

    assert erlang.sojourn_tail(40.0, 5.0, 10, t) == pytest.approx(0.05, rel=1e-9)
    assert erlang.sojourn_quantile(8.0, 10.0, 1, 0.95) == pytest.approx(
        math.log(20) / 2, rel=1e-9
    )


@pytest.mark.parametrize("arrival_rate", [50.0, 60.0])
def test_unstable_queue_waits_forever(arrival_rate: float) -> None:
    """At or above full utilisation everyone waits and the mean wait is infinite."""
    assert erlang.probability_of_wait(10, arrival_rate / 5) == 1.0
    assert math.isinf(erlang.mean_wait(arrival_rate, 5.0, 10))
    assert erlang.sojourn_tail(arrival_rate, 5.0, 10, 100.0) == 1.0
    assert math.isinf(erlang.sojourn_quantile(arrival_rate, 5.0, 10, 0.95))


def test_no_arrivals_means_no_wait() -> None:
    """With no arrivals nobody waits and the time in system is the service time."""
    assert erlang.probability_of_wait(3, 0.0) == 0.0
    assert erlang.mean_wait(0.0, 5.0, 3) == 0.0
    assert erlang.sojourn_tail(0.0, 5.0, 3, 0.2) == pytest.approx(math.exp(-1.0))


@pytest.mark.parametrize(
    "call",
    [
        lambda: erlang.probability_of_wait(0, 1.0),
        lambda: erlang.probability_of_wait(2, -1.0),
        lambda: erlang.mean_wait(1.0, 0.0, 2),
        lambda: erlang.mean_wait(-1.0, 1.0, 2),
        lambda: erlang.sojourn_quantile(1.0, 2.0, 1, 1.0),
    ],
)
def test_bad_parameters_are_input_errors(call: object) -> None:
    """Out-of-range parameters raise InputError."""
    with pytest.raises(InputError):
        call()  # type: ignore[operator]
