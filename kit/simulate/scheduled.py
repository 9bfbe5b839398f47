"""Micro-batch and batch: scheduled runs that each take the pending records.

Both fire at set times and take pending records oldest first (records whose
attempt failed come back before newer ones), then process them with
``concurrency`` workers, each record going to the first free worker.

- **Micro-batch** ticks every ``interval_s`` from time 0 and takes at most
  ``limit`` records. A tick that fires while the previous slice still runs is
  skipped and counted. A slice's records become visible when the slice ends.
- **Batch** fires at the cron's times and takes everything pending. A fire
  that comes while a run is going starts its run as soon as that one ends
  (Mule's ordered sequential scheduling), taking what is pending then. With
  ``commit = "end"`` records become visible when the run ends, with
  ``progressive`` as each is written.

An attempt takes the lookups, then the record's service time, and fails with
chance ``transient_rate``: the record stays pending for the next run, until it
has had ``max_deliveries`` attempts and goes to the dead letters. An invalid
record goes to the dead letters at the start of its first attempt, taking no
time.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numba
import numpy as np

from kit.errors import InputError
from kit.simulate.enrichment import Enricher, enrich
from kit.simulate.heap import heap_pop, heap_push
from kit.simulate.outcomes import DEAD_LETTERED, LOADED, Outcomes

# Micro-batch ticks one simulation may hold: 80 MB of fire times.
MAX_TICKS = 10_000_000
# Indexes into the counters a run returns.
RUNS, SKIPPED_TICKS = 0, 1


class Schedule(NamedTuple):
    """How the runs fire and what each takes, in the order the kernel takes them."""

    fires_s: np.ndarray  # sorted fire times, seconds from the origin
    limit: int  # records a run takes at most
    skip_when_busy: bool  # micro-batch skips a busy tick; batch queues it
    progressive: bool  # visible as written, not at the run's end
    concurrency: int
    max_deliveries: int
    transient_rate: float
    horizon_s: float
    seed: int


def simulate_scheduled(
    arrived_s: np.ndarray,
    service_s: np.ndarray,
    invalid: np.ndarray,
    call_keys: np.ndarray,
    schedule: Schedule,
    enricher: Enricher,
) -> tuple[Outcomes, dict[str, int]]:
    """Run the schedule over the records; return the outcomes and run counts."""
    outcomes = Outcomes.empty(arrived_s.size)
    counters = np.zeros(2, dtype=np.int64)
    _run(arrived_s, service_s, invalid, call_keys, *schedule, *outcomes, *enricher,
         counters)  # fmt: skip
    return outcomes, {
        "runs": int(counters[RUNS]),
        "skipped_ticks": int(counters[SKIPPED_TICKS]),
    }


def micro_batch_ticks(interval_s: float, horizon_s: float) -> np.ndarray:
    """Tick times 0, T, 2T, … up to the horizon; too many to hold is an InputError.

    >>> micro_batch_ticks(300.0, 900.0).tolist()
    [0.0, 300.0, 600.0, 900.0]
    """
    ticks = math.floor(horizon_s / interval_s) + 1
    if ticks > MAX_TICKS:
        raise InputError(
            f"micro_batch.interval_s = {interval_s:g} over {horizon_s:,.0f} s of "
            f"arrivals makes {ticks:,} ticks, more than {MAX_TICKS:,}; lengthen the "
            "interval or simulate fewer records"
        )
    return np.arange(ticks) * interval_s


@numba.njit(cache=True)
def _run(
    arrived, service, invalid, call_keys,
    fires, limit, skip_when_busy, progressive, concurrency, max_deliveries,
    transient_rate, horizon_s, seed,
    started, ended, deliveries, loads, outcome,
    settings, expires, newer, older, links, tat, counts, per_minute,
    counters,
):  # fmt: skip
    """Fire the runs in order; each takes the pending records and works them off."""
    np.random.seed(seed)
    count = arrived.size

    # Records to try again, by arrival order: a heap keyed by record index.
    retry_keys = np.empty(count)
    retry_records = np.empty(count, dtype=np.int64)
    retry_size = np.zeros(1, dtype=np.int64)
    next_new = 0

    taken = np.empty(min(limit, count) if count else 1, dtype=np.int64)
    workers = np.empty(concurrency)
    busy_until = -math.inf
    fire_index = 0

    while fire_index < fires.size:
        fire = fires[fire_index]
        fire_index += 1
        if fire > horizon_s or (next_new == count and retry_size[0] == 0):
            break
        if fire < busy_until and skip_when_busy:
            counters[SKIPPED_TICKS] += 1
            continue
        start = max(fire, busy_until)

        if retry_size[0] == 0 and arrived[next_new] > start:
            # Nothing pending: go straight to the first fire after the next arrival.
            fire_index = max(
                fire_index, np.searchsorted(fires, arrived[next_new], side="left")
            )
            continue

        taking = 0
        while taking < limit and retry_size[0] > 0:
            taken[taking] = heap_pop(retry_keys, retry_records, retry_size)
            taking += 1
        while taking < limit and next_new < count and arrived[next_new] <= start:
            taken[taking] = next_new
            next_new += 1
            taking += 1
        counters[RUNS] += 1

        workers[:] = start
        run_end = start
        for position in range(taking):
            record = taken[position]
            worker = np.argmin(workers)
            begin = workers[worker]
            if math.isnan(started[record]):
                started[record] = begin
            deliveries[record] += 1

            if invalid[record]:
                outcome[record] = DEAD_LETTERED
                ended[record] = begin
                continue

            if call_keys.shape[1] > 0:
                begin = enrich(
                    settings,
                    expires,
                    newer,
                    older,
                    links,
                    tat,
                    counts,
                    per_minute,
                    call_keys[record],
                    begin,
                )
            done = begin + service[record]
            workers[worker] = done
            run_end = max(run_end, done)

            if transient_rate == 0.0 or np.random.random() >= transient_rate:
                loads[record] += 1
                outcome[record] = LOADED
                ended[record] = done
            elif deliveries[record] >= max_deliveries:
                outcome[record] = DEAD_LETTERED
                ended[record] = done
            else:
                heap_push(retry_keys, retry_records, retry_size, record, record)

        if not progressive:
            for position in range(taking):
                record = taken[position]
                if outcome[record] == LOADED:
                    ended[record] = run_end
        busy_until = run_end
