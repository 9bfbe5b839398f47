"""Micro-batch ticks and batch runs against hand-traced cases and closed forms."""

from __future__ import annotations

import numpy as np
import pytest

from kit.estimate.batch import estimate_batch
from kit.estimate.micro_batch import estimate_micro_batch
from kit.scenario import scenario_from_dict
from kit.simulate import simulate_scenario
from kit.simulate.outcomes import DEAD_LETTERED, LOADED
from tests.simulate.support import hand_records

HOUR = 3600.0


def test_busy_ticks_are_skipped() -> None:
    """A 30 s slice under a 10 s interval skips the ticks at 10 and 20 s."""
    scenario = scenario_from_dict(
        {"micro_batch": {"interval_s": 10.0, "limit": 10, "concurrency": 1}}
    )
    records = hand_records([0.0] * 10 + [25.0], 3.0)
    run = simulate_scenario(scenario, ("micro-batch",), records).runs["micro-batch"]

    assert run.figures["skipped_ticks"] == 2
    assert run.outcomes.ended_s.tolist() == [30.0] * 10 + [33.0]


def test_the_limit_leaves_the_rest_for_later_ticks() -> None:
    """Five records, a limit of two: they load at the ends of three slices."""
    scenario = scenario_from_dict(
        {"micro_batch": {"interval_s": 60.0, "limit": 2, "concurrency": 2}}
    )
    records = hand_records([1.0] * 5, 4.0)
    run = simulate_scenario(scenario, ("micro-batch",), records).runs["micro-batch"]

    assert run.outcomes.ended_s.tolist() == [64.0, 64.0, 124.0, 124.0, 184.0]


def test_micro_batch_latency_matches_the_backlog_model() -> None:
    """Constant service, stable slices: mean and p95 latency as the estimate says."""
    rate, interval, limit, service = 2.0, 300.0, 1000, 0.1
    scenario = scenario_from_dict(
        {
            "arrivals": {"rate_per_s": rate, "count": 400_000},
            "service": {"distribution": "constant", "mean_s": service},
            "micro_batch": {"interval_s": interval, "limit": limit},
        }
    )
    figures = simulate_scenario(scenario, ("micro-batch",)).to_json()["modes"]
    latency = figures["micro-batch"]["latency_s"]
    estimate = estimate_micro_batch(rate, interval, limit, rate * interval * service)

    assert latency["mean"] == pytest.approx(estimate.latency_mean_s, rel=0.01)
    assert latency["p95"] == pytest.approx(estimate.latency_p95_s, rel=0.01)


def test_a_long_run_delays_the_next_one() -> None:
    """An hourly batch whose 2.5 h run delays the next fire to its end.

    Traced by hand: 100 records at 00:30 of 90 s each on one worker run from
    01:00 to 03:30; the 02:00 fire starts at 03:30 with the record of 01:30.
    """
    scenario = scenario_from_dict({"batch": {"cron": "0 0 * * * ?", "concurrency": 1}})
    records = hand_records([0.5 * HOUR] * 100 + [1.5 * HOUR], 90.0)
    run = simulate_scenario(scenario, ("batch",), records).runs["batch"]
    latency = run.outcomes.ended_s - records.arrived_s

    assert latency[:100].tolist() == [3 * HOUR] * 100
    assert latency[100] == 2 * HOUR + 90.0


def test_progressive_commit_shows_records_as_written() -> None:
    """With progressive commit the k-th record of a run is visible after k services."""
    scenario = scenario_from_dict(
        {"batch": {"cron": "0 0 * * * ?", "concurrency": 1, "commit": "progressive"}}
    )
    records = hand_records([0.5 * HOUR] * 3, 90.0)
    run = simulate_scenario(scenario, ("batch",), records).runs["batch"]

    assert run.outcomes.ended_s.tolist() == [HOUR + 90.0, HOUR + 180.0, HOUR + 270.0]


def test_failed_records_wait_for_the_next_run_until_dead_lettered() -> None:
    """A record that always fails is tried once per run, then dead-lettered."""
    scenario = scenario_from_dict(
        {
            "failures": {"transient_rate": 1.0},
            "streaming": {"max_deliveries": 3},
            "batch": {"cron": "0 0 * * * ?"},
        }
    )
    records = hand_records([10.0], 5.0)
    run = simulate_scenario(scenario, ("batch",), records).runs["batch"]

    assert run.outcomes.outcome.tolist() == [DEAD_LETTERED]
    assert run.outcomes.deliveries.tolist() == [3]
    assert run.outcomes.ended_s.tolist() == [3 * HOUR + 5.0]


def test_batch_latency_matches_the_closed_form() -> None:
    """Uniform arrivals, a daily run: mean latency is half a day plus the run."""
    rate, service, workers = 0.5, 0.2, 4
    scenario = scenario_from_dict(
        {
            "arrivals": {"rate_per_s": rate, "count": 600_000},
            "service": {"distribution": "constant", "mean_s": service},
            "batch": {"cron": "0 0 2 * * ?", "concurrency": workers},
        }
    )
    figures = simulate_scenario(scenario, ("batch",)).to_json()["modes"]["batch"]
    per_run = rate * 86400
    estimate = estimate_batch([7200.0], 86400.0, None, per_run, service, workers, "end")

    assert figures["in_flight"] + figures["loaded"] == 600_000
    assert figures["latency_s"]["mean"] == pytest.approx(
        estimate.latency_mean_s, rel=0.01
    )


def test_modes_replay_the_same_records() -> None:
    """Every mode loads the same valid records from one set of arrivals."""
    scenario = scenario_from_dict(
        {
            "arrivals": {"rate_per_s": 1.0, "count": 2000},
            "failures": {"invalid_rate": 0.1},
        }
    )
    simulation = simulate_scenario(scenario)
    loaded = [
        np.flatnonzero(run.outcomes.outcome == LOADED).tolist()
        for run in simulation.runs.values()
    ]

    assert loaded[0] == loaded[1] == loaded[2]
    assert len(loaded[0]) == 2000 - int(simulation.records.invalid.sum())
