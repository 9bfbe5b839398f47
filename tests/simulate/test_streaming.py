"""The streaming kernel against closed-form queues and hand-traced broker cases."""

from __future__ import annotations

import numpy as np
import pytest

from kit.estimate.erlang import mean_wait
from kit.scenario import scenario_from_dict
from kit.simulate import simulate_scenario
from kit.simulate.outcomes import DEAD_LETTERED, LOADED
from tests.simulate.support import batch_means_error, hand_records

# Records thrown away at the start, while the queue fills from empty.
WARM_UP = 5_000


def _streaming_waits(settings: dict) -> np.ndarray:
    """Waits of one streaming run after the warm-up."""
    scenario = scenario_from_dict(settings)
    run = simulate_scenario(scenario, ("streaming",)).runs["streaming"]
    records = simulate_scenario(scenario, ()).records
    return (run.outcomes.started_s - records.arrived_s)[WARM_UP:]


def _assert_mean_close(values: np.ndarray, exact: float) -> None:
    """The run's mean lies within four batch-means standard errors of ``exact``."""
    tolerance = 4 * batch_means_error(values)
    assert abs(values.mean() - exact) <= tolerance, (values.mean(), exact, tolerance)


def test_mmc_mean_wait_matches_erlang_c() -> None:
    """M/M/4 at 80 % load waits as long on average as Erlang C says."""
    waits = _streaming_waits(
        {
            "arrivals": {"rate_per_s": 16.0, "count": 1_000_000},
            "service": {"mean_s": 0.2},
            "streaming": {"consumers": 4, "prefetch": 0},
        }
    )
    _assert_mean_close(waits, mean_wait(16.0, 5.0, 4))


def test_md1_mean_wait_matches_pollaczek_khinchine() -> None:
    """One consumer with constant service waits ρS/(2(1 − ρ)) on average."""
    rate, service = 3.5, 0.2
    rho = rate * service
    waits = _streaming_waits(
        {
            "arrivals": {"rate_per_s": rate, "count": 300_000},
            "service": {"distribution": "constant", "mean_s": service},
            "streaming": {"consumers": 1, "prefetch": 0},
        }
    )
    _assert_mean_close(waits, rho * service / (2 * (1 - rho)))


def test_mg1_lognormal_mean_wait_matches_pollaczek_khinchine() -> None:
    """One consumer with lognormal service (cv 1.5) waits λE[S²]/(2(1 − ρ))."""
    rate, mean, cv = 2.5, 0.2, 1.5
    second_moment = (1 + cv * cv) * mean * mean
    waits = _streaming_waits(
        {
            "arrivals": {"rate_per_s": rate, "count": 1_000_000},
            "service": {"distribution": "lognormal", "mean_s": mean, "cv": cv},
            "streaming": {"consumers": 1, "prefetch": 0},
        }
    )
    _assert_mean_close(waits, rate * second_moment / (2 * (1 - rate * mean)))


def test_one_fifo_group_is_a_single_server() -> None:
    """A fifo queue with one message group has one record in flight: M/M/1."""
    waits = _streaming_waits(
        {
            "arrivals": {"rate_per_s": 4.0, "count": 300_000},
            "service": {"mean_s": 0.2},
            "streaming": {"consumers": 8, "queue": "fifo", "message_groups": 1},
        }
    )
    _assert_mean_close(waits, mean_wait(4.0, 5.0, 1))


def test_dead_letter_share_is_q_to_the_n() -> None:
    """With failure chance q per delivery and N deliveries, a share q^N dead-letters."""
    count, q, deliveries = 40_000, 0.5, 3
    scenario = scenario_from_dict(
        {
            "arrivals": {"rate_per_s": 10.0, "count": count},
            "service": {"mean_s": 0.01},
            "failures": {"transient_rate": q},
            "streaming": {"max_deliveries": deliveries},
        }
    )
    figures = simulate_scenario(scenario, ("streaming",)).to_json()["modes"]
    share = figures["streaming"]["dead_lettered"] / count
    expected = q**deliveries
    assert share == pytest.approx(
        expected, abs=4 * (expected * (1 - expected) / count) ** 0.5
    )


