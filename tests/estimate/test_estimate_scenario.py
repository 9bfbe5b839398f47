"""estimate_scenario: the JSON contract and how a scenario becomes model inputs."""

from __future__ import annotations

import json
import statistics

import pytest

from kit.estimate import batch_timetable, estimate_scenario
from kit.estimate.batch import estimate_batch
from kit.estimate.cache import hit_ratio
from kit.estimate.micro_batch import estimate_micro_batch
from kit.estimate.streaming import estimate_streaming
from kit.scenario import Batch, Scenario, scenario_from_dict, with_overrides

CONTRACT = {
    "scenario": None,
    "streaming": {
        "utilisation",
        "stable",
        "p_wait",
        "wait_mean_s",
        "latency_mean_s",
        "latency_p95_s",
        "min_consumers_for_slo",
    },
    "micro_batch": {
        "stable",
        "latency_mean_s",
        "latency_p95_s",
        "backlog_growth_per_h",
    },
    "batch": {"run_duration_s", "latency_mean_s", "latency_max_s"},
    "enrichment": {
        "hit_ratio",
        "api_calls_per_s",
        "peak_calls_per_min",
        "rate_limit_headroom",
    },
    "recommendation": {"mode", "reason"},
}
MODES = {"streaming", "micro_batch", "batch"}

ENRICHED = scenario_from_dict(
    {
        "name": "orders",
        "slo_s": 120,
        "arrivals": {"rate_per_s": 3.0},
        "service": {"distribution": "lognormal", "mean_s": 0.1, "cv": 1.5},
        "enrichment": {
            "calls_per_record": 2,
            "latency_s": 0.05,
            "cache": "ttl",
            "cache_ttl_s": 300,
            "rate_limit_per_s": 20,
        },
        "streaming": {"consumers": 2},
        "micro_batch": {"interval_s": 60, "limit": 500, "concurrency": 2},
    }
)


@pytest.mark.parametrize("scenario", [Scenario(), ENRICHED])
def test_result_has_exactly_the_contract_keys(scenario: Scenario) -> None:
    """The dict has exactly the documented keys and serialises as strict JSON."""
    figures = estimate_scenario(scenario)

    assert set(figures) == set(CONTRACT)
    for section, keys in CONTRACT.items():
        if keys is not None:
            assert set(figures[section]) == keys, section
    assert set(figures["enrichment"]["peak_calls_per_min"]) == MODES
    assert set(figures["enrichment"]["rate_limit_headroom"]) == MODES
    assert json.loads(json.dumps(figures, allow_nan=False)) == figures
    assert figures["scenario"] == scenario.name


def test_streaming_uses_the_effective_service_time() -> None:
    """Each cache miss adds the call latency: E[S] + calls·(1 − H)·latency."""
    figures = estimate_scenario(ENRICHED)
    hits = hit_ratio("ttl", 10_000, 0.8, 6.0, 300.0)
    mean_s = 0.1 + 2 * (1 - hits) * 0.05
    variance = 1.5**2 * 0.1**2 + 2 * hits * (1 - hits) * 0.05**2

    expected = estimate_streaming(3.0, mean_s, variance / mean_s**2, 2, 120.0)

    assert figures["enrichment"]["hit_ratio"] == pytest.approx(hits, rel=1e-12)
    assert figures["streaming"]["utilisation"] == pytest.approx(3.0 * mean_s / 2)
    assert figures["streaming"]["latency_p95_s"] == pytest.approx(
        expected.latency_p95_s, rel=1e-12
    )
    assert figures["enrichment"]["api_calls_per_s"] == pytest.approx(6.0 * (1 - hits))


def test_micro_batch_slice_takes_the_tick_records_over_the_workers() -> None:
    """The slice lasts min(limit, λT)·E[S_eff]/concurrency."""
    figures = estimate_scenario(ENRICHED)
    hits = hit_ratio("ttl", 10_000, 0.8, 6.0, 300.0)
    mean_s = 0.1 + 2 * (1 - hits) * 0.05

    expected = estimate_micro_batch(3.0, 60.0, 500, 180 * mean_s / 2)

    assert figures["micro_batch"]["latency_mean_s"] == pytest.approx(
        expected.latency_mean_s, rel=1e-12
    )


def test_batch_timetable_comes_from_the_cron() -> None:
    """A daily 02:00 cron gives the same figures as one fire a day at 02:00."""
    scenario = with_overrides(ENRICHED, {"batch.commit": "progressive"})
    one_a_day = estimate_scenario(scenario, ([7200.0], 86400.0))

    assert estimate_scenario(scenario)["batch"] == pytest.approx(one_a_day["batch"])
    hits = hit_ratio("ttl", 10_000, 0.8, 6.0, 300.0)
    mean_s = 0.1 + 2 * (1 - hits) * 0.05
    expected = estimate_batch(
        [0.0], 86400.0, None, 3.0 * 86400, mean_s, 4, "progressive"
    )
    figures = estimate_scenario(scenario)
    assert figures["batch"]["latency_mean_s"] == pytest.approx(expected.latency_mean_s)


