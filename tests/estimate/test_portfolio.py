"""Scenarios derived from the inventory and the run history, and the estimates table."""

from __future__ import annotations

import json
import sys

import pytest

from kit.cli import main
from kit.estimate import estimate_scenario
from kit.estimate.portfolio import derive_scenarios, estimate_portfolio
from kit.portfolio import take_inventory, write_inventory
from kit.runlog import ingest_logs
from kit.scenario import Scenario, scenario_from_dict
from kit.store import open_store
from tests.conftest import FIXTURES, ROOT

HOURLY_APP = FIXTURES / "runlog-adherence" / "app"
HISTORY = FIXTURES / "estimate" / "hourly-history.csv"
PROFILE_HISTORY = FIXTURES / "estimate" / "hourly-profile-history.csv"
APPS = ROOT / "data" / "apps"
SLOW_ARRIVALS = scenario_from_dict({"arrivals": {"rate_per_s": 0.1}})

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib


def test_measured_rate_and_per_record_time() -> None:
    """Hourly runs of 1000-3000 records on 4 workers: 0.4 s a record, 48,000 a day."""
    con = open_store()
    write_inventory(con, take_inventory([HOURLY_APP]))
    ingest_logs(con, [HISTORY])

    [job] = derive_scenarios(con, Scenario())

    assert job.scenario.service.mean_s == pytest.approx(0.4, rel=1e-12)
    # 6,000 records over three hourly periods: 2,000 an hour.
    assert job.scenario.arrivals.rate_per_s == pytest.approx(2000 / 3600, rel=1e-12)
    assert job.scenario.batch.cron == "0 0 * * * ?"
    assert "service.mean_s" in job.derived and "batch.concurrency" in job.defaulted
    assert job.scenario.arrivals.process == "poisson"


def test_without_history_the_defaults_are_named() -> None:
    """A job with no runs keeps the default rate and per-record time, and says so."""
    con = open_store()
    write_inventory(con, take_inventory([HOURLY_APP]))

    [job] = derive_scenarios(con, Scenario())

    assert {"arrivals.rate_per_s", "service.mean_s"} <= set(job.defaulted)
    assert job.scenario.arrivals.rate_per_s == Scenario().arrivals.rate_per_s


def test_estimates_table_has_three_modes_per_job_and_one_recommended() -> None:
    """Each job gets a streaming, micro-batch and batch row; exactly one is chosen."""
    con = open_store()
    write_inventory(con, take_inventory([ROOT / "data" / "apps"]))
    jobs = estimate_portfolio(con)

    rows = con.execute(
        "SELECT scenario, count(*), count(*) FILTER (WHERE recommended) "
        "FROM estimates GROUP BY scenario"
    ).fetchall()
    assert len(rows) == len(jobs) == 13
    assert {(count, chosen) for _, count, chosen in rows} == {(3, 1)}


