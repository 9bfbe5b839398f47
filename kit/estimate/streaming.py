"""Freshness of streaming: consumers draining a broker queue, as a c-server queue.

Which model answers depends on what is known exactly:

- ``"erlang-c"``: Poisson arrivals and exponential service (cv² = 1 for both),
  the M/M/c queue; mean and 95th percentile are exact.
- ``"pollaczek-khinchine"``: Poisson arrivals, one consumer, general service,
  the M/G/1 queue; the mean wait is exact, the percentile approximate.
- ``"kingman"``: one consumer, non-Poisson arrivals (G/G/1); both approximate.
- ``"allen-cunneen"``: several consumers with general service or arrivals
  (G/G/c): Wq ≈ Wq(M/M/c)·(ca² + cs²)/2; both approximate.

For the approximate models the wait tail keeps the M/M/c shape matched to the
approximate mean, P(Wq > t) ≈ C·exp(−t·C/Wq) with C the Erlang C probability,
and the service time is a gamma distribution with the given mean and cv²; the
percentile of their sum comes from ``kit.estimate.sojourn``.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

from kit.errors import InputError
from kit.estimate import erlang, sojourn

# The largest consumer count min_consumers_for_slo searches.
MOST_CONSUMERS = 10_000


@dataclass(frozen=True)
class StreamingEstimate:
    """Queueing figures for one consumer count; latencies are None when unstable."""

    utilisation: float
    stable: bool
    p_wait: float
    wait_mean_s: float | None
    latency_mean_s: float | None
    latency_p95_s: float | None
    min_consumers_for_slo: int | None
    model: str
    consumers: int


def estimate_streaming(
    arrival_rate: float,
    mean_service_s: float,
    service_cv2: float,
    consumers: int,
    slo_s: float,
    arrival_cv2: float = 1.0,
) -> StreamingEstimate:
    """Estimate waiting and latency with ``consumers`` consumers, and the fewest
    consumers whose 95th-percentile latency meets ``slo_s``.

    Latency is arrival to the end of processing (wait plus service). The queue is
    unstable when utilisation λ·E[S]/c >= 1: then ``stable`` is False, p_wait is
    1 and every latency is None, while ``min_consumers_for_slo`` is still given.
    It is None when no count up to 10,000 meets the objective, for instance when
    the service time's own 95th percentile exceeds it. Zero arrivals give no
    wait and a latency equal to the service time.

    >>> estimate = estimate_streaming(40.0, 0.2, 1.0, 10, 1.0)
    >>> estimate.model, round(estimate.wait_mean_s, 6), estimate.min_consumers_for_slo
    ('erlang-c', 0.040918, 9)
    """
    _check_inputs(arrival_rate, mean_service_s, service_cv2, consumers, arrival_cv2)
    if not (slo_s > 0 and math.isfinite(slo_s)):
        raise InputError(
            f"slo_s = {slo_s!r} is out of range; it must be a finite number > 0."
        )

    estimate = _queue_figures(
        arrival_rate, mean_service_s, service_cv2, arrival_cv2, consumers
    )
    fewest = _min_consumers_for_slo(
        arrival_rate, mean_service_s, service_cv2, arrival_cv2, slo_s
    )
    return dataclasses.replace(estimate, min_consumers_for_slo=fewest)


def latency_p95(
    arrival_rate: float,
    mean_service_s: float,
    service_cv2: float,
    consumers: int,
    arrival_cv2: float = 1.0,
) -> float | None:
    """Return the 95th percentile of latency with this many consumers, or None
    when the queue is unstable.

    >>> round(latency_p95(8.0, 0.1, 1.0, 1), 6)  # M/M/1: ln(20)/(μ − λ)
    1.497866
    """
    _check_inputs(arrival_rate, mean_service_s, service_cv2, consumers, arrival_cv2)
    estimate = _queue_figures(
        arrival_rate, mean_service_s, service_cv2, arrival_cv2, consumers
    )
    return estimate.latency_p95_s


def _queue_figures(
    arrival_rate: float,
    mean_service_s: float,
    service_cv2: float,
    arrival_cv2: float,
    consumers: int,
) -> StreamingEstimate:
    """Return every figure of the estimate but the consumer search (left None)."""
    service_rate = 1.0 / mean_service_s
    offered_load = arrival_rate * mean_service_s
    utilisation = offered_load / consumers
    model = _model_name(service_cv2, arrival_cv2, consumers)
    # Capacity left over; rounding can leave it at zero while utilisation < 1.
    spare_rate = consumers * service_rate - arrival_rate

    if utilisation >= 1.0 or spare_rate <= 0:
        return StreamingEstimate(
            utilisation=utilisation,
            stable=False,
            p_wait=1.0,
            wait_mean_s=None,
            latency_mean_s=None,
            latency_p95_s=None,
            min_consumers_for_slo=None,
            model=model,
            consumers=consumers,
        )

    p_wait = erlang.probability_of_wait(consumers, offered_load)
    variability = (arrival_cv2 + service_cv2) / 2.0
    if variability == 0:
        p_wait = 0.0
    wait_mean = p_wait / spare_rate * variability

    if model == "erlang-c":
        p95 = erlang.sojourn_quantile(arrival_rate, service_rate, consumers, 0.95)
    elif wait_mean == 0:
        p95 = sojourn.service_quantile(mean_service_s, service_cv2, 0.95)
    else:
        wait_rate = p_wait / wait_mean
        p95 = sojourn.sojourn_quantile(
            p_wait, wait_rate, mean_service_s, service_cv2, 0.95
        )

    return StreamingEstimate(
        utilisation=utilisation,
        stable=True,
        p_wait=p_wait,
        wait_mean_s=wait_mean,
        latency_mean_s=wait_mean + mean_service_s,
        latency_p95_s=p95,
        min_consumers_for_slo=None,
        model=model,
        consumers=consumers,
    )


def _min_consumers_for_slo(
    arrival_rate: float,
    mean_service_s: float,
    service_cv2: float,
    arrival_cv2: float,
    slo_s: float,
) -> int | None:
    """Return the fewest consumers whose latency p95 is at most ``slo_s``.

    The p95 never rises with more consumers (the Erlang C probability falls and
    the wait decays faster), so a doubling search then bisection finds it.
    """
    if sojourn.service_quantile(mean_service_s, service_cv2, 0.95) > slo_s:
        return None

    def meets(consumers: int) -> bool:
        p95 = _queue_figures(
            arrival_rate, mean_service_s, service_cv2, arrival_cv2, consumers
        ).latency_p95_s
        return p95 is not None and p95 <= slo_s

    fewest_stable = math.floor(arrival_rate * mean_service_s) + 1
    if fewest_stable > MOST_CONSUMERS:
        return None
    if meets(fewest_stable):
        return fewest_stable

    low, step = fewest_stable, 1
    high = min(MOST_CONSUMERS, low + step)
    while not meets(high):
        if high == MOST_CONSUMERS:
            return None
        low, step = high, step * 2
        high = min(MOST_CONSUMERS, low + step)

    while high - low > 1:
        middle = (low + high) // 2
        if meets(middle):
            high = middle
        else:
            low = middle
    return high


def _model_name(service_cv2: float, arrival_cv2: float, consumers: int) -> str:
    """Name the model that gives the figures for these inputs."""
    if service_cv2 == 1.0 and arrival_cv2 == 1.0:
        return "erlang-c"
    if consumers > 1:
        return "allen-cunneen"
    return "pollaczek-khinchine" if arrival_cv2 == 1.0 else "kingman"


def _check_inputs(
    arrival_rate: float,
    mean_service_s: float,
    service_cv2: float,
    consumers: int,
    arrival_cv2: float,
) -> None:
    """Raise naming the first parameter that is out of range."""
    checks = (
        ("arrival_rate", arrival_rate, arrival_rate >= 0, "a number >= 0"),
        ("mean_service_s", mean_service_s, mean_service_s > 0, "a number > 0"),
        ("service_cv2", service_cv2, service_cv2 >= 0, "a number >= 0"),
        ("arrival_cv2", arrival_cv2, arrival_cv2 >= 0, "a number >= 0"),
    )
    for name, value, valid, allowed in checks:
        if not (valid and math.isfinite(value)):
            raise InputError(
                f"{name} = {value!r} is out of range; it must be {allowed}."
            )
    if isinstance(consumers, bool) or not isinstance(consumers, int) or consumers < 1:
        raise InputError(
            f"consumers = {consumers!r} is out of range; it must be a whole number "
            ">= 1."
        )
