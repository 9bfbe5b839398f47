"""Compare runs with the schedule the inventory found: lateness, missed fires, overlaps.

Log timestamps carry no zone; they are read in ``log_time_zone`` (UTC unless
told otherwise) and compared with the fire times of each job's own schedule.
"""

from __future__ import annotations

import bisect
from datetime import datetime, timedelta, timezone

import duckdb

from kit.schedule import Schedule, fire_times, zone_or_utc
from kit.store import replace_rows

_JOBS_WITH_RUNS = """
SELECT r.app, r.job, j.cron, j.time_zone, j.frequency_ms,
       list(r.instance ORDER BY r.created_at) AS instances,
       list(r.created_at ORDER BY r.created_at) AS created,
       list(r.finished_at ORDER BY r.created_at) AS finished
FROM runs r
JOIN jobs j ON j.batch_job = r.job AND (r.app IS NULL OR j.app = r.app)
WHERE (j.cron IS NOT NULL OR j.frequency_ms IS NOT NULL) AND r.created_at IS NOT NULL
GROUP BY r.app, r.job, j.cron, j.time_zone, j.frequency_ms
"""

_RUNS_NOT_IN_INVENTORY = """
SELECT r.app, r.job, count(*) AS runs, min(r.source_file) AS source_file
FROM runs r
WHERE NOT EXISTS (
    SELECT 1 FROM jobs j
    WHERE j.batch_job = r.job AND (r.app IS NULL OR j.app = r.app)
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
    """
    log_zone, _ = zone_or_utc(log_time_zone)
    scheduled, missed = [], []
    for app, job, cron, zone, frequency, instances, created, finished in con.execute(
        _JOBS_WITH_RUNS
    ).fetchall():
        plan = _schedule(cron, zone, frequency)
        if plan is None:
            continue
        fires = _fires_in_log_zone(plan, created[0], created[-1], log_zone)
        if not fires:
            continue
        for position, (instance, start) in enumerate(
            zip(instances, created, strict=True)
        ):
            index = bisect.bisect_right(fires, start) - 1
            previous_end = finished[position - 1] if position else None
            scheduled.append(
                {
                    "app": app,
                    "job": job,
                    "instance": instance,
                    "expected_at": fires[index] if index >= 0 else None,
                    "lateness_s": (start - fires[index]).total_seconds()
                    if index >= 0
                    else None,
                    "overlaps_previous": previous_end is not None
                    and start < previous_end,
                }
            )
        missed.extend(
            {"app": app, "job": job, "expected_at": fire}
            for fire in _missed(fires, created)
        )
    replace_rows(con, "run_schedule", scheduled)
    replace_rows(con, "missed_fires", missed)
    _report_unknown_jobs(con)


def _schedule(cron, zone, frequency) -> Schedule | None:
    if cron:
        return Schedule("cron", cron=cron, time_zone=zone or "UTC")
    if frequency:
        return Schedule("fixed-frequency", frequency_ms=int(frequency))
    return None


def _fires_in_log_zone(plan: Schedule, first, last, log_zone) -> list[datetime]:
    """Fire times from a period before the first run to the last, as naive log times."""
    start = first.replace(tzinfo=log_zone) - timedelta(days=1)
    end = last.replace(tzinfo=log_zone) + timedelta(seconds=1)
    if plan.kind == "fixed-frequency":
        start = first.replace(tzinfo=log_zone)
    times = fire_times(
        plan, start.astimezone(timezone.utc), end.astimezone(timezone.utc)
    )
    return [fire.astimezone(log_zone).replace(tzinfo=None) for fire in times]


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


def _report_unknown_jobs(con: duckdb.DuckDBPyConnection) -> None:
    """A run of a job the inventory does not know is a finding, not a silent drop."""
    has_inventory = con.execute("SELECT count(*) FROM jobs").fetchall()[0][0] > 0
    findings = []
    if has_inventory:
        for app, job, runs, source_file in con.execute(
            _RUNS_NOT_IN_INVENTORY
        ).fetchall():
            findings.append(
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
            )
    replace_rows(con, "findings", findings, where="stage = 'runlog'")
