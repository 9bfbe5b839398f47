"""Write a simulation into the store: ``sim_runs``, ``sim_records``, ``sim_series``,
and for real records ``sim_loaded``, ``sim_dead_letters`` and ``sim_rejects``.

Writing a scenario again replaces its rows, so re-running is safe.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa

from kit.simulate.outcomes import DEAD_LETTERED, LOADED, OUTCOME_NAMES
from kit.simulate.simulation import ModeRun, Simulation
from kit.store import replace_rows

_SCENARIO = "scenario = ?"


def write_simulation(
    con: duckdb.DuckDBPyConnection,
    simulation: Simulation,
    app: str | None = None,
    flow: str | None = None,
    batch_job: str | None = None,
) -> None:
    """Replace the scenario's rows in every simulation table."""
    name = simulation.scenario.name
    runs = [
        _run_row(simulation, run, app, flow, batch_job)
        for run in simulation.runs.values()
    ]
    replace_rows(con, "sim_runs", runs, where=_SCENARIO, parameters=[name])

    con.execute("DELETE FROM sim_records WHERE scenario = ?", [name])
    con.execute("DELETE FROM sim_series WHERE scenario = ?", [name])
    for run in simulation.runs.values():
        _insert(con, "sim_records", _record_table(simulation, run))
        _insert(con, "sim_series", _series_table(name, run))

    rejects = [
        {"scenario": name, "source_file": reject["file"], **reject}
        for reject in simulation.records.rejects
    ]
    replace_rows(con, "sim_rejects", rejects, where=_SCENARIO, parameters=[name])
    _write_record_outputs(con, simulation)


def _run_row(
    simulation: Simulation,
    run: ModeRun,
    app: str | None,
    flow: str | None,
    batch_job: str | None,
) -> dict:
    """One sim_runs row: the mode's figures, flattened."""
    figures = run.figures
    latency = figures["latency_s"]
    calls = figures["api_calls"]
    scenario = simulation.scenario
    return {
        "scenario": scenario.name,
        "app": app,
        "flow": flow,
        "batch_job": batch_job,
        "mode": run.mode,
        "seed": scenario.seed,
        "source": simulation.records.source,
        **{
            key: figures[key]
            for key in (
                "records",
                "loaded",
                "dead_lettered",
                "in_flight",
                "duplicates",
                "deliveries",
                "order_violations",
                "skipped_ticks",
                "cache_hit_ratio",
                "throttled_calls",
            )
        },
        **{f"latency_{key}_s": value for key, value in latency.items()},
        "wait_mean_s": figures["wait_s"]["mean"],
        "api_calls_total": calls["total"],
        "api_calls_per_s": calls["per_s"],
        "api_peak_per_min": calls["peak_per_min"],
        "rate_limit_per_s": scenario.enrichment.rate_limit_per_s,
    }


def _record_table(simulation: Simulation, run: ModeRun) -> pa.Table:
    """One row per record: times, deliveries and outcome."""
    outcomes = run.outcomes
    count = outcomes.outcome.size
    loaded = outcomes.outcome == LOADED
    names = np.array(OUTCOME_NAMES, dtype=object)[outcomes.outcome]
    return pa.table(
        {
            "scenario": pa.array([simulation.scenario.name] * count, pa.string()),
            "mode": pa.array([run.mode] * count, pa.string()),
            "record": np.arange(count, dtype=np.int64),
            "arrived_s": simulation.records.arrived_s,
            "started_s": pa.array(outcomes.started_s, from_pandas=True),
            "loaded_s": pa.array(
                np.where(loaded, outcomes.ended_s, np.nan), from_pandas=True
            ),
            "ended_s": pa.array(outcomes.ended_s, from_pandas=True),
            "deliveries": outcomes.deliveries.astype(np.int32),
            "loads": outcomes.loads.astype(np.int32),
            "outcome": pa.array(names.tolist(), pa.string()),
        }
    )


def _series_table(name: str, run: ModeRun) -> pa.Table:
    """The per-minute series of one mode."""
    minutes = run.series["minute"].size
    return pa.table(
        {
            "scenario": pa.array([name] * minutes, pa.string()),
            "mode": pa.array([run.mode] * minutes, pa.string()),
            **run.series,
        }
    )


def _insert(con: duckdb.DuckDBPyConnection, table: str, rows: pa.Table) -> None:
    """Append Arrow rows to a table by column name."""
    con.register("_simulated_rows", rows)
    con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _simulated_rows")
    con.unregister("_simulated_rows")


def _write_record_outputs(con: duckdb.DuckDBPyConnection, simulation: Simulation):
    """For real records, the loaded and dead-lettered rows with their columns."""
    name = simulation.scenario.name
    con.execute("DELETE FROM sim_loaded WHERE scenario = ?", [name])
    con.execute("DELETE FROM sim_dead_letters WHERE scenario = ?", [name])
    records = simulation.records
    if records.rows is None:
        return

    reasons = [reason or "" for reason in records.invalid_reasons]
    columns = [column for column in records.rows.column_names if column != "_line"]
    record = "to_json(struct_pack({}))".format(
        ", ".join(f"{_quoted(column)} := s.{_quoted(column)}" for column in columns)
    )
    source = records.rows.append_column(
        "_position", pa.array(np.arange(records.rows.num_rows, dtype=np.int64))
    )
    con.register("_sim_source_rows", source)
    for run in simulation.runs.values():
        outcomes = run.outcomes
        con.register(
            "_sim_outcomes",
            pa.table(
                {
                    "_position": np.arange(outcomes.outcome.size, dtype=np.int64),
                    "ended_s": pa.array(outcomes.ended_s, from_pandas=True),
                    "deliveries": outcomes.deliveries.astype(np.int32),
                    "loads": outcomes.loads.astype(np.int32),
                    "outcome": outcomes.outcome.astype(np.int8),
                    "invalid_reason": pa.array(reasons, pa.string()),
                }
            ),
        )
        parameters = [name, run.mode, records.source, records.origin.timestamp()]
        for table, at, extra, outcome in (
            ("sim_loaded", "loaded_at", "o.loads", LOADED),
            (
                "sim_dead_letters",
                "dead_lettered_at",
                _DEAD_LETTER_REASON,
                DEAD_LETTERED,
            ),
        ):
            query = _RECORD_OUTPUTS.format(
                table=table, at=at, extra=extra, outcome=outcome, record=record
            )
            con.execute(query, parameters)
        con.unregister("_sim_outcomes")
    con.unregister("_sim_source_rows")


def _quoted(name: str) -> str:
    """Quote an SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


_DEAD_LETTER_REASON = (
    "CASE WHEN o.invalid_reason <> '' THEN o.invalid_reason "
    "ELSE 'failed ' || o.deliveries || ' deliveries' END"
)

_RECORD_OUTPUTS = """
INSERT INTO {table}
SELECT ?, ?, ?, s._line, to_timestamp(?::DOUBLE + o.ended_s), o.deliveries,
       {extra}, {record}
FROM _sim_outcomes o JOIN _sim_source_rows s USING (_position)
WHERE o.outcome = {outcome}
ORDER BY o._position
"""