def test_command_writes_json_for_every_job(tmp_path, capsys) -> None:
    """kit estimate --db prints one figures object per job."""
    database = tmp_path / "a.duckdb"
    main(["inventory", str(HOURLY_APP), "--db", str(database)])
    capsys.readouterr()

    assert main(["estimate", "--db", str(database), "--json", "-"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert [job["scenario"] for job in document["jobs"]] == ["hourlyBatch"]


def test_scenario_and_db_are_exclusive(tmp_path, capsys) -> None:
    """Giving neither a scenario nor --db is a usage error naming both."""
    assert main(["estimate"]) == 2
    assert "--db" in capsys.readouterr().err


def test_scenario_defaults_fill_what_the_store_does_not_know(tmp_path, capsys) -> None:
    """--scenario-defaults supplies unmeasured keys; the inventory's keys still win."""
    database = tmp_path / "a.duckdb"
    defaults = tmp_path / "defaults.toml"
    defaults.write_text(
        "slo_s = 600\n[arrivals]\nrate_per_s = 2.5\n[service]\nmean_s = 0.05\n"
        '[streaming]\nconsumers = 3\n[batch]\ncron = "0 0 5 * * ?"\n'
    )
    main(["inventory", str(HOURLY_APP), "--db", str(database)])
    capsys.readouterr()

    command = ["estimate", "--db", str(database), "--scenario-defaults"]
    assert main([*command, str(defaults), "--json", "-"]) == 0
    [job] = json.loads(capsys.readouterr().out)["jobs"]
    with open_store(database) as con:
        [(text,)] = con.execute("SELECT toml FROM scenarios").fetchall()
    scenario = scenario_from_dict(tomllib.loads(text))

    assert scenario.slo_s == 600 and scenario.streaming.consumers == 3
    assert scenario.arrivals.rate_per_s == 2.5 and scenario.service.mean_s == 0.05
    assert scenario.batch.cron == "0 0 * * * ?"
    assert {"arrivals.rate_per_s", "service.mean_s"} <= set(job["defaulted"])
    assert job["streaming"]["utilisation"] == pytest.approx(2.5 * 0.05 / 3)


def _hourly_store(history=HISTORY):
    """A store holding the hourly app's inventory and, if given, a run history."""
    con = open_store()
    write_inventory(con, take_inventory([HOURLY_APP]))
    if history is not None:
        ingest_logs(con, [history])
    return con


def test_scenario_defaults_set_the_concurrency_the_inventory_leaves_open() -> None:
    """A defaults file's concurrency of 8 is used; the runs then fit 0.8 s a record."""
    con = _hourly_store()
    defaults = scenario_from_dict({"batch": {"concurrency": 8}})

    [job] = derive_scenarios(con, defaults)

    assert job.scenario.batch.concurrency == 8
    assert job.scenario.service.mean_s == pytest.approx(0.8, rel=1e-12)
    assert "batch.concurrency" in job.defaulted


def test_the_inventory_concurrency_wins_over_the_defaults_file() -> None:
    """maxConcurrency 2 in the inventory beats the file's 8: 0.2 s a record, derived."""
    con = _hourly_store()
    con.execute("UPDATE jobs SET max_concurrency = 2")
    defaults = scenario_from_dict({"batch": {"concurrency": 8}})

    [job] = derive_scenarios(con, defaults)

    assert job.scenario.batch.concurrency == 2
    assert job.scenario.service.mean_s == pytest.approx(0.2, rel=1e-12)
    assert "batch.concurrency" in job.derived


@pytest.mark.parametrize(
    ("frequency_ms", "cron", "exact", "latency_mean_s"),
    [
        (300_000, "0 0/5 * * * ?", True, 150 + 1.5),
        (3_600_000, "0 0 0/1 * * ?", True, 1800 + 18),
        (90_000, "0 0/2 * * * ?", False, 45 + 0.45),
        (5_400_000, "0 0 0/2 * * ?", False, 2700 + 27),
        (129_600_000, "0 0 0 1/2 * ?", False, 64800 + 648),
    ],
)
def test_fixed_frequencies_are_estimated_at_their_exact_period(
    frequency_ms: int, cron: str, exact: bool, latency_mean_s: float
) -> None:
    """0.1 records/s fired every P wait P/2 and run 0.1·P·0.2/4 s, whatever the cron."""
    con = _hourly_store(history=None)
    con.execute("UPDATE jobs SET cron = NULL, frequency_ms = ?", [frequency_ms])

    [document] = estimate_portfolio(con, SLOW_ARRIVALS)
    [(text, derived, defaulted)] = con.execute(
        "SELECT toml, derived, defaulted FROM scenarios"
    ).fetchall()

    assert document["batch"]["latency_mean_s"] == pytest.approx(latency_mean_s)
    assert scenario_from_dict(tomllib.loads(text)).batch.cron == cron
    assert ("batch.cron" in derived) is exact
    assert ("batch.cron" in defaulted) is not exact
    assert bool(document["notes"]) is not exact
    assert text.startswith("# batch.cron: no Quartz cron fires") is not exact


def test_ninety_seconds_say_which_cron_stands_in() -> None:
    """The note names the period, the stand-in cron and the exact fires used."""
    con = _hourly_store(history=None)
    con.execute("UPDATE jobs SET cron = NULL, frequency_ms = 90000")

    [document] = estimate_portfolio(con, SLOW_ARRIVALS)

    assert document["notes"] == [
        "batch.cron: no Quartz cron fires every 90 seconds, so the scenario keeps "
        "the nearest, '0 0/2 * * * ?' (every 2 minutes); the estimates fire every "
        "90 seconds from midnight."
    ]


def _apps_job(con, name: str):
    """The derived scenario of the data/apps job called ``name``."""
    [job] = [
        job for job in derive_scenarios(con, Scenario()) if job.scenario.name == name
    ]
    return job


def test_a_call_per_aggregated_block_counts_as_a_share_of_a_call() -> None:
    """hrNewHiresBatch: 2 calls a record and 1 per aggregator of 50 is 2.02 calls."""
    con = open_store()
    write_inventory(con, take_inventory([APPS]))

    job = _apps_job(con, "hrNewHiresBatch")
    enrichment = job.scenario.enrichment
    figures = estimate_scenario(job.scenario)

    assert (enrichment.calls_per_record, enrichment.calls_per_block) == (2, 1)
    assert enrichment.block_size == 50
    assert {"enrichment.calls_per_block", "enrichment.block_size"} <= set(job.derived)
    assert figures["enrichment"]["api_calls_per_s"] == pytest.approx(40 * 2.02)


def test_two_calls_in_one_aggregator_of_200_share_it() -> None:
    """invoicesExportBatch: 1 call a record and 2 per block of 200 is 1.01 calls."""
    con = open_store()
    write_inventory(con, take_inventory([APPS]))

    job = _apps_job(con, "invoicesExportBatch")
    enrichment = job.scenario.enrichment
    figures = estimate_scenario(job.scenario)

    assert (enrichment.calls_per_block, enrichment.block_size) == (2, 200)
    assert figures["enrichment"]["api_calls_per_s"] == pytest.approx(40 * 1.01)


def test_an_aggregator_of_unknown_size_takes_the_job_block_size() -> None:
    """With no aggregator size, the job's blockSize of 25 is used and said defaulted."""
    con = open_store()
    write_inventory(con, take_inventory([APPS]))
    con.execute("UPDATE steps SET aggregator_size = NULL")
    con.execute("UPDATE jobs SET block_size = 25")

    job = _apps_job(con, "hrNewHiresBatch")

    assert job.scenario.enrichment.block_size == 25
    assert "enrichment.block_size" in job.defaulted


def test_runs_in_every_hour_give_an_hourly_profile() -> None:
    """36·(h+1)·d records at hour h on days 1-3 average to 0.02·(h+1) records/s."""
    con = _hourly_store(PROFILE_HISTORY)

    [job] = derive_scenarios(con, Scenario())
    arrivals = job.scenario.arrivals

    assert arrivals.process == "profile"
    assert arrivals.hourly_rates == pytest.approx(
        [0.02 * (hour + 1) for hour in range(24)], rel=1e-12
    )
    assert arrivals.rate_per_s == pytest.approx(0.25, rel=1e-12)
    assert job.scenario.service.mean_s == pytest.approx(0.4, rel=1e-12)
    assert {"arrivals.process", "arrivals.hourly_rates"} <= set(job.derived)


@pytest.mark.parametrize(("days", "hours"), [(3, 17), (2, 24)])
def test_too_few_days_or_hours_keep_poisson_arrivals(
    tmp_path, days: int, hours: int
) -> None:
    """Runs in 17 hours of 3 days, or 24 hours of 2 days, give no profile."""
    lines = ["app,job,instance,started_at,finished_at,records_total,records_failed"]
    for day in range(1, days + 1):
        for hour in range(hours):
            start = f"2026-03-0{day + 1} {hour:02d}:00:00"
            finish = f"2026-03-0{day + 1} {hour:02d}:01:00"
            lines.append(f"app,hourlyBatch,d{day}h{hour},{start},{finish},600,0")
    history = tmp_path / "history.csv"
    history.write_text("\n".join(lines) + "\n")

    [job] = derive_scenarios(_hourly_store(history), Scenario())

    assert job.scenario.arrivals.process == "poisson"
    assert "arrivals.process" not in job.derived


def test_a_store_without_inventory_is_a_usage_error(tmp_path, capsys) -> None:
    """Estimating a database that holds no inventory exits 2 and says what to run."""
    database = tmp_path / "empty.duckdb"

    assert main(["estimate", "--db", str(database)]) == 2
    assert "kit inventory" in capsys.readouterr().err


def test_a_micro_batch_is_judged_at_the_longest_interval_that_meets_the_objective():
    """The hourly job misses a 90 s objective as a 5- or 2-minute micro-batch and
    meets it every minute (p95 70 s): the stored scenario ticks every 60 s."""
    con = _hourly_store()

    [job] = estimate_portfolio(con, scenario_from_dict({"slo_s": 90.0}))

    stored = tomllib.loads(con.execute("SELECT toml FROM scenarios").fetchone()[0])
    assert job["recommendation"]["mode"] == "micro_batch"
    assert "micro-batch every 60 s p95 70 s meets" in job["recommendation"]["reason"]
    assert stored["micro_batch"]["interval_s"] == 60.0
    assert "micro_batch.interval_s" in job["defaulted"]


def test_when_no_interval_will_do_the_reason_says_even_a_minute_misses() -> None:
    """At a 60 s objective a tick every minute still misses (p95 70 s): streaming."""
    con = _hourly_store()

    [job] = estimate_portfolio(con, scenario_from_dict({"slo_s": 60.0}))

    assert job["recommendation"]["mode"] == "streaming"
    assert "micro-batch every 60 s p95 70 s exceeds" in job["recommendation"]["reason"]
