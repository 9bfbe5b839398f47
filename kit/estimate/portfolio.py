"""Estimate every scheduled job of a portfolio from its inventory and run history.

Each job gets a scenario derived from what the store knows (schedule, calls per
record, concurrency, records per day, per-record time fitted from run
durations) and, for what it does not know, the defaults; both lists are kept
with the scenario so a reader can see which figures are measured.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace

import duckdb

from kit.errors import InputError
from kit.estimate import estimate_scenario
from kit.scenario import Scenario, scenario_to_toml, with_overrides
from kit.store import replace_rows

log = logging.getLogger(__name__)

DAY_S = 86400.0
MIN_RUNS_FOR_FIT = 3
# Mule's batch maxConcurrency defaults to twice the cores; a 2-core worker.
DEFAULT_BATCH_CONCURRENCY = 4

_JOBS = """
SELECT j.app, j.flow, j.batch_job, j.mode, j.cron, j.time_zone, j.frequency_ms,
       j.period_s, j.max_concurrency, j.calls_per_record,
       h.runs, h.records_per_day
FROM jobs j
LEFT JOIN job_history h
       ON h.job = coalesce(j.batch_job, j.flow) AND (h.app IS NULL OR h.app = j.app)
WHERE j.mode IN ('batch', 'micro-batch')
ORDER BY j.app, j.flow, j.batch_job
"""

_RUN_SIZES = """
SELECT records_total, duration_s FROM runs
WHERE job = ? AND (app IS NULL OR app = ?)
  AND status = 'finished' AND records_total > 0 AND duration_s > 0
"""


@dataclass
class DerivedScenario:
    """One job's scenario, with the keys measured and the keys defaulted."""

    app: str
    flow: str
    batch_job: str | None
    scenario: Scenario
    derived: list[str] = field(default_factory=list)
    defaulted: list[str] = field(default_factory=list)


def derive_scenarios(
    con: duckdb.DuckDBPyConnection, defaults: Scenario
) -> list[DerivedScenario]:
    """Build a scenario for every batch and micro-batch job in the store."""
    derived = []
    for row in con.execute(_JOBS).fetchall():
        derived.append(_derive(con, defaults, *row))
    return derived


def _derive(
    con,
    defaults: Scenario,
    app,
    flow,
    batch_job,
    mode,
    cron,
    time_zone,
    frequency_ms,
    period_s,
    max_concurrency,
    calls_per_record,
    runs,
    records_per_day,
) -> DerivedScenario:
    job = batch_job or flow
    result = DerivedScenario(app, flow, batch_job, replace(defaults, name=job))
    overrides: dict[str, object] = {}

    def measured(key: str, value: object) -> None:
        overrides[key] = value
        result.derived.append(key)

    schedule = cron or (_frequency_as_cron(frequency_ms) if frequency_ms else None)
    if schedule:
        measured("batch.cron", schedule)
        measured("batch.time_zone", time_zone or "UTC")
    else:
        result.defaulted.append("batch.cron")
    if mode == "micro-batch" and period_s:
        measured("micro_batch.interval_s", float(period_s))

    concurrency = max_concurrency or DEFAULT_BATCH_CONCURRENCY
    if max_concurrency:
        measured("batch.concurrency", int(max_concurrency))
    else:
        overrides["batch.concurrency"] = DEFAULT_BATCH_CONCURRENCY
        result.defaulted.append("batch.concurrency")
    measured("enrichment.calls_per_record", int(calls_per_record or 0))

    if records_per_day:
        measured("arrivals.rate_per_s", max(float(records_per_day) / DAY_S, 1e-9))
    else:
        result.defaulted.append("arrivals.rate_per_s")
    per_record_s = _fit_per_record_time(con, job, app, concurrency)
    if per_record_s is not None:
        measured("service.mean_s", per_record_s)
    else:
        result.defaulted.append("service.mean_s")

    result.scenario = with_overrides(result.scenario, overrides)
    return result


def _fit_per_record_time(con, job: str, app: str, concurrency: int) -> float | None:
    """Per-record time from runs: the least-squares slope of duration on N/concurrency.

    A run of N records on c workers lasts about N·s/c, so the slope through
    the origin is s. Needs at least three finished runs with records.
    """
    sizes = con.execute(_RUN_SIZES, [job, app]).fetchall()
    if len(sizes) < MIN_RUNS_FOR_FIT:
        return None
    loads = [records / concurrency for records, _ in sizes]
    numerator = sum(
        load * duration for load, (_, duration) in zip(loads, sizes, strict=True)
    )
    denominator = sum(load * load for load in loads)
    return numerator / denominator if denominator and numerator > 0 else None


