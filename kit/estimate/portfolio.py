"""Estimate every scheduled job of a portfolio from its inventory and run history.

Each job gets a scenario derived from what the store knows (schedule, calls per
record and per block, concurrency, records per day and their hourly profile,
per-record time fitted from run durations) and, for what it does not know, the
defaults; both lists are kept with the scenario so a reader can see which
figures are measured.
"""

from __future__ import annotations

import logging
import statistics
import textwrap
from dataclasses import dataclass, field, replace

import duckdb

from kit.errors import InputError
from kit.estimate import estimate_scenario
from kit.estimate.fixed_frequency import (
    NearestCron,
    fixed_frequency_timetable,
    nearest_cron,
)
from kit.scenario import Scenario, scenario_to_toml, with_overrides
from kit.schedule import Schedule, describe
from kit.store import replace_rows

log = logging.getLogger(__name__)

DAY_S = 86400.0
HOUR_S = 3600.0
MIN_RUNS_FOR_FIT = 3
# Mule's batch maxConcurrency defaults to twice the cores; a 2-core worker.
DEFAULT_BATCH_CONCURRENCY = 4
# Mule's batch blockSize default, for a block call whose aggregator size is unknown.
DEFAULT_BLOCK_SIZE = 100
# An arrival profile needs runs on this many days, in this many hours of the day.
MIN_PROFILE_DAYS = 3
MIN_PROFILE_HOURS = 18

Timetable = tuple[list[float], float]

_JOBS = """
SELECT j.app, j.flow, j.batch_job, j.mode, j.cron, j.time_zone, j.frequency_ms,
       j.period_s, j.block_size, j.max_concurrency, j.calls_per_record,
       j.calls_per_block, h.records_per_day
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

_BLOCK_CALL_SIZES = """
SELECT s.aggregator_size FROM calls c
LEFT JOIN steps s
       ON s.app = c.app AND s.flow = c.flow
      AND s.batch_job IS NOT DISTINCT FROM c.batch_job AND s.step = c.step
WHERE c.per = 'block' AND c.app = ? AND c.flow = ?
  AND c.batch_job IS NOT DISTINCT FROM ?
"""

_RUN_DAYS = """
SELECT count(DISTINCT CAST(started_at AS DATE)),
       date_diff('day', min(started_at), max(started_at)) + 1
FROM runs WHERE job = ? AND (app IS NULL OR app = ?) AND started_at IS NOT NULL
"""

_RECORDS_BY_HOUR = """
SELECT hour(started_at), coalesce(sum(records_total), 0) FROM runs
WHERE job = ? AND (app IS NULL OR app = ?) AND started_at IS NOT NULL
GROUP BY 1
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


# Micro-batch intervals tried, longest first: a scheduler every minute or more.
MICRO_BATCH_INTERVALS_S = (900.0, 600.0, 300.0, 120.0, 60.0)
_INTERVAL = "micro_batch.interval_s"


@dataclass(frozen=True)
class _JobRow:
    """One job as the inventory and the history summary describe it."""

    app: str
    flow: str
    batch_job: str | None
    mode: str
    cron: str | None
    time_zone: str | None
    frequency_ms: int | None
    period_s: float | None
    block_size: int | None
    max_concurrency: int | None
    calls_per_record: int | None
    calls_per_block: int | None
    records_per_day: float | None

    @property
    def job(self) -> str:
        """The name the run history knows the job by."""
        return self.batch_job or self.flow


@dataclass
class _Findings:
    """What a derivation found: values by dotted key, where each came from, notes."""

    overrides: dict[str, object] = field(default_factory=dict)
    derived: list[str] = field(default_factory=list)
    defaulted: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    timetable: Timetable | None = None

    def measure(self, key: str, value: object) -> None:
        """Set a key from the inventory or the history."""
        self.overrides[key] = value
        self.derived.append(key)

    def assume(self, key: str, value: object | None = None) -> None:
        """Name a key as defaulted, setting it when the default is not the file's."""
        if value is not None:
            self.overrides[key] = value
        self.defaulted.append(key)


@dataclass(frozen=True)
class _DerivedJob:
    """A derived scenario with the fire times to estimate it by, and its notes."""

    derived: DerivedScenario
    timetable: Timetable | None
    notes: list[str]


def derive_scenarios(
    con: duckdb.DuckDBPyConnection, defaults: Scenario
) -> list[DerivedScenario]:
    """Build a scenario for every batch and micro-batch job in the store."""
    return [job.derived for job in _derive_jobs(con, defaults)]


def _derive_jobs(
    con: duckdb.DuckDBPyConnection, defaults: Scenario
) -> list[_DerivedJob]:
    """Derive every job's scenario, fire times and notes."""
    rows = [_JobRow(*row) for row in con.execute(_JOBS).fetchall()]
    return [_derive(con, defaults, row) for row in rows]


