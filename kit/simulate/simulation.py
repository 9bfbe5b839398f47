"""Simulate one scenario in each mode and turn the outcomes into figures and tables.

The three modes replay the same records (the same arrivals, service times and
lookup keys), so their figures differ only by how the pipeline treats them.
The simulation stops at the horizon: one day after the last arrival, or two
batch periods when those are longer, so that a weekly batch still runs; what
has not ended by then is in flight.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import numba
import numpy as np
from tqdm import tqdm

from kit.errors import InputError
from kit.scenario import Scenario
from kit.schedule import Schedule as CronSchedule
from kit.schedule import fire_times, period_seconds
from kit.simulate.enrichment import API_CALLS, HITS, LOOKUPS, THROTTLED, new_enricher
from kit.simulate.outcomes import (
    DEAD_LETTERED,
    IN_FLIGHT,
    LOADED,
    OUTCOME_NAMES,
    Outcomes,
)
from kit.simulate.percentiles import percentiles
from kit.simulate.records import Records, generate_records
from kit.simulate.scheduled import Schedule, micro_batch_ticks, simulate_scheduled
from kit.simulate.streaming import Queue, simulate_streaming

log = logging.getLogger(__name__)

MODES = ("streaming", "micro-batch", "batch")
DAY_S = 86400.0
MINUTE_S = 60.0
PER_MINUTE = 1.0 / MINUTE_S
# Progress bars appear for runs at least this long.
PROGRESS_RECORDS = 1_000_000
# Bounds on the simulated span, so a rare job or a tiny interval cannot
# exhaust the memory: scheduled fires, and minutes of series.
MAX_FIRES = 20_000_000
MAX_MINUTES = 5_000_000


@dataclass
class ModeRun:
    """One mode's outcomes, figures and per-minute series."""

    mode: str
    outcomes: Outcomes
    figures: dict[str, Any]
    series: dict[str, np.ndarray]