def _frequency_as_cron(frequency_ms: int) -> str:
    """A Quartz cron that fires every ``frequency_ms`` within the next larger unit.

    >>> _frequency_as_cron(300_000), _frequency_as_cron(3_600_000)
    ('0 0/5 * * * ?', '0 0 0/1 * * ?')
    """
    seconds = max(1, round(frequency_ms / 1000))
    if seconds < 60:
        return f"0/{seconds} * * * * ?"
    if seconds < 3600:
        return f"0 0/{seconds // 60} * * * ?"
    if seconds < DAY_S:
        return f"0 0 0/{seconds // 3600} * * ?"
    return f"0 0 0 1/{max(1, seconds // int(DAY_S))} * ?"


def estimate_portfolio(
    con: duckdb.DuckDBPyConnection, defaults: Scenario | None = None
) -> list[dict]:
    """Estimate every job; write ``scenarios`` and ``estimates``; return the figures.

    A store without an inventory is an input error: it has no jobs to estimate.
    """
    if not con.execute("SELECT count(*) FROM apps").fetchone()[0]:
        raise InputError(
            "the assessment database holds no inventory, so no jobs to estimate; "
            "run 'kit inventory PATH --db FILE' on the same file first"
        )
    jobs = derive_scenarios(con, defaults or Scenario())
    documents, scenario_rows, estimate_rows = [], [], []
    for job in jobs:
        figures = estimate_scenario(job.scenario)
        documents.append(
            {
                "app": job.app,
                "flow": job.flow,
                "batch_job": job.batch_job,
                "derived": job.derived,
                "defaulted": job.defaulted,
                **figures,
            }
        )
        scenario_rows.append(
            {
                "app": job.app,
                "flow": job.flow,
                "batch_job": job.batch_job,
                "name": job.scenario.name,
                "toml": scenario_to_toml(job.scenario),
                "derived": job.derived,
                "defaulted": job.defaulted,
            }
        )
        estimate_rows.extend(_estimate_rows(job, figures))
    replace_rows(con, "scenarios", scenario_rows)
    replace_rows(con, "estimates", estimate_rows)
    log.info(
        "estimates: %d jobs, %d with measured history",
        len(jobs),
        sum("service.mean_s" in job.derived for job in jobs),
    )
    return documents


def _estimate_rows(job: DerivedScenario, figures: dict) -> list[dict]:
    """One row per mode, flattened for charts and SQL."""
    enrichment = figures["enrichment"]
    chosen = figures["recommendation"]["mode"]
    reason = figures["recommendation"]["reason"]
    common = {
        "app": job.app,
        "flow": job.flow,
        "batch_job": job.batch_job,
        "scenario": job.scenario.name,
        "api_calls_per_s": enrichment["api_calls_per_s"],
        "hit_ratio": enrichment["hit_ratio"],
        "reason": reason,
    }
    streaming, micro, batch = (
        figures["streaming"],
        figures["micro_batch"],
        figures["batch"],
    )
    rows = [
        {
            "mode": "streaming",
            "stable": streaming["stable"],
            "latency_mean_s": streaming["latency_mean_s"],
            "latency_p95_s": streaming["latency_p95_s"],
            "utilisation": streaming["utilisation"],
            "consumers": job.scenario.streaming.consumers,
            "min_consumers_for_slo": streaming["min_consumers_for_slo"],
        },
        {
            "mode": "micro-batch",
            "stable": micro["stable"],
            "latency_mean_s": micro["latency_mean_s"],
            "latency_p95_s": micro["latency_p95_s"],
            "backlog_growth_per_h": micro["backlog_growth_per_h"],
        },
        {
            "mode": "batch",
            "stable": batch["latency_mean_s"] is not None,
            "latency_mean_s": batch["latency_mean_s"],
            "latency_max_s": batch["latency_max_s"],
            "run_duration_s": batch["run_duration_s"],
        },
    ]
    for row in rows:
        key = row["mode"].replace("-", "_")
        row.update(common)
        row["peak_calls_per_min"] = enrichment["peak_calls_per_min"][key]
        row["rate_limit_headroom"] = enrichment["rate_limit_headroom"][key]
        row["recommended"] = row["mode"].replace("-", "_") == chosen.replace("-", "_")
    return rows