def test_fire_times_split_the_records_between_runs() -> None:
    """Four fires a day give each run a quarter of the day's records."""
    four = with_overrides(ENRICHED, {"batch.cron": "0 0 0/6 * * ?"})
    figures = estimate_scenario(four)
    single = estimate_scenario(ENRICHED)

    assert figures["batch"]["run_duration_s"] == pytest.approx(
        single["batch"]["run_duration_s"] / 4
    )


def test_a_yearly_cron_gathers_a_year_of_records_into_one_run() -> None:
    """A cron firing once a year runs every 365 days on 365 days of records."""
    yearly = scenario_from_dict(
        {"arrivals": {"rate_per_s": 0.01}, "batch": {"cron": "0 0 3 1 1 ?"}}
    )
    figures = estimate_scenario(yearly)["batch"]

    year_s = 365 * 86400.0
    run_s = 0.01 * year_s * 0.2 / 4
    assert figures["run_duration_s"] == pytest.approx(run_s, rel=1e-12)
    assert figures["latency_mean_s"] == pytest.approx(year_s / 2 + run_s, rel=1e-12)
    assert figures["latency_max_s"] == pytest.approx(year_s + run_s, rel=1e-12)


def test_a_first_fire_years_ahead_still_lands_in_the_window() -> None:
    """A cron whose first fire lies past its rounded period still gets one run."""
    offsets, window_s = batch_timetable(Batch(cron="0 0 0 10 1 ? 2030,2034"))

    assert len(offsets) == 1 and 0.0 < offsets[0] < window_s
    scenario = scenario_from_dict({"batch": {"cron": "0 0 0 10 1 ? 2030,2034"}})
    assert estimate_scenario(scenario)["batch"]["run_duration_s"] > 0.0


def test_no_enrichment_means_no_calls() -> None:
    """With no calls per record: hit ratio None, zero calls and no headroom figures."""
    figures = estimate_scenario(
        with_overrides(ENRICHED, {"enrichment.calls_per_record": 0})
    )
    enrichment = figures["enrichment"]

    assert enrichment["hit_ratio"] is None
    assert enrichment["api_calls_per_s"] == 0.0
    assert enrichment["peak_calls_per_min"] == dict.fromkeys(MODES, 0.0)
    assert enrichment["rate_limit_headroom"] == dict.fromkeys(MODES, 1.0)


def test_a_call_per_block_counts_as_one_block_size_th_of_a_call_a_record() -> None:
    """One call per block of 100 at 2/s is 0.02 calls/s and 0.5 s/100 more service."""
    scenario = scenario_from_dict(
        {
            "arrivals": {"rate_per_s": 2.0},
            "enrichment": {"calls_per_block": 1, "block_size": 100, "latency_s": 0.5},
        }
    )
    figures = estimate_scenario(scenario)

    assert figures["enrichment"]["hit_ratio"] == 0.0
    assert figures["enrichment"]["api_calls_per_s"] == pytest.approx(0.02, rel=1e-12)
    assert figures["streaming"]["utilisation"] == pytest.approx(
        2.0 * (0.2 + 0.005) / 10, rel=1e-12
    )


def test_per_record_and_per_block_calls_add_up() -> None:
    """Two calls a record and three per block of 200 make 2.015 calls a record."""
    scenario = with_overrides(
        ENRICHED, {"enrichment.calls_per_block": 3, "enrichment.block_size": 200}
    )
    hits = hit_ratio("ttl", 10_000, 0.8, 3.0 * 2.015, 300.0)

    figures = estimate_scenario(scenario)["enrichment"]

    assert figures["hit_ratio"] == pytest.approx(hits, rel=1e-12)
    assert figures["api_calls_per_s"] == pytest.approx(
        3.0 * 2.015 * (1 - hits), rel=1e-12
    )


def test_profile_uses_the_mean_rate_for_queues() -> None:
    """A daily profile feeds the queues its mean rate and batch its whole shape."""
    rates = [0.0] * 9 + [2.0] * 8 + [0.0] * 7
    scenario = scenario_from_dict(
        {"slo_s": 86400, "arrivals": {"process": "profile", "hourly_rates": rates}}
    )
    figures = estimate_scenario(scenario, ([7200.0], 86400.0))

    assert figures["streaming"]["utilisation"] == pytest.approx(
        statistics.fmean(rates) * 0.2 / 10
    )
    duration = figures["batch"]["run_duration_s"]
    assert figures["batch"]["latency_mean_s"] == pytest.approx(13 * 3600 + duration)


