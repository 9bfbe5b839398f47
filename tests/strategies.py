"""Hypothesis strategies shared by the tests: scenarios and model parameters."""

from __future__ import annotations

import string

from hypothesis import strategies as st

from kit.scenario import Scenario, scenario_from_dict


def finite_floats(low: float, high: float) -> st.SearchStrategy[float]:
    """Finite floats in [low, high]."""
    return st.floats(low, high, allow_nan=False, allow_infinity=False)


@st.composite
def queues(draw: st.DrawFn) -> tuple[float, float, float, float, int]:
    """A stable queue: (arrival rate, mean service s, service cv², arrival cv², c)."""
    consumers = draw(st.integers(1, 40))
    utilisation = draw(finite_floats(0.01, 0.97))
    mean_service_s = draw(finite_floats(0.01, 2.0))
    service_cv2 = draw(st.sampled_from([0.0, 0.25, 1.0, 1.0, 2.25]))
    arrival_cv2 = draw(st.sampled_from([1.0, 1.0, 0.5, 2.0]))
    arrival_rate = utilisation * consumers / mean_service_s
    return arrival_rate, mean_service_s, service_cv2, arrival_cv2, consumers


@st.composite
def caches(draw: st.DrawFn) -> tuple[int, float, float]:
    """A key population and its traffic: (keys, Zipf alpha, lookups per second)."""
    keys = draw(st.integers(1, 3000))
    alpha = draw(finite_floats(0.0, 1.5))
    lookup_rate = draw(finite_floats(0.001, 200.0))
    return keys, alpha, lookup_rate


@st.composite
def micro_batches(draw: st.DrawFn) -> tuple[int, float, float, float]:
    """A stable micro-batch: (limit, interval s, lower rate, higher rate)."""
    limit = draw(st.integers(1, 400))
    interval_s = draw(finite_floats(1.0, 600.0))
    low = draw(finite_floats(0.0, 0.97))
    high = draw(finite_floats(low, 0.97))
    per_second = limit / interval_s
    return limit, interval_s, low * per_second, high * per_second


# Odd characters included; a name is never blank, which the loader refuses.
_NAMES = st.text(string.ascii_letters + string.digits + ' _-"\\é', min_size=1).filter(
    str.strip
)


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    """A valid scenario with a random mix of keys set away from their defaults."""
    process = draw(st.sampled_from(["poisson", "profile", "records"]))
    arrivals: dict[str, object] = {
        "process": process,
        "rate_per_s": draw(finite_floats(0.0, 1e4)),
    }
    if process == "profile":
        arrivals["hourly_rates"] = draw(
            st.lists(finite_floats(0, 100), min_size=24, max_size=24)
        )
    if process == "records":
        arrivals["file"] = draw(_NAMES)
    if draw(st.booleans()):
        arrivals["duration_s"] = draw(finite_floats(1.0, 1e6))
        arrivals["count"] = draw(st.integers(1, 1_000_000))

    cache = draw(st.sampled_from(["none", "ttl", "ttl-reset", "lru"]))
    data = {
        "name": draw(_NAMES),
        "seed": draw(st.integers(0, 2**31)),
        "slo_s": draw(finite_floats(0.001, 1e6)),
        "arrivals": arrivals,
        "service": {
            "distribution": draw(
                st.sampled_from(["exponential", "constant", "lognormal", "gamma"])
            ),
            "mean_s": draw(finite_floats(1e-4, 100.0)),
            "cv": draw(finite_floats(0.01, 5.0)),
        },
        "failures": {"transient_rate": draw(finite_floats(0.0, 1.0))},
        "enrichment": {
            "calls_per_record": draw(st.integers(0, 5)),
            "cache": cache,
            "cache_ttl_s": draw(finite_floats(1.0, 1e5)),
            "cache_capacity": draw(st.integers(1, 10**6)),
        },
        "streaming": {
            "consumers": draw(st.integers(1, 500)),
            "queue": draw(st.sampled_from(["standard", "fifo"])),
        },
        "micro_batch": {"limit": draw(st.integers(1, 10**5))},
        "batch": {"commit": draw(st.sampled_from(["end", "progressive"]))},
    }
    return scenario_from_dict(data)


@st.composite
def simulation_scenarios(draw: st.DrawFn) -> Scenario:
    """A small scenario for the simulator, with every broker feature in play."""
    cache = draw(st.sampled_from(["none", "ttl", "ttl-reset", "lru"]))
    data = {
        "seed": draw(st.integers(0, 2**31)),
        "arrivals": {
            "rate_per_s": draw(finite_floats(0.01, 50.0)),
            "count": draw(st.integers(1, 400)),
        },
        "service": {
            "distribution": draw(
                st.sampled_from(["exponential", "constant", "lognormal", "gamma"])
            ),
            "mean_s": draw(finite_floats(0.001, 20.0)),
            "cv": draw(finite_floats(0.1, 3.0)),
        },
        "failures": {
            "transient_rate": draw(finite_floats(0.0, 0.9)),
            "invalid_rate": draw(finite_floats(0.0, 0.3)),
        },
        "enrichment": {
            "calls_per_record": draw(st.integers(0, 3)),
            "latency_s": draw(finite_floats(0.0, 2.0)),
            "keys": draw(st.integers(1, 50)),
            "cache": cache,
            "cache_ttl_s": draw(finite_floats(1.0, 100.0)),
            "cache_capacity": draw(st.integers(1, 20)),
            "rate_limit_per_s": draw(st.sampled_from([0.0, 0.5, 5.0])),
        },
        "streaming": {
            "consumers": draw(st.integers(1, 12)),
            "queue": draw(st.sampled_from(["standard", "fifo"])),
            "message_groups": draw(st.integers(1, 8)),
            "ack_timeout_s": draw(finite_floats(0.5, 60.0)),
            "max_deliveries": draw(st.integers(1, 6)),
            "prefetch": draw(st.integers(0, 8)),
        },
        "micro_batch": {
            "interval_s": draw(finite_floats(1.0, 120.0)),
            "limit": draw(st.integers(1, 50)),
            "concurrency": draw(st.integers(1, 4)),
        },
        "batch": {
            "cron": draw(
                st.sampled_from(["0 * * * * ?", "0 0 * * * ?", "0 0 2 * * ?"])
            ),
            "concurrency": draw(st.integers(1, 4)),
            "commit": draw(st.sampled_from(["end", "progressive"])),
        },
    }
    return scenario_from_dict(data)
