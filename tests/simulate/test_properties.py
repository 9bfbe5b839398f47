"""Invariants of every simulated mode over random scenarios, and exact repetition."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings

from kit.scenario import scenario_from_dict, with_overrides
from kit.simulate import simulate_scenario, write_simulation
from kit.simulate.outcomes import DEAD_LETTERED, IN_FLIGHT, LOADED
from kit.store import open_store
from tests.strategies import simulation_scenarios


@settings(max_examples=60, deadline=None)
@given(simulation_scenarios())
def test_every_record_ends_exactly_once(scenario) -> None:
    """Each record is loaded, dead-lettered or in flight, and the counts add up."""
    simulation = simulate_scenario(scenario)
    records = simulation.records

    for run in simulation.runs.values():
        outcomes, figures = run.outcomes, run.figures
        assert set(np.unique(outcomes.outcome)) <= {IN_FLIGHT, LOADED, DEAD_LETTERED}
        assert (
            figures["loaded"] + figures["dead_lettered"] + figures["in_flight"]
            == figures["records"]
            == len(records)
        )

        ended = outcomes.outcome != IN_FLIGHT
        assert not np.isnan(outcomes.ended_s[ended]).any()
        assert np.isnan(outcomes.ended_s[~ended]).all()
        assert (outcomes.ended_s[ended] >= records.arrived_s[ended]).all()
        assert (outcomes.started_s[ended] >= records.arrived_s[ended]).all()
        assert (outcomes.deliveries[ended] >= 1).all()
        assert (outcomes.loads[outcomes.outcome == LOADED] >= 1).all()
        assert (outcomes.loads[outcomes.outcome != LOADED] == 0).all()
        assert not outcomes.outcome[records.invalid].tolist().count(LOADED)


@settings(max_examples=40, deadline=None)
@given(simulation_scenarios())
def test_deliveries_stay_within_the_limit(scenario) -> None:
    """No record is handed over more often than max_deliveries."""
    simulation = simulate_scenario(scenario)
    limit = scenario.streaming.max_deliveries

    for run in simulation.runs.values():
        assert run.outcomes.deliveries.max(initial=0) <= limit


@settings(max_examples=40, deadline=None)
@given(simulation_scenarios())
def test_fifo_without_timeouts_keeps_every_key_in_order(scenario) -> None:
    """When no lock can run out, a fifo queue loads each key's records in order."""
    ordered = with_overrides(
        scenario, {"streaming.queue": "fifo", "streaming.ack_timeout_s": 1e9}
    )
    figures = simulate_scenario(ordered, ("streaming",)).to_json()["modes"]

    assert figures["streaming"]["order_violations"] == 0
    assert figures["streaming"]["duplicates"] == 0


def test_same_scenario_and_seed_give_the_same_tables(tmp_path) -> None:
    """Two runs of one scenario write byte-identical tables."""
    scenario = scenario_from_dict(
        {
            "arrivals": {"rate_per_s": 5.0, "count": 3000},
            "failures": {"transient_rate": 0.1, "invalid_rate": 0.05},
            "enrichment": {"calls_per_record": 2, "latency_s": 0.05, "cache": "lru",
                           "cache_capacity": 100, "rate_limit_per_s": 4.0},
            "streaming": {"ack_timeout_s": 1.0, "prefetch": 5},
        }
    )  # fmt: skip
    exports = []
    for attempt in range(2):
        con = open_store(tmp_path / f"run{attempt}.duckdb")
        write_simulation(con, simulate_scenario(scenario))
        for table in ("sim_runs", "sim_records", "sim_series"):
            target = tmp_path / f"{table}{attempt}.csv"
            con.execute(f"COPY {table} TO '{target}' (HEADER)")
            exports.append(target.read_bytes())
        con.close()

    assert exports[:3] == exports[3:]
    assert b"streaming" in exports[0]


def test_another_seed_gives_other_records() -> None:
    """The seed matters: a different one draws different arrivals."""
    first = scenario_from_dict({"arrivals": {"count": 100}})
    second = with_overrides(first, {"seed": 8})

    assert not np.array_equal(
        simulate_scenario(first, ()).records.arrived_s,
        simulate_scenario(second, ()).records.arrived_s,
    )