def test_unstable_modes_report_none_not_numbers() -> None:
    """The default scenario overloads batch and micro-batch: no latency for them."""
    figures = estimate_scenario(Scenario())

    assert figures["batch"]["latency_mean_s"] is None
    assert figures["micro_batch"]["latency_p95_s"] is None
    assert figures["micro_batch"]["backlog_growth_per_h"] == pytest.approx(132_000.0)
    assert figures["recommendation"]["mode"] == "streaming"


def test_same_scenario_gives_the_same_figures() -> None:
    """Estimates are deterministic: the same input gives identical JSON."""
    first = json.dumps(estimate_scenario(ENRICHED), sort_keys=True)

    assert json.dumps(estimate_scenario(ENRICHED), sort_keys=True) == first


def test_one_fifo_message_group_is_one_server() -> None:
    """FIFO with one group serves one record at a time: M/M/1 at λ = 4, E[S] = 0.2."""
    figures = estimate_scenario(
        scenario_from_dict(
            {
                "arrivals": {"rate_per_s": 4.0},
                "service": {"mean_s": 0.2},
                "streaming": {"consumers": 8, "queue": "fifo", "message_groups": 1},
            }
        )
    )

    streaming = figures["streaming"]
    assert streaming["utilisation"] == pytest.approx(0.8)
    assert streaming["latency_mean_s"] == pytest.approx(0.2 / (1 - 0.8))


def test_retries_add_their_attempts_to_the_load() -> None:
    """Half the attempts failing doubles the work: ρ = 30·0.2·2/10 = 1.2, unstable."""
    figures = estimate_scenario(
        scenario_from_dict(
            {
                "arrivals": {"rate_per_s": 30.0},
                "service": {"mean_s": 0.2},
                "failures": {"transient_rate": 0.5},
                "streaming": {"consumers": 10, "max_deliveries": 1000},
            }
        )
    )

    assert figures["streaming"]["utilisation"] == pytest.approx(1.2)
    assert figures["streaming"]["stable"] is False


def test_a_rate_limit_below_demand_is_unstable() -> None:
    """Ten calls a second against a limit of five cannot keep up."""
    figures = estimate_scenario(
        scenario_from_dict(
            {
                "arrivals": {"rate_per_s": 10.0},
                "service": {"mean_s": 0.1},
                "enrichment": {"calls_per_record": 1, "rate_limit_per_s": 5.0},
                "streaming": {"consumers": 4},
            }
        )
    )

    assert figures["streaming"]["stable"] is False
    assert figures["micro_batch"]["stable"] is False
    assert figures["micro_batch"]["backlog_growth_per_h"] >= 5.0 * 3600
    reason = figures["recommendation"]["reason"]
    assert "streaming unstable (its calls exceed the rate limit)" in reason
    assert "micro-batch unstable (its calls exceed the rate limit)" in reason


def test_a_micro_batch_whose_full_slice_overruns_cannot_catch_up() -> None:
    """A full slice of 450 s skips a 300 s tick: at most 1000 per 600 s, below 2/s."""
    figures = estimate_scenario(
        scenario_from_dict(
            {
                "arrivals": {"rate_per_s": 2.0},
                "service": {"mean_s": 0.45},
                "micro_batch": {"interval_s": 300, "limit": 1000, "concurrency": 1},
            }
        )
    )

    micro = figures["micro_batch"]
    assert micro["stable"] is False
    assert micro["backlog_growth_per_h"] == pytest.approx((2.0 - 1000 / 600) * 3600)


def test_advice_fits_what_limits_streaming() -> None:
    """One FIFO group asks for message groups; a rate limit asks for a higher limit."""
    fifo = estimate_scenario(
        scenario_from_dict(
            {
                "arrivals": {"rate_per_s": 15.0},
                "service": {"mean_s": 0.1},
                "streaming": {"consumers": 10, "queue": "fifo", "message_groups": 1},
            }
        )
    )
    limited = estimate_scenario(
        scenario_from_dict(
            {
                "arrivals": {"rate_per_s": 10.0},
                "service": {"mean_s": 0.1},
                "enrichment": {"calls_per_record": 1, "rate_limit_per_s": 5.0},
            }
        )
    )

    assert "with 1 message groups" in fifo["recommendation"]["reason"]
    assert "message groups" in fifo["recommendation"]["reason"].split("none meets")[1]
    advice = limited["recommendation"]["reason"].split("none meets it: ")[1]
    assert advice.startswith("raise the rate limit to at least")
    assert "consumer" not in advice
