"""The DataFrames the notebooks draw, each read from the assessment's tables.

One function per figure, named after what it holds. Every function takes an
open connection and an optional job filter (flow, batch job or scenario names);
none writes. ``open_assessment`` opens the file read-only, so several
notebooks can read it at once.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from kit.errors import InputError
from kit.scenario import Scenario, scenario_from_dict
from kit.schedule import PERIOD_WINDOW_START, fire_times, job_schedule

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
# Schedules firing more often than this are spread evenly over the week's hours
# instead of listing every fire.
_LISTED_PERIOD_S = 60.0
# Points kept per mode on a simulated latency distribution.
_CDF_POINTS = 400
# Points kept per mode on a simulated time series.
_SERIES_POINTS = 1000

_JOB = "coalesce(batch_job, flow)"


def open_assessment(path: str | Path) -> duckdb.DuckDBPyConnection:
    """Open an assessment database read-only, or say how to make one."""
    path = Path(path)
    if not path.is_file():
        raise InputError(
            f"no assessment database at {str(path)!r}; run 'make demo' or "
            "'kit report' first, or set the notebook's db parameter to your file"
        )
    return duckdb.connect(str(path), read_only=True)


def job_filter(jobs: Sequence[str], names: str = "flow, batch_job") -> str:
    """A SQL condition keeping rows whose names hold one of ``jobs`` (all if none).

    >>> job_filter([])
    'TRUE'
    >>> job_filter(["orders"])
    "list_has_any([flow, batch_job], ['orders'])"
    """
    if not jobs:
        return "TRUE"
    quoted = ", ".join("'" + job.replace("'", "''") + "'" for job in jobs)
    return f"list_has_any([{names}], [{quoted}])"


# Inventory -----------------------------------------------------------------


def jobs_frame(
    con: duckdb.DuckDBPyConnection, jobs: Sequence[str] = ()
) -> pd.DataFrame:
    """Every job with its app, mode, trigger, schedule and calls per record."""
    return con.execute(
        f"""
        SELECT app, flow, batch_job, {_JOB} AS job, mode, trigger_kind,
               trigger_source, description AS schedule, period_s, cron,
               time_zone, frequency_ms, calls_per_record
        FROM jobs WHERE {job_filter(jobs)} ORDER BY app, flow, batch_job
        """
    ).df()


def schedule_fires(
    con: duckdb.DuckDBPyConnection, jobs: Sequence[str] = ()
) -> pd.DataFrame:
    """Scheduled fires per weekday and UTC hour over the reference week.

    The week starts on ``kit.schedule.PERIOD_WINDOW_START`` (Monday) at 00:00
    UTC, the same window the inventory's periods come from. Returns one row
    per weekday and hour that fires: ``fires``, ``jobs`` and ``job_names``.
    """
    start = datetime.combine(PERIOD_WINDOW_START, datetime.min.time(), timezone.utc)
    end = start + timedelta(days=7)
    counts: dict[tuple[int, int], dict[str, float]] = {}
    for row in jobs_frame(con, jobs).itertuples():
        for (day, hour), fires in _hourly_fires(row, start, end).items():
            counts.setdefault((day, hour), {})[row.job] = fires

    rows = [
        {
            "weekday": WEEKDAYS[day],
            "hour": hour,
            "fires": float(sum(by_job.values())),
            "jobs": len(by_job),
            "job_names": ", ".join(sorted(by_job)),
        }
        for (day, hour), by_job in sorted(counts.items())
    ]
    columns = ["weekday", "hour", "fires", "jobs", "job_names"]
    return pd.DataFrame(rows, columns=columns)


def _hourly_fires(row, start: datetime, end: datetime) -> dict[tuple[int, int], float]:
    """One job's fires per (weekday, hour) in [start, end)."""
    frequency = None if pd.isna(row.frequency_ms) else float(row.frequency_ms)
    schedule = job_schedule(row.cron, row.time_zone, frequency)
    if schedule is None:
        return {}

    if pd.notna(row.period_s) and row.period_s < _LISTED_PERIOD_S:
        per_hour = 3600.0 / row.period_s
        return {(day, hour): per_hour for day in range(7) for hour in range(24)}

    counts: dict[tuple[int, int], float] = {}
    for moment in fire_times(schedule, start, end):
        utc = moment.astimezone(timezone.utc)
        key = (utc.weekday(), utc.hour)
        counts[key] = counts.get(key, 0.0) + 1.0
    return counts