def _derive(
    con: duckdb.DuckDBPyConnection, defaults: Scenario, row: _JobRow
) -> _DerivedJob:
    """Derive one job's scenario: each step sets keys and says where they came from."""
    found = _Findings()

    _derive_schedule(row, found)
    concurrency = _derive_concurrency(row, defaults, found)
    _derive_calls(con, row, found)
    _derive_arrivals(con, row, found)
    _derive_service(con, row, concurrency, found)

    scenario = with_overrides(replace(defaults, name=row.job), found.overrides)
    derived = DerivedScenario(
        row.app, row.flow, row.batch_job, scenario, found.derived, found.defaulted
    )
    return _DerivedJob(derived, found.timetable, found.notes)


def _derive_schedule(row: _JobRow, found: _Findings) -> None:
    """The cron, or a fixed frequency's nearest cron, its zone and the tick."""
    if row.cron:
        found.measure("batch.cron", row.cron)
    elif row.frequency_ms:
        _derive_fixed_frequency(int(row.frequency_ms), found)
    else:
        found.assume("batch.cron")

    if row.cron or row.frequency_ms:
        found.measure("batch.time_zone", row.time_zone or "UTC")
    if row.mode == "micro-batch" and row.period_s:
        found.measure("micro_batch.interval_s", float(row.period_s))


def _derive_fixed_frequency(frequency_ms: int, found: _Findings) -> None:
    """An exact cron when one exists; else the nearest, and the exact fire times.

    The cron that stands in for the frequency is listed as defaulted, and a
    note says what the estimates used instead.
    """
    nearest = nearest_cron(frequency_ms)
    if nearest.exact:
        found.measure("batch.cron", nearest.cron)
        return

    found.assume("batch.cron", nearest.cron)
    found.timetable = fixed_frequency_timetable(frequency_ms)
    found.notes.append(
        _approximation_note(frequency_ms, nearest, found.timetable is not None)
    )


def _approximation_note(frequency_ms: int, nearest: NearestCron, exact: bool) -> str:
    """Say which cron stands in for a fixed frequency and what the estimates used."""
    every = describe(Schedule("fixed-frequency", frequency_ms=frequency_ms)).lower()
    used = (
        f"the estimates fire {every} from midnight"
        if exact
        else "the estimates use it too, as the exact fires would be too many"
    )
    stand_in = describe(Schedule("cron", cron=nearest.cron)).lower()
    return (
        f"batch.cron: no Quartz cron fires {every}, so the scenario keeps the "
        f"nearest, {nearest.cron!r} ({stand_in}); {used}."
    )


def _derive_concurrency(row: _JobRow, defaults: Scenario, found: _Findings) -> int:
    """The inventory's maxConcurrency, else the defaults file's, else Mule's default.

    The defaults file sets one when its value differs from ``Scenario()``'s.
    """
    if row.max_concurrency:
        found.measure("batch.concurrency", int(row.max_concurrency))
        return int(row.max_concurrency)

    concurrency = defaults.batch.concurrency
    if concurrency == Scenario().batch.concurrency:
        concurrency = DEFAULT_BATCH_CONCURRENCY
    found.assume("batch.concurrency", concurrency)
    return concurrency


def _derive_calls(
    con: duckdb.DuckDBPyConnection, row: _JobRow, found: _Findings
) -> None:
    """Calls per record, and calls per block with the records in a block.

    A call inside a batch aggregator is made once per aggregated block; the
    block's size is the aggregator's, or when that is unknown (a streaming
    aggregator, an unresolved placeholder) the job's blockSize or Mule's 100.
    Blocks of several sizes count as their harmonic mean, rounded, so that
    calls_per_block / block_size stays the calls a record makes in blocks.
    """
    found.measure("enrichment.calls_per_record", int(row.calls_per_record or 0))
    found.measure("enrichment.calls_per_block", int(row.calls_per_block or 0))
    if not row.calls_per_block:
        return

    parameters = [row.app, row.flow, row.batch_job]
    rows = con.execute(_BLOCK_CALL_SIZES, parameters).fetchall()
    sizes = [size for (size,) in rows] or [None]
    fallback = row.block_size or DEFAULT_BLOCK_SIZE
    block_size = round(statistics.harmonic_mean([size or fallback for size in sizes]))
    if all(sizes):
        found.measure("enrichment.block_size", block_size)
    else:
        found.assume("enrichment.block_size", block_size)


def _derive_arrivals(
    con: duckdb.DuckDBPyConnection, row: _JobRow, found: _Findings
) -> None:
    """The rate from records per day, and the hourly profile when runs allow one."""
    if row.records_per_day:
        found.measure(
            "arrivals.rate_per_s", max(float(row.records_per_day) / DAY_S, 1e-9)
        )
    else:
        found.assume("arrivals.rate_per_s")

    profile = _hourly_profile(con, row.job, row.app)
    if profile is not None:
        found.measure("arrivals.process", "profile")
        found.measure("arrivals.hourly_rates", profile)


