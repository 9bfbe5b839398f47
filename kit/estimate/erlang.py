"""The M/M/c queue: Erlang C probability of waiting, mean wait and wait tails.

Notation: arrival rate λ, service rate μ per server, c servers, offered load
a = λ/μ, utilisation ρ = a/c. M/M/1 is the case c = 1 of every function here.
Sources: Gross, Shortle, Thompson and Harris, *Fundamentals of Queueing Theory*,
4th ed. (2008), chapter 2.
"""

from __future__ import annotations

import math

from kit.errors import InputError
from kit.estimate._bisect import solve_decreasing


def probability_of_wait(servers: int, offered_load: float) -> float:
    """Return the Erlang C probability that an arrival has to wait.

    Uses the recursion B₀ = 1, B_k = a·B_{k−1}/(k + a·B_{k−1}) for the Erlang B
    blocking probability, then C = c·B_c/(c − a(1 − B_c)); every step stays
    within [0, 1], so it is stable for thousands of servers. An unstable queue
    (a >= c) makes every arrival wait: 1.0.

    >>> round(probability_of_wait(10, 8.0), 5)
    0.40918
    >>> probability_of_wait(1, 0.8)  # M/M/1: the utilisation
    0.8
    """
    _check_servers(servers)
    if offered_load < 0 or not math.isfinite(offered_load):
        raise InputError(
            f"offered load {offered_load!r} is out of range; it must be a finite "
            "number >= 0."
        )
    if offered_load == 0:
        return 0.0
    if offered_load >= servers:
        return 1.0

    blocking = 1.0
    for k in range(1, servers + 1):
        blocking = offered_load * blocking / (k + offered_load * blocking)

    waiting = servers * blocking / (servers - offered_load * (1.0 - blocking))
    return min(waiting, 1.0)


def mean_wait(arrival_rate: float, service_rate: float, servers: int) -> float:
    """Return the M/M/c mean wait in queue Wq = C/(cμ − λ); inf when unstable.

    >>> round(mean_wait(8.0, 10.0, 1), 12)  # M/M/1: ρ/(μ − λ)
    0.4
    """
    _check_rates(arrival_rate, service_rate)
    capacity = servers * service_rate
    if arrival_rate >= capacity:
        return math.inf

    waiting = probability_of_wait(servers, arrival_rate / service_rate)
    return waiting / (capacity - arrival_rate)


def wait_tail(
    arrival_rate: float, service_rate: float, servers: int, t: float
) -> float:
    """Return P(Wq > t) = C·exp(−(cμ − λ)t) for t >= 0; 1.0 when unstable.

    >>> round(wait_tail(40.0, 5.0, 10, 0.1), 5)
    0.15053
    """
    _check_rates(arrival_rate, service_rate)
    capacity = servers * service_rate
    if arrival_rate >= capacity:
        return 1.0

    waiting = probability_of_wait(servers, arrival_rate / service_rate)
    return waiting * math.exp(-(capacity - arrival_rate) * max(t, 0.0))


def sojourn_tail(
    arrival_rate: float, service_rate: float, servers: int, t: float
) -> float:
    """Return P(W > t), the chance a record spends more than t in the system.

    P(W > t) = e^{−μt}·[1 + C·(1 − e^{−(cμ − λ − μ)t})/(c − 1 − a)]; the bracket's
    fraction is computed as μ·(1 − e^{−xt})/x with x = cμ − λ − μ, which tends to
    μ·t when c − 1 − a = 0, and in a form that neither overflows nor cancels for
    either sign of x. 1.0 when unstable.

    >>> round(sojourn_tail(40.0, 5.0, 10, 0.5), 6)
    0.112916
    >>> round(sojourn_tail(8.0, 10.0, 1, 1.0), 5)  # M/M/1: exp(−(μ − λ)t)
    0.13534
    """
    _check_rates(arrival_rate, service_rate)
    capacity = servers * service_rate
    if arrival_rate >= capacity:
        return 1.0
    if t <= 0:
        return 1.0

    waiting = probability_of_wait(servers, arrival_rate / service_rate)
    excess = capacity - arrival_rate - service_rate

    if excess == 0:
        spread = math.exp(-service_rate * t) * t
    elif excess > 0:
        spread = math.exp(-service_rate * t) * -math.expm1(-excess * t) / excess
    else:
        spread = math.exp(-(capacity - arrival_rate) * t) * math.expm1(excess * t)
        spread /= excess

    return math.exp(-service_rate * t) + waiting * service_rate * spread


def sojourn_quantile(
    arrival_rate: float, service_rate: float, servers: int, probability: float
) -> float:
    """Return the time t with P(W <= t) = probability, by bisection on the tail.

    >>> t = sojourn_quantile(8.0, 10.0, 1, 0.95)  # M/M/1: ln(20)/(μ − λ)
    >>> round(t, 9) == round(math.log(20) / 2, 9)
    True
    """
    if not 0 < probability < 1:
        raise InputError(
            f"probability {probability!r} is out of range; it must lie strictly "
            "between 0 and 1."
        )
    if arrival_rate >= servers * service_rate:
        return math.inf

    def tail(t: float) -> float:
        return sojourn_tail(arrival_rate, service_rate, servers, t)

    return solve_decreasing(tail, 1.0 - probability, 1.0 / service_rate)


def _check_servers(servers: int) -> None:
    """Raise unless the number of servers is a whole number >= 1."""
    if isinstance(servers, bool) or not isinstance(servers, int) or servers < 1:
        raise InputError(
            f"servers = {servers!r} is out of range; it must be a whole number >= 1."
        )


def _check_rates(arrival_rate: float, service_rate: float) -> None:
    """Raise unless λ >= 0 and μ > 0 are finite."""
    if not (math.isfinite(arrival_rate) and arrival_rate >= 0):
        raise InputError(
            f"arrival rate {arrival_rate!r} is out of range; it must be a finite "
            "number >= 0."
        )
    if not (math.isfinite(service_rate) and service_rate > 0):
        raise InputError(
            f"service rate {service_rate!r} is out of range; it must be a finite "
            "number > 0."
        )