@dataclass
class Simulation:
    """A scenario's records and what each mode did with them."""

    scenario: Scenario
    records: Records
    horizon_s: float
    runs: dict[str, ModeRun] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The JSON contract: the scenario's name and each mode's figures."""
        return {
            "scenario": self.scenario.name,
            "modes": {mode: run.figures for mode, run in self.runs.items()},
        }


def simulate_scenario(
    scenario: Scenario,
    modes: tuple[str, ...] = MODES,
    records: Records | None = None,
) -> Simulation:
    """Replay the records (generated from the scenario if not given) in each mode.

    >>> from kit.scenario import scenario_from_dict
    >>> small = scenario_from_dict({"arrivals": {"rate_per_s": 1.0, "count": 50}})
    >>> figures = simulate_scenario(small, ("streaming",)).to_json()
    >>> figures["modes"]["streaming"]["loaded"]
    50
    """
    unknown = [mode for mode in modes if mode not in MODES]
    if unknown:
        raise InputError(
            f"unknown mode {unknown[0]!r}; use one of {', '.join(MODES)} or all."
        )
    records = records if records is not None else generate_records(scenario)
    horizon = _horizon(scenario, records)
    _check_span(scenario, horizon, modes)
    simulation = Simulation(scenario, records, horizon)

    steps = tqdm(
        modes,
        desc=f"simulate {scenario.name}",
        unit="mode",
        disable=len(records) < PROGRESS_RECORDS or None,
        leave=False,
    )
    for mode in steps:
        steps.set_postfix_str(mode)
        simulation.runs[mode] = _simulate_mode(scenario, records, mode, horizon)
        log.debug("simulated %s in %s mode", scenario.name, mode)

    log.info(
        "simulation %s: %d records, modes %s",
        scenario.name,
        len(records),
        ", ".join(modes),
    )
    return simulation


def _simulate_mode(
    scenario: Scenario, records: Records, mode: str, horizon: float
) -> ModeRun:
    """Run one mode's kernel and summarise it."""
    minutes = int(horizon // MINUTE_S) + 2
    enricher = new_enricher(_sized_enrichment(scenario, records.key_count), minutes)
    failures = scenario.failures
    skipped = 0

    if mode == "streaming":
        streaming = scenario.streaming
        queue = Queue(
            consumers=streaming.consumers,
            holding=max(1, streaming.prefetch),
            fifo=streaming.queue == "fifo",
            groups=streaming.message_groups,
            ack_timeout_s=streaming.ack_timeout_s,
            max_deliveries=streaming.max_deliveries,
            transient_rate=failures.transient_rate,
            horizon_s=horizon,
            seed=scenario.seed,
        )
        outcomes = simulate_streaming(
            records.arrived_s,
            records.service_s,
            records.invalid,
            records.order_key,
            records.call_keys,
            queue,
            enricher,
        )
    else:
        schedule = _schedule(scenario, records, mode, horizon)
        outcomes, counters = simulate_scheduled(
            records.arrived_s,
            records.service_s,
            records.invalid,
            records.call_keys,
            schedule,
            enricher,
        )
        skipped = counters["skipped_ticks"]

    counts, last_end = _count_outcomes(*outcomes)
    series = _series(records, outcomes, last_end, enricher.calls_per_minute)
    figures = _figures(records, outcomes, counts, last_end, enricher, series, skipped)
    return ModeRun(mode, outcomes, figures, series)


def _sized_enrichment(scenario: Scenario, key_count: int):
    """The enrichment settings with room for every key the records use."""
    from dataclasses import replace

    enrichment = scenario.enrichment
    if key_count <= enrichment.keys:
        return enrichment
    return replace(enrichment, keys=key_count)


def _schedule(
    scenario: Scenario, records: Records, mode: str, horizon: float
) -> Schedule:
    """The fire times and run settings of micro-batch or batch."""
    failures = scenario.failures
    max_deliveries = scenario.streaming.max_deliveries
    if mode == "micro-batch":
        micro = scenario.micro_batch
        return Schedule(
            fires_s=micro_batch_ticks(micro.interval_s, horizon),
            limit=micro.limit,
            skip_when_busy=True,
            progressive=False,
            concurrency=micro.concurrency,
            max_deliveries=max_deliveries,
            transient_rate=failures.transient_rate,
            horizon_s=horizon,
            seed=scenario.seed,
        )

    batch = scenario.batch
    plan = CronSchedule("cron", cron=batch.cron, time_zone=batch.time_zone)
    end = records.origin + timedelta(seconds=horizon)
    fires = np.array(
        [
            (moment - records.origin).total_seconds()
            for moment in fire_times(plan, records.origin, end)
        ]
    )
    return Schedule(
        fires_s=fires,
        limit=max(1, len(records)),
        skip_when_busy=False,
        progressive=batch.commit == "progressive",
        concurrency=batch.concurrency,
        max_deliveries=max_deliveries,
        transient_rate=failures.transient_rate,
        horizon_s=horizon,
        seed=scenario.seed,
    )


def _horizon(scenario: Scenario, records: Records) -> float:
    """One day after the last arrival, or two batch periods if longer."""
    last = float(records.arrived_s[-1]) if len(records) else 0.0
    return last + max(DAY_S, 2 * _batch_period_s(scenario))


def _batch_period_s(scenario: Scenario) -> float:
    """The mean gap between the batch cron's fires, or a day if it has none."""
    plan = CronSchedule(
        "cron", cron=scenario.batch.cron, time_zone=scenario.batch.time_zone
    )
    return period_seconds(plan) or DAY_S


def _check_span(scenario: Scenario, horizon: float, modes: tuple[str, ...]) -> None:
    """Refuse spans whose fires or per-minute series would not fit in memory."""
    days = horizon / DAY_S
    if horizon / MINUTE_S > MAX_MINUTES:
        raise InputError(
            f"scenario {scenario.name!r}: the records span {days:,.0f} days; at "
            f"most {MAX_MINUTES * MINUTE_S / DAY_S:,.0f} can be simulated. Lower "
            "arrivals.count or raise arrivals.rate_per_s."
        )
    fires = {}
    if "micro-batch" in modes:
        fires["micro_batch.interval_s"] = horizon / scenario.micro_batch.interval_s
    if "batch" in modes:
        fires["batch.cron"] = horizon / _batch_period_s(scenario)
    for key, count in fires.items():
        if count > MAX_FIRES:
            raise InputError(
                f"scenario {scenario.name!r}: {key} fires {count:,.0f} times over "
                f"the {days:,.1f} days simulated; at most {MAX_FIRES:,} fit. "
                "Simulate fewer records or a longer period."
            )


# Indexes into the counts of _count_outcomes after the three outcomes.
DUPLICATES, DELIVERIES = 3, 4


@numba.njit(cache=True)
def _count_outcomes(
    started: np.ndarray,
    ended: np.ndarray,
    deliveries: np.ndarray,
    loads: np.ndarray,
    outcome: np.ndarray,
) -> tuple[np.ndarray, float]:
    """Count each outcome, the duplicates and the deliveries; find the last end
    (-inf when nothing ended). Takes the fields of ``Outcomes``."""
    counts = np.zeros(5, dtype=np.int64)
    last_end = -math.inf
    for record in range(outcome.size):
        counts[outcome[record]] += 1
        counts[DUPLICATES] += max(loads[record] - 1, 0)
        counts[DELIVERIES] += deliveries[record]
        if ended[record] > last_end:  # never true for NaN: records in flight
            last_end = ended[record]
    return counts, last_end


@numba.njit(cache=True)
def _gather_waits(arrived: np.ndarray, started: np.ndarray, into: np.ndarray) -> int:
    """Write the waits of started records, in arrival order; return how many."""
    waits = 0
    for record in range(arrived.size):
        if not math.isnan(started[record]):
            into[waits] = started[record] - arrived[record]
            waits += 1
    return waits


@numba.njit(cache=True)
def _gather_latencies(
    arrived: np.ndarray, ended: np.ndarray, outcome: np.ndarray, into: np.ndarray
) -> int:
    """Write the latencies of loaded records, in arrival order; return how many."""
    latencies = 0
    for record in range(arrived.size):
        if outcome[record] == LOADED:
            into[latencies] = ended[record] - arrived[record]
            latencies += 1
    return latencies


def _series(
    records: Records,
    outcomes: Outcomes,
    last_end: float,
    calls_per_minute: np.ndarray,
) -> dict[str, np.ndarray]:
    """Per minute: records not yet ended at its end, records loaded, API calls."""
    last = max(
        float(records.arrived_s[-1]) if len(records) else 0.0,
        last_end if last_end > -math.inf else 0.0,
    )
    first_minute = _minute(records.arrived_s[0]) if len(records) else 0
    minutes = _minute(last) + 1

    depth, loads = _count_per_minute(
        records.arrived_s, outcomes.ended_s, outcomes.outcome, minutes
    )
    calls = np.zeros(minutes, dtype=np.int64)
    shown = min(minutes, calls_per_minute.size)
    calls[:shown] = calls_per_minute[:shown]
    return {
        "minute": np.arange(first_minute, minutes, dtype=np.int64),
        "queue_depth": depth[first_minute:],
        "loaded": loads[first_minute:],
        "api_calls": calls[first_minute:],
    }


@numba.njit(cache=True)
def _minute(seconds: float) -> int:
    """The minute a time falls in: ``int(seconds // 60)``, exactly.

    Compiled, a float ``//`` takes a slow remainder first, and a division is
    slow too. Multiplying by 1/60 lands within one minute of the answer, and
    the exact products of whole minutes by 60 tell which way to step.
    """
    minute = math.floor(seconds * PER_MINUTE)
    if minute * MINUTE_S > seconds:
        minute -= 1
    elif (minute + 1) * MINUTE_S <= seconds:
        minute += 1
    return minute


@numba.njit(cache=True)
def _count_per_minute(arrived, ended, outcome, minutes):
    """Records arrived but not ended at each minute's end, and loads per minute."""
    change = np.zeros(minutes, dtype=np.int64)
    loads = np.zeros(minutes, dtype=np.int64)
    for record in range(arrived.size):
        change[_minute(arrived[record])] += 1
        if not math.isnan(ended[record]):
            minute = _minute(ended[record])
            change[minute] -= 1
            if outcome[record] == LOADED:
                loads[minute] += 1
    return np.cumsum(change), loads


def _figures(
    records: Records,
    outcomes: Outcomes,
    counts: np.ndarray,
    last_end: float,
    enricher,
    series: dict[str, np.ndarray],
    skipped_ticks: int,
) -> dict[str, Any]:
    """The JSON contract's figures for one mode."""
    # Waits, then latencies, go through one scratch array, in arrival order: so
    # NumPy's means are the same floats as over masked copies, without them.
    scratch = np.empty(len(records))
    waits = _gather_waits(records.arrived_s, outcomes.started_s, scratch)
    wait_mean = float(scratch[:waits].mean()) if waits else None
    latencies = _gather_latencies(
        records.arrived_s, outcomes.ended_s, outcomes.outcome, scratch
    )

    api = enricher.counts
    span = _active_span(records, last_end)
    calls = int(api[API_CALLS])
    return {
        "records": len(records),
        "loaded": int(counts[LOADED]),
        "dead_lettered": int(counts[DEAD_LETTERED]),
        "in_flight": int(counts[IN_FLIGHT]),
        "duplicates": int(counts[DUPLICATES]),
        "deliveries": int(counts[DELIVERIES]),
        "order_violations": count_order_violations(
            records.order_key, outcomes.ended_s, outcomes.outcome == LOADED
        ),
        "skipped_ticks": skipped_ticks,
        "latency_s": _distribution(scratch[:latencies]),
        "wait_s": {"mean": wait_mean},
        "api_calls": {
            "total": calls,
            "per_s": calls / span if span > 0 else 0.0,
            "peak_per_min": int(series["api_calls"].max(initial=0)),
        },
        "cache_hit_ratio": (
            int(api[HITS]) / int(api[LOOKUPS]) if api[LOOKUPS] else None
        ),
        "throttled_calls": int(api[THROTTLED]),
    }


def _distribution(values: np.ndarray) -> dict[str, float | None]:
    """Mean, median, 95th and 99th percentiles and maximum; None when empty.

    The percentiles come last: they are free to reorder ``values``.
    """
    if values.size == 0:
        return dict.fromkeys(("mean", "p50", "p95", "p99", "max"))
    mean, largest = float(values.mean()), float(values.max())
    p50, p95, p99 = percentiles(values, [50, 95, 99], overwrite=True)
    return {"mean": mean, "p50": p50, "p95": p95, "p99": p99, "max": largest}


def _active_span(records: Records, last_end: float) -> float:
    """Seconds from the first arrival to the last ending."""
    if not len(records):
        return 0.0
    last = max(float(records.arrived_s[-1]), last_end)
    return last - float(records.arrived_s[0])


def count_order_violations(
    order_key: np.ndarray, ended_s: np.ndarray, loaded: np.ndarray
) -> int:
    """Count loaded records that became visible before an earlier record of their key.

    >>> keys = np.array([1, 1, 1]); ends = np.array([5.0, 3.0, 6.0])
    >>> count_order_violations(keys, ends, np.array([True, True, True]))
    1
    """
    if order_key.size == 0:
        return 0
    latest = np.full(int(order_key.max()) + 1, -math.inf)
    return int(_order_violations(order_key, ended_s, loaded, latest))


@numba.njit(cache=True)
def _order_violations(keys, ended, loaded, latest):
    """Walk the records in arrival order, tracking each key's latest load so far."""
    violations = 0
    for record in range(keys.size):
        if not loaded[record]:
            continue
        key = keys[record]
        if ended[record] < latest[key]:
            violations += 1
        else:
            latest[key] = ended[record]
    return violations


__all__ = ["MODES", "OUTCOME_NAMES", "ModeRun", "Simulation", "simulate_scenario"]
