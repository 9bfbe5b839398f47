"""Scenarios derived from the inventory and the run history, and the estimates table."""

from __future__ import annotations

import json
import sys

import pytest

from kit.cli import main
from kit.estimate.portfolio import derive_scenarios, estimate_portfolio
from kit.portfolio import take_inventory, write_inventory
from kit.runlog import ingest_logs
from kit.scenario import Scenario, scenario_from_dict
from kit.store import open_store
from tests.conftest import FIXTURES, ROOT

HOURLY_APP = FIXTURES / "runlog-adherence" / "app"
HISTORY = FIXTURES / "estimate" / "hourly-history.csv"

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib


def test_measured_rate_and_per_record_time() -> None:
    """Three runs of 1000-3000 records on 4 workers give 0.4 s a record, 6000 a day."""
    con = open_store()
    write_inventory(con, take_inventory([HOURLY_APP]))
    ingest_logs(con, [HISTORY])

    [job] = derive_scenarios(con, Scenario())

    assert job.scenario.service.mean_s == pytest.approx(0.4, rel=1e-12)
    assert job.scenario.arrivals.rate_per_s == pytest.approx(6000 / 86400, rel=1e-12)
    assert job.scenario.batch.cron == "0 0 * * * ?"
    assert "service.mean_s" in job.derived and "batch.concurrency" in job.defaulted


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


def test_a_store_without_inventory_is_a_usage_error(tmp_path, capsys) -> None:
    """Estimating a database that holds no inventory exits 2 and says what to run."""
    database = tmp_path / "empty.duckdb"

    assert main(["estimate", "--db", str(database)]) == 2
    assert "kit inventory" in capsys.readouterr().err