def calls_by_api(
    con: duckdb.DuckDBPyConnection, jobs: Sequence[str] = ()
) -> pd.DataFrame:
    """Declared outbound calls per downstream API and multiplicity.

    The API is the connector configuration a call uses, or its component where
    it names none.
    """
    return con.execute(
        f"""
        SELECT coalesce(config_ref, component) AS api, per,
               count(*) AS calls, count(DISTINCT app || '/' || {_JOB}) AS jobs,
               string_agg(DISTINCT component, ', ' ORDER BY component) AS components
        FROM calls WHERE {job_filter(jobs)}
        GROUP BY ALL ORDER BY calls DESC, api, per
        """
    ).df()


def findings_frame(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every finding of every stage, most severe first."""
    return con.execute(
        """
        SELECT stage, severity, code, app, file, line, message FROM findings
        ORDER BY CASE severity WHEN 'error' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END,
                 code, app, file, line
        """
    ).df()


# Run history ---------------------------------------------------------------


def runs_frame(
    con: duckdb.DuckDBPyConnection, jobs: Sequence[str] = ()
) -> pd.DataFrame:
    """Every run with its job, times, duration, records and status."""
    return con.execute(
        f"""
        SELECT app, job, instance, status, started_at, finished_at, duration_s,
               records_total, records_failed
        FROM runs WHERE {job_filter(jobs, "job")}
        ORDER BY app, job, started_at
        """
    ).df()


def run_outcomes(
    con: duckdb.DuckDBPyConnection, jobs: Sequence[str] = ()
) -> pd.DataFrame:
    """Runs per job and status."""
    return con.execute(
        f"""
        SELECT job, status, count(*) AS runs FROM runs
        WHERE {job_filter(jobs, "job")} GROUP BY ALL ORDER BY job, status
        """
    ).df()


def daily_runs(
    con: duckdb.DuckDBPyConnection, jobs: Sequence[str] = ()
) -> pd.DataFrame:
    """Per job and day: runs, records moved, median and longest duration."""
    return con.execute(
        f"""
        SELECT app, job, CAST(started_at AS DATE) AS day, count(*) AS runs,
               sum(records_total) AS records, median(duration_s) AS duration_p50_s,
               max(duration_s) AS duration_max_s
        FROM runs WHERE started_at IS NOT NULL AND {job_filter(jobs, "job")}
        GROUP BY ALL ORDER BY app, job, day
        """
    ).df()


def start_lateness(
    con: duckdb.DuckDBPyConnection, jobs: Sequence[str] = ()
) -> pd.DataFrame:
    """Per job, the spread of start lateness against the expected fire times."""
    return con.execute(
        f"""
        SELECT app, job, count(*) AS runs,
               quantile_cont(lateness_s, 0.05) AS p05_s,
               quantile_cont(lateness_s, 0.25) AS p25_s,
               quantile_cont(lateness_s, 0.5) AS p50_s,
               quantile_cont(lateness_s, 0.75) AS p75_s,
               quantile_cont(lateness_s, 0.95) AS p95_s,
               max(lateness_s) AS max_s
        FROM run_schedule WHERE {job_filter(jobs, "job")}
        GROUP BY ALL ORDER BY app, job
        """
    ).df()


def job_history(
    con: duckdb.DuckDBPyConnection, jobs: Sequence[str] = ()
) -> pd.DataFrame:
    """The ``job_history`` view: per job durations, records, failures, lateness."""
    return con.execute(
        f"SELECT * FROM job_history WHERE {job_filter(jobs, 'job')} ORDER BY app, job"
    ).df()


def log_rejects(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Log lines no pattern matched, with their file and line."""
    return con.execute(
        "SELECT source_file, line, reason, text FROM log_rejects "
        "ORDER BY source_file, line"
    ).df()


# Estimates -----------------------------------------------------------------


def estimates_frame(
    con: duckdb.DuckDBPyConnection, jobs: Sequence[str] = ()
) -> pd.DataFrame:
    """One row per job and mode, with the worst-case latency in one column.

    ``latency_worst_s`` is the p95 for streaming and micro-batch and the maximum
    for batch; ``limit_per_min`` is the job's rate limit per minute (or null).
    """
    frame = con.execute(
        f"""
        SELECT e.app, e.flow, e.batch_job, e.scenario AS job, e.mode, e.stable,
               e.latency_mean_s, coalesce(e.latency_p95_s, e.latency_max_s)
                   AS latency_worst_s,
               e.utilisation, e.consumers, e.min_consumers_for_slo,
               e.backlog_growth_per_h, e.run_duration_s, e.api_calls_per_s,
               e.peak_calls_per_min, e.rate_limit_headroom, e.hit_ratio,
               e.recommended, e.reason
        FROM estimates e
        WHERE {job_filter(jobs, "e.flow, e.batch_job, e.scenario")}
        ORDER BY e.app, e.scenario,
                 list_position(['batch', 'micro-batch', 'streaming'], e.mode)
        """
    ).df()
    limits = {
        (app, name): scenario.enrichment.rate_limit_per_s * 60 or None
        for app, name, scenario in stored_scenarios(con)
    }
    frame["limit_per_min"] = [
        limits.get(key) for key in zip(frame["app"], frame["job"], strict=True)
    ]
    return frame


def stored_scenarios(
    con: duckdb.DuckDBPyConnection,
) -> list[tuple[str, str, Scenario]]:
    """Every stored scenario as (app, name, scenario)."""
    rows = con.execute("SELECT app, name, toml FROM scenarios ORDER BY app, name")
    return [
        (app, name, scenario_from_dict(tomllib.loads(toml), f"scenario {name}"))
        for app, name, toml in rows.fetchall()
    ]


def recommendations(
    con: duckdb.DuckDBPyConnection, jobs: Sequence[str] = ()
) -> pd.DataFrame:
    """One row per job: today's mode and freshness, the recommended ones, why."""
    estimates = estimates_frame(con, jobs)
    if estimates.empty:
        return pd.DataFrame(
            columns=[
                "app", "job", "today_mode", "today_s", "recommended_mode",
                "recommended_s", "gain_s", "reason",
            ]
        )  # fmt: skip
    today = con.execute(f"SELECT app, {_JOB} AS job, mode AS today_mode FROM jobs").df()
    chosen = estimates[estimates["recommended"]].rename(
        columns={"mode": "recommended_mode", "latency_mean_s": "recommended_s"}
    )
    merged = chosen.merge(today, on=["app", "job"], how="left")
    merged["today_mode"] = merged["today_mode"].fillna("batch")
    current = estimates.set_index(["app", "job", "mode"])["latency_mean_s"]
    merged["today_s"] = [
        current.get((app, job, mode), np.nan)
        for app, job, mode in zip(
            merged["app"], merged["job"], merged["today_mode"], strict=True
        )
    ]
    merged["gain_s"] = merged["today_s"] - merged["recommended_s"]
    columns = [
        "app", "job", "today_mode", "today_s", "recommended_mode", "recommended_s",
        "gain_s", "reason",
    ]  # fmt: skip
    return merged[columns].reset_index(drop=True)


def api_load(con: duckdb.DuckDBPyConnection, jobs: Sequence[str] = ()) -> pd.DataFrame:
    """Estimated calls per second and peak per minute on each API, per mode.

    A job's estimated API calls are shared among the APIs it calls once per
    record, in proportion to how many of its per-record calls go to each.
    """
    return con.execute(
        f"""
        WITH shares AS (
            SELECT app, {_JOB} AS job, coalesce(config_ref, component) AS api,
                   count(*) / sum(count(*)) OVER (PARTITION BY app, {_JOB}) AS share
            FROM calls WHERE per = 'record' AND {job_filter(jobs)}
            GROUP BY app, {_JOB}, coalesce(config_ref, component)
        )
        SELECT s.api, e.mode,
               sum(e.api_calls_per_s * s.share) AS calls_per_s,
               sum(e.peak_calls_per_min * s.share) AS peak_calls_per_min,
               count(*) AS jobs
        FROM estimates e JOIN shares s ON s.app = e.app AND s.job = e.scenario
        GROUP BY s.api, e.mode
        ORDER BY api, list_position(['batch', 'micro-batch', 'streaming'], e.mode)
        """
    ).df()


# Simulation ----------------------------------------------------------------


def simulated_jobs(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Scenario names with simulated runs, busiest first."""
    rows = con.execute(
        "SELECT scenario FROM sim_runs GROUP BY scenario "
        "ORDER BY max(api_calls_total) DESC, max(records) DESC, scenario"
    ).fetchall()
    return [name for (name,) in rows]


def simulation_runs(con: duckdb.DuckDBPyConnection, scenario: str) -> pd.DataFrame:
    """The ``sim_runs`` rows of one scenario, in mode order."""
    return con.execute(
        "SELECT * FROM sim_runs WHERE scenario = ? "
        "ORDER BY list_position(['batch', 'micro-batch', 'streaming'], mode)",
        [scenario],
    ).df()


def latency_cdf(con: duckdb.DuckDBPyConnection, scenario: str) -> pd.DataFrame:
    """Loaded records' latency distribution per mode, at evenly spaced shares."""
    shares = [round(step / _CDF_POINTS, 6) for step in range(1, _CDF_POINTS + 1)]
    return con.execute(
        f"""
        WITH quantiles AS (
            SELECT mode,
                   quantile_cont(loaded_s - arrived_s, {shares}) AS latencies
            FROM sim_records WHERE scenario = ? AND loaded_s IS NOT NULL
            GROUP BY mode
        )
        SELECT mode, unnest({shares}) AS share,
               greatest(unnest(latencies), 1e-3) AS latency_s
        FROM quantiles ORDER BY mode, share
        """,
        [scenario],
    ).df()


def simulation_series(con: duckdb.DuckDBPyConnection, scenario: str) -> pd.DataFrame:
    """Queue depth, loads and API calls over time, per mode, at most ~1,000 points.

    Long runs are cut into buckets of whole minutes: ``queue_depth`` and
    ``api_calls`` are the bucket's busiest minute (what a limit sees),
    ``loaded`` its mean per minute. ``hour`` is the bucket's start.
    """
    return con.execute(
        f"""
        WITH size AS (
            SELECT greatest(1, ceil((max(minute) + 1) / {_SERIES_POINTS}))::BIGINT
                   AS minutes
            FROM sim_series WHERE scenario = $1
        )
        SELECT mode, minute // minutes * minutes AS minute,
               minute // minutes * minutes / 60 AS hour,
               max(queue_depth) AS queue_depth, avg(loaded) AS loaded,
               max(api_calls) AS api_calls
        FROM sim_series, size WHERE scenario = $1
        GROUP BY ALL ORDER BY mode, minute
        """,
        [scenario],
    ).df()


def estimate_against_simulation(
    con: duckdb.DuckDBPyConnection, scenario: str
) -> pd.DataFrame:
    """Mean and p95 latency (max for batch), estimated and simulated, per mode."""
    return con.execute(
        """
        WITH estimated AS (
            SELECT mode, 'estimate' AS source, latency_mean_s AS mean,
                   coalesce(latency_p95_s, latency_max_s) AS worst
            FROM estimates WHERE scenario = ?
        ), simulated AS (
            SELECT mode, 'simulation' AS source, latency_mean_s AS mean,
                   CASE WHEN mode = 'batch' THEN latency_max_s ELSE latency_p95_s END
                       AS worst
            FROM sim_runs WHERE scenario = ?
        ), both_sources AS (
            SELECT * FROM estimated UNION ALL SELECT * FROM simulated
        )
        SELECT mode, source, 'mean' AS figure, mean AS seconds FROM both_sources
        UNION ALL
        SELECT mode, source,
               CASE WHEN mode = 'batch' THEN 'max' ELSE 'p95' END, worst
        FROM both_sources
        ORDER BY mode, figure, source
        """,
        [scenario, scenario],
    ).df()