def _hourly_profile(
    con: duckdb.DuckDBPyConnection, job: str, app: str
) -> tuple[float, ...] | None:
    """Records per second for each hour of the day, from the runs' start hours.

    Each hour's records are summed over the history and divided by the days it
    spans, as records per day are. Needs runs on at least three days and in at
    least 18 of the 24 hours; a job that runs less often says too little about
    the hours between its runs. A run carries the records that arrived since
    the previous one, so the profile lags arrivals by up to one period: nothing
    for a micro-batch, up to an hour for an hourly job.
    """
    days, span_days = con.execute(_RUN_DAYS, [job, app]).fetchone()
    records = dict(con.execute(_RECORDS_BY_HOUR, [job, app]).fetchall())
    if days < MIN_PROFILE_DAYS or len(records) < MIN_PROFILE_HOURS:
        return None
    return tuple(records.get(hour, 0) / span_days / HOUR_S for hour in range(24))


def _derive_service(
    con: duckdb.DuckDBPyConnection, row: _JobRow, concurrency: int, found: _Findings
) -> None:
    """The per-record time fitted from the runs, on the batch's concurrency."""
    per_record_s = _fit_per_record_time(con, row.job, row.app, concurrency)
    if per_record_s is not None:
        found.measure("service.mean_s", per_record_s)
    else:
        found.assume("service.mean_s")


def _fit_per_record_time(
    con: duckdb.DuckDBPyConnection, job: str, app: str, concurrency: int
) -> float | None:
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


def estimate_portfolio(
    con: duckdb.DuckDBPyConnection, defaults: Scenario | None = None
) -> list[dict]:
    """Estimate every job; write ``scenarios`` and ``estimates``; return the figures.

    A job on a fixed frequency that no cron expresses is estimated from its
    exact fire times; its document's ``notes`` and its stored TOML say so.
    A store without an inventory is an input error: it has no jobs to estimate.
    """
    if not con.execute("SELECT count(*) FROM apps").fetchone()[0]:
        raise InputError(
            "the assessment database holds no inventory, so no jobs to estimate; "
            "run 'kit inventory PATH --db FILE' on the same file first"
        )
    jobs = _derive_jobs(con, defaults or Scenario())
    documents, scenario_rows, mode_rows = [], [], []
    for index, each in enumerate(jobs):
        each, figures = _estimate(each)
        jobs[index] = each
        job = each.derived
        documents.append(
            {
                "app": job.app,
                "flow": job.flow,
                "batch_job": job.batch_job,
                "derived": job.derived,
                "defaulted": job.defaulted,
                "notes": each.notes,
                **figures,
            }
        )
        scenario_rows.append(
            {
                "app": job.app,
                "flow": job.flow,
                "batch_job": job.batch_job,
                "name": job.scenario.name,
                "toml": _stored_toml(job.scenario, each.notes),
                "derived": job.derived,
                "defaulted": job.defaulted,
            }
        )
        mode_rows.extend(estimate_rows(job, figures))
    replace_rows(con, "scenarios", scenario_rows)
    replace_rows(con, "estimates", mode_rows)
    log.info(
        "estimates: %d jobs, %d with measured history",
        len(jobs),
        sum("service.mean_s" in each.derived.derived for each in jobs),
    )
    return documents


def _estimate(each: _DerivedJob) -> tuple[_DerivedJob, dict]:
    """Estimate a job; judge a would-be micro-batch at the longest interval that does.

    A job that is a micro-batch today keeps its own interval: its micro-batch
    figures are its figures today. For any other job, when only streaming
    meets the objective at the default interval, the standard intervals below
    it are tried, longest first, and the first with which a micro-batch
    qualifies is kept; when none does, the shortest, so that the reason says
    even a tick every minute misses. The interval is listed as defaulted (the
    kit chose it), and the reason names it.
    """
    job = each.derived
    figures = estimate_scenario(job.scenario, each.timetable)
    if _INTERVAL in job.derived or figures["recommendation"]["mode"] != "streaming":
        return each, figures

    current = job.scenario.micro_batch.interval_s
    shorter = [step for step in MICRO_BATCH_INTERVALS_S if step < current]
    if not shorter:
        return each, figures
    for interval in shorter:
        trial = with_overrides(job.scenario, {_INTERVAL: interval})
        trial_figures = estimate_scenario(trial, each.timetable)
        if trial_figures["recommendation"]["mode"] == "micro_batch":
            break
    defaulted = [key for key in job.defaulted if key != _INTERVAL]
    chosen = replace(job, scenario=trial, defaulted=[*defaulted, _INTERVAL])
    return replace(each, derived=chosen), trial_figures


def _stored_toml(scenario: Scenario, notes: list[str]) -> str:
    """The scenario as TOML, with each note as a comment above it."""
    comments = [
        f"# {line}\n" for note in notes for line in textwrap.wrap(note, width=86)
    ]
    return "".join(comments) + scenario_to_toml(scenario)


def estimate_rows(job: DerivedScenario, figures: dict) -> list[dict]:
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