def test_lock_that_runs_out_in_the_buffer_gives_a_duplicate() -> None:
    """Two records fetched together, 10 s each, 15 s lock: the second loads twice.

    Traced by hand: both are delivered at 0; the first is acknowledged at 10; the
    second's lock runs out at 15 while in work, so it is delivered again; the
    first copy loads it at 20 and the second copy again at 30.
    """
    scenario = scenario_from_dict(
        {"streaming": {"consumers": 1, "prefetch": 2, "ack_timeout_s": 15.0}}
    )
    records = hand_records([0.0, 0.0], 10.0)
    run = simulate_scenario(scenario, ("streaming",), records).runs["streaming"]

    assert run.outcomes.ended_s.tolist() == [10.0, 20.0]
    assert run.outcomes.loads.tolist() == [1, 2]
    assert run.outcomes.deliveries.tolist() == [1, 2]
    assert run.figures["duplicates"] == 1


def test_without_prefetch_no_lock_runs_out() -> None:
    """The same records fetched one at a time are each delivered and loaded once."""
    scenario = scenario_from_dict(
        {"streaming": {"consumers": 1, "prefetch": 0, "ack_timeout_s": 15.0}}
    )
    records = hand_records([0.0, 0.0], 10.0)
    run = simulate_scenario(scenario, ("streaming",), records).runs["streaming"]

    assert run.outcomes.ended_s.tolist() == [10.0, 20.0]
    assert run.figures["duplicates"] == 0
    assert run.figures["deliveries"] == 2


def test_invalid_record_goes_to_the_dead_letters_at_once() -> None:
    """An invalid record is dead-lettered when first started, after one delivery."""
    scenario = scenario_from_dict({"streaming": {"consumers": 1, "prefetch": 0}})
    records = hand_records([0.0, 1.0, 2.0], 5.0, invalid=[False, True, False])
    run = simulate_scenario(scenario, ("streaming",), records).runs["streaming"]

    assert run.outcomes.outcome.tolist() == [LOADED, DEAD_LETTERED, LOADED]
    assert run.outcomes.ended_s.tolist() == [5.0, 5.0, 10.0]
    assert run.outcomes.deliveries.tolist() == [1, 1, 1]


def test_fifo_keeps_order_that_standard_breaks() -> None:
    """Many consumers reorder a key's records on a standard queue, never on fifo."""
    settings = {
        "arrivals": {"rate_per_s": 30.0, "count": 20_000},
        "service": {"mean_s": 0.2},
        "enrichment": {"keys": 50},
        "streaming": {"consumers": 10, "message_groups": 50},
    }
    standard = simulate_scenario(scenario_from_dict(settings), ("streaming",))
    settings["streaming"]["queue"] = "fifo"
    fifo = simulate_scenario(scenario_from_dict(settings), ("streaming",))

    assert standard.to_json()["modes"]["streaming"]["order_violations"] > 100
    assert fifo.to_json()["modes"]["streaming"]["order_violations"] == 0


def test_a_message_waiting_in_the_buffer_keeps_its_lock() -> None:
    """Three records fetched at 0, a 15 s lock: the later two wait past 15 s, safely.

    Traced by hand: the locks of the buffered messages are renewed at 12 s (80%
    of 15) and so run to 27; the second works from 14 to 16 and the third from
    16 to 17. Without the renewal both locks would run out at 15 and both
    records would be delivered twice.
    """
    scenario = scenario_from_dict(
        {"streaming": {"consumers": 1, "prefetch": 3, "ack_timeout_s": 15.0}}
    )
    records = hand_records([0.0, 0.0, 0.0], [14.0, 2.0, 1.0])
    run = simulate_scenario(scenario, ("streaming",), records).runs["streaming"]

    assert run.outcomes.ended_s.tolist() == [14.0, 16.0, 17.0]
    assert run.outcomes.deliveries.tolist() == [1, 1, 1]
    assert run.figures["duplicates"] == 0


def test_a_renewed_lock_still_runs_out_in_work() -> None:
    """Fetched at 0, renewed at 12, started at 20: the lock ends at 27, mid-attempt."""
    scenario = scenario_from_dict(
        {"streaming": {"consumers": 1, "prefetch": 3, "ack_timeout_s": 15.0}}
    )
    records = hand_records([0.0, 0.0, 0.0], [10.0, 10.0, 10.0])
    run = simulate_scenario(scenario, ("streaming",), records).runs["streaming"]

    assert run.outcomes.deliveries.tolist() == [1, 2, 2]
    assert run.figures["duplicates"] == 2
