"""Compare runs with the schedule the inventory found: lateness, missed fires, overlaps.

Log timestamps carry no zone; they are read in ``log_time_zone`` (UTC unless
told otherwise) and compared with the fire times of each job's own schedule.
"""

from __future__ import annotations

import bisect
from datetime import datetime, timedelta, timezone, tzinfo
from itertools import pairwise

import duckdb

from kit.schedule import Schedule, fire_times, job_schedule, zone_or_utc
from kit.store import replace_rows

# A job whose runs span more fires than this is not compared fire by fire:
# a 1-second poll seen for 90 days would list 7.8 million fire times.
MAX_FIRES_COMPARED = 200_000

# A job is known in the logs by its batch job or, without one, by its flow.
_JOBS_WITH_RUNS = """
SELECT r.app, r.job, j.cron, j.time_zone, j.frequency_ms, j.period_s,
       list(r.instance ORDER BY r.created_at) AS instances,
       list(r.created_at ORDER BY r.created_at) AS created,
       list(r.finished_at ORDER BY r.created_at) AS finished
FROM runs r
JOIN jobs j
  ON coalesce(j.batch_job, j.flow) = r.job AND (r.app IS NULL OR j.app = r.app)
WHERE (j.cron IS NOT NULL OR j.frequency_ms IS NOT NULL) AND r.created_at IS NOT NULL
GROUP BY r.app, r.job, j.cron, j.time_zone, j.frequency_ms, j.period_s
"""

_RUNS_NOT_IN_INVENTORY = """
SELECT r.app, r.job, count(*) AS runs, min(r.source_file) AS source_file
FROM runs r
WHERE NOT EXISTS (
    SELECT 1 FROM jobs j
    WHERE coalesce(j.batch_job, j.flow) = r.job AND (r.app IS NULL OR j.app = r.app)
)
GROUP BY r.app, r.job
"""


def measure_adherence(
    con: duckdb.DuckDBPyConnection, log_time_zone: str = "UTC"
) -> None:
    """Fill ``run_schedule`` and ``missed_fires``; report runs of unknown jobs.

    A run's expected time is the last fire at or before its creation; a fire
    with no run created before the next fire is missed. Without an inventory
    in the store there is nothing to compare with and the tables stay empty.
    A job firing more than ``MAX_FIRES_COMPARED`` times over its runs is left
    out, with an ``info`` finding.
    """
    log_zone, _ = zone_or_utc(log_time_zone)
    scheduled, missed, findings = [], [], []
    for row in con.execute(_JOBS_WITH_RUNS).fetchall():
        app, job, cron, zone, frequency, period, instances, created, finished = row
        plan = job_schedule(cron, zone, frequency)
        if plan is None:
            continue
        start, end = _fire_window(plan, created, log_zone)
        fire_count = (end - start).total_seconds() / period if period else 0
        if fire_count > MAX_FIRES_COMPARED:
            findings.append(_too_frequent(app, job, period, fire_count))
            continue
        fires = _fires_in_log_zone(plan, start, end, log_zone)
        if not fires:
            continue
        scheduled.extend(_compare_runs(app, job, fires, instances, created, finished))
        missed.extend(
            {"app": app, "job": job, "expected_at": fire}
            for fire in _missed(fires, created)
        )
    replace_rows(con, "run_schedule", scheduled)
    replace_rows(con, "missed_fires", missed)
    findings.extend(_unknown_job_findings(con))
    replace_rows(con, "findings", findings, where="stage = 'runlog'")


def _fire_window(
    plan: Schedule, created: list[datetime], log_zone: tzinfo
) -> tuple[datetime, datetime]:
    """From a day before the first run to the last run, as aware log times.

    A fixed frequency starts instead at the fire the first run answered.
    """
    start = created[0].replace(tzinfo=log_zone)
    if plan.kind == "fixed-frequency":
        start -= _first_run_lag(created, plan.frequency_ms / 1000)
    else:
        start -= timedelta(days=1)
    return start, created[-1].replace(tzinfo=log_zone) + timedelta(seconds=1)


def _first_run_lag(created: list[datetime], period_s: float) -> timedelta:
    """How long after its fire the first run of a fixed frequency came.

    A fixed frequency counts from when the app started, which no log line
    tells. Runs come a little after their fires, so their offsets within the
    period bunch together; the bunch begins after the widest empty stretch of
    the period, and its earliest run is taken to be on time.
    """
    offsets = sorted(
        {(moment - created[0]).total_seconds() % period_s for moment in created}
    )
    gaps = [(later - earlier, later) for earlier, later in pairwise(offsets)]
    gaps.append((offsets[0] + period_s - offsets[-1], offsets[0]))
    _, phase = max(gaps)
    return timedelta(seconds=(period_s - phase) % period_s)


def _fires_in_log_zone(
    plan: Schedule, start: datetime, end: datetime, log_zone: tzinfo
) -> list[datetime]:
    """Fire times in ``[start, end)``, as naive log times."""
    times = fire_times(
        plan, start.astimezone(timezone.utc), end.astimezone(timezone.utc)
    )
    return [fire.astimezone(log_zone).replace(tzinfo=None) for fire in times]


def _compare_runs(
    app: str | None,
    job: str,
    fires: list[datetime],
    instances: list[str],
    created: list[datetime],
    finished: list[datetime | None],
) -> list[dict]:
    """Each run's expected fire, lateness and overlap with the run before it."""
    rows = []
    for position, (instance, start) in enumerate(zip(instances, created, strict=True)):
        index = bisect.bisect_right(fires, start) - 1
        previous_end = finished[position - 1] if position else None
        rows.append(
            {
                "app": app,
                "job": job,
                "instance": instance,
                "expected_at": fires[index] if index >= 0 else None,
                "lateness_s": (start - fires[index]).total_seconds()
                if index >= 0
                else None,
                "overlaps_previous": previous_end is not None and start < previous_end,
            }
        )
    return rows


def _missed(fires: list[datetime], created: list[datetime]) -> list[datetime]:
    """Fires after the first run's with no run created before the next fire."""
    first = bisect.bisect_right(fires, created[0]) - 1
    missed = []
    for index in range(max(first, 0), len(fires)):
        window_end = fires[index + 1] if index + 1 < len(fires) else None
        position = bisect.bisect_left(created, fires[index])
        ran = position < len(created) and (
            window_end is None or created[position] < window_end
        )
        if not ran and window_end is not None:
            missed.append(fires[index])
    return missed


def _too_frequent(app: str | None, job: str, period: float, fires: float) -> dict:
    """The finding for a job left out because it fires too often to compare."""
    return {
        "stage": "runlog",
        "severity": "info",
        "code": "adherence-not-computed",
        "app": app,
        "file": None,
        "line": None,
        "message": f"lateness and missed fires of job {job!r} were not computed: it "
        f"fires every {period:g} s, {fires:,.0f} times over its runs in the logs, "
        "too often to compare fire by fire",
    }


def _unknown_job_findings(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """A run of a job the inventory does not know is a finding, not a silent drop."""
    if con.execute("SELECT count(*) FROM jobs").fetchall()[0][0] == 0:
        return []
    return [
        {
            "stage": "runlog",
            "severity": "warning",
            "code": "job-not-in-inventory",
            "app": app,
            "file": source_file,
            "line": None,
            "message": f"{runs} runs of batch job {job!r} in the logs, but "
            "the inventory has no such job; take the inventory of its app, "
            "or check the --app given to kit logs",
        }
        for app, job, runs, source_file in con.execute(
            _RUNS_NOT_IN_INVENTORY
        ).fetchall()
    ]
