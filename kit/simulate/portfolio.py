"""Simulate every job of a portfolio from the scenarios the estimates derived.

Reads the ``scenarios`` table (one TOML scenario per scheduled job), so the
simulator answers the same question as the estimates without importing them.
Generated records are capped per job to keep a portfolio run quick; a records
file is replayed for the jobs it belongs to.
"""

from __future__ import annotations

import logging
import math
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb

from kit.errors import InputError
from kit.scenario import Scenario, scenario_from_dict, with_overrides
from kit.simulate.records import read_records
from kit.simulate.simulation import MODES, simulate_scenario
from kit.simulate.tables import write_simulation

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

log = logging.getLogger(__name__)

# Generated records per job in a portfolio run: at most this many, and no more
# than a week of the job's arrivals, so a rare job does not simulate a century.
PORTFOLIO_RECORDS = 20_000
PORTFOLIO_DAYS = 7


@dataclass(frozen=True)
class PortfolioJob:
    """One job's stored scenario and where it belongs."""

    app: str
    flow: str
    batch_job: str | None
    scenario: Scenario

    @property
    def names(self) -> set[str]:
        """The names a job filter may use for it."""
        return {self.scenario.name, self.flow, self.batch_job or self.flow}


def stored_jobs(con: duckdb.DuckDBPyConnection) -> list[PortfolioJob]:
    """Every scenario in the store, as written by ``kit estimate --db``."""
    rows = con.execute(
        "SELECT app, flow, batch_job, toml FROM scenarios ORDER BY app, flow"
    ).fetchall()
    return [
        PortfolioJob(app, flow, batch_job, scenario_from_dict(tomllib.loads(toml)))
        for app, flow, batch_job, toml in rows
    ]


def simulate_portfolio(
    con: duckdb.DuckDBPyConnection,
    jobs: tuple[str, ...] = (),
    records_file: str | Path | None = None,
    max_records: int = PORTFOLIO_RECORDS,
    modes: tuple[str, ...] = MODES,
) -> list[dict]:
    """Simulate the stored scenarios (those named in ``jobs``, or all) and write them.

    A records file is replayed for the jobs named in ``jobs`` or, with no
    filter, for the apps whose name holds the file's stem (``orders.csv`` for
    the ``orders-…`` apps). Returns each job's JSON figures.
    """
    stored = stored_jobs(con)
    if not stored:
        raise InputError(
            "the assessment database holds no scenarios to simulate; run "
            "'kit estimate --db FILE' on it first"
        )
    named = set().union(*(job.names for job in stored))
    unknown = [name for name in jobs if name not in named]
    if unknown:
        known = ", ".join(sorted({job.scenario.name for job in stored}))
        raise InputError(f"no job named {', '.join(unknown)}; the jobs are {known}")
    chosen = [job for job in stored if not jobs or job.names & set(jobs)]

    documents = []
    for job in chosen:
        scenario = _capped(job.scenario, max_records)
        records = None
        if records_file is not None and _replays(job, jobs, Path(records_file)):
            records = read_records(scenario, records_file, con)
        simulation = simulate_scenario(scenario, modes, records)
        write_simulation(con, simulation, job.app, job.flow, job.batch_job)
        documents.append(
            {"app": job.app, "flow": job.flow, "batch_job": job.batch_job}
            | simulation.to_json()
        )
    log.info("simulated %d jobs of %d in the store", len(chosen), len(stored))
    return documents


def _capped(scenario: Scenario, max_records: int) -> Scenario:
    """The scenario with at most ``max_records`` generated records, and at most
    a week's worth."""
    arrivals = scenario.arrivals
    week = math.ceil(arrivals.rate_per_s * PORTFOLIO_DAYS * 86400.0)
    wanted = max(1, min(max_records, week, arrivals.count or max_records))
    if arrivals.count == wanted and arrivals.duration_s is None:
        return scenario
    return with_overrides(
        scenario, {"arrivals.count": wanted, "arrivals.duration_s": None}
    )


def _replays(job: PortfolioJob, jobs: tuple[str, ...], records_file: Path) -> bool:
    """Tell whether the records file belongs to the job."""
    if jobs:
        return bool(job.names & set(jobs))
    return records_file.stem.lower() in job.app.lower()
