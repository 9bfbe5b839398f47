"""What if one job ran with other settings: re-estimate and re-simulate it.

Used by the simulation notebook when given overrides. The job's stored
scenario gets the overrides; its estimate and simulation land in an in-memory
store shaped like the assessment, which itself is left untouched.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import duckdb

from kit.errors import InputError
from kit.estimate import estimate_scenario
from kit.estimate.portfolio import DerivedScenario, estimate_rows
from kit.frames import stored_scenarios
from kit.scenario import scenario_to_toml, with_overrides
from kit.simulate import MODES, read_records, simulate_scenario, write_simulation
from kit.store import open_store, replace_rows


def what_if_store(
    con: duckdb.DuckDBPyConnection,
    job: str,
    overrides: Mapping[str, Any],
    records: str | Path | None = None,
) -> duckdb.DuckDBPyConnection:
    """An in-memory store with one job estimated and simulated under overrides.

    The job's stored scenario gets ``overrides`` (dotted keys, ``seed``
    included); the assessment file itself is left untouched.
    """
    matches = [
        (app, scenario) for app, name, scenario in stored_scenarios(con) if name == job
    ]
    if not matches:
        raise InputError(f"no stored scenario for job {job!r}; run kit report first")
    app, stored = matches[0]
    scenario = with_overrides(stored, overrides)
    flow, batch_job = con.execute(
        "SELECT flow, batch_job FROM scenarios WHERE app = ? AND name = ?",
        [app, job],
    ).fetchone()

    memory = open_store()
    derived = DerivedScenario(app, flow, batch_job, scenario)
    replace_rows(
        memory,
        "scenarios",
        [
            {"app": app, "flow": flow, "batch_job": batch_job, "name": job,
             "toml": scenario_to_toml(scenario), "derived": [], "defaulted": []}
        ],
    )  # fmt: skip
    replace_rows(
        memory, "estimates", estimate_rows(derived, estimate_scenario(scenario))
    )
    replayed = read_records(scenario, records, memory) if records else None
    simulation = simulate_scenario(scenario, MODES, replayed)
    write_simulation(memory, simulation, app, flow, batch_job)
    return memory
