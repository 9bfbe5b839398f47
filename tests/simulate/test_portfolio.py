"""Simulating every stored job: the scenarios the estimates wrote, and the filter."""

from __future__ import annotations

import pytest

from kit.cli import main
from kit.errors import InputError
from kit.estimate.portfolio import estimate_portfolio
from kit.portfolio import take_inventory, write_inventory
from kit.runlog import ingest_logs
from kit.simulate.portfolio import simulate_portfolio, stored_jobs
from kit.store import open_store
from tests.conftest import FIXTURES

HOURLY_APP = FIXTURES / "runlog-adherence" / "app"
HISTORY = FIXTURES / "estimate" / "hourly-history.csv"


def _estimated_store(path: str = ":memory:"):
    con = open_store(path)
    write_inventory(con, take_inventory([HOURLY_APP]))
    ingest_logs(con, [HISTORY])
    estimate_portfolio(con)
    return con


def test_every_stored_job_is_simulated_in_each_mode() -> None:
    """The one hourly job runs in three modes, keyed by its app and flow."""
    con = _estimated_store()

    [document] = simulate_portfolio(con, max_records=500)
    rows = con.execute(
        "SELECT app, flow, mode, records, loaded + dead_lettered + in_flight "
        "FROM sim_runs ORDER BY mode"
    ).fetchall()

    assert document["app"] == "app"
    assert [row[2] for row in rows] == ["batch", "micro-batch", "streaming"]
    assert all(row[:2] == ("app", document["flow"]) for row in rows)
    assert all(row[3] == 500 == row[4] for row in rows)


def test_a_second_run_replaces_the_first() -> None:
    """Simulating the same store twice leaves one set of rows per job."""
    con = _estimated_store()

    simulate_portfolio(con, max_records=200)
    simulate_portfolio(con, max_records=200)

    assert con.execute("SELECT count(*) FROM sim_runs").fetchone() == (3,)
    assert con.execute("SELECT count(*) FROM sim_records").fetchone() == (600,)


def test_an_unknown_job_names_the_known_ones() -> None:
    """A filter that matches no job is an error listing the jobs there are."""
    con = _estimated_store()

    with pytest.raises(InputError, match="no job named nightly; the jobs are"):
        simulate_portfolio(con, ("nightly",))


def test_a_store_without_estimates_says_what_to_run() -> None:
    """With no scenarios stored, the message says to run kit estimate --db."""
    con = open_store()

    with pytest.raises(InputError, match="kit estimate --db"):
        simulate_portfolio(con)


def test_command_simulates_the_store(tmp_path, capsys) -> None:
    """kit simulate --db FILE prints one line per job with each mode's p95."""
    database = tmp_path / "a.duckdb"
    _estimated_store(str(database)).close()

    assert main(["simulate", "--db", str(database), "--mode", "streaming"]) == 0
    [line] = capsys.readouterr().out.splitlines()

    assert "streaming p95" in line and "batch p95" not in line


def test_command_refuses_a_missing_store(tmp_path, capsys) -> None:
    """A --db path that does not exist is a usage error, and nothing is created."""
    database = tmp_path / "none.duckdb"

    assert main(["simulate", "--db", str(database)]) == 2
    assert "run kit inventory" in capsys.readouterr().err
    assert not database.exists()


def test_an_unknown_job_beside_a_known_one_is_refused() -> None:
    """A typo among good names is an error naming the typo, not a silent skip."""
    con = _estimated_store()
    known = stored_jobs(con)[0].scenario.name

    with pytest.raises(InputError, match="no job named nightly; the jobs are"):
        simulate_portfolio(con, (known, "nightly"))
