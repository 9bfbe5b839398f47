"""Assemble runs from the engine's events, and the per-job history view.

Runs are rebuilt from every event in the store after each ingest, so a run
whose lines are spread over rotated files becomes one row. A run is one
instance of one batch job; the app is whichever of its lines names one (the
batch worker threads of Mule 3 do not).
"""

from __future__ import annotations

import duckdb

RUNS_SQL = """
DELETE FROM runs;
INSERT INTO runs BY NAME
WITH per_instance AS (
    SELECT
        max(app) AS app,
        job,
        instance,
        min(logged_at) FILTER (WHERE kind = 'created') AS created_at,
        max(logged_at) FILTER (WHERE kind = 'loaded') AS loaded_at,
        min(logged_at) FILTER (WHERE kind IN ('started', 'no-records')) AS started_at,
        max(logged_at) FILTER (WHERE kind IN ('finished', 'stopped')) AS finished_at,
        min(logged_at) AS first_seen,
        max(records) FILTER (WHERE kind = 'loaded') AS records_loaded,
        max(total) FILTER (WHERE kind = 'finished') AS records_total,
        max(ok) FILTER (WHERE kind = 'finished') AS records_ok,
        max(failed) FILTER (WHERE kind = 'finished') AS records_failed,
        bool_or(kind = 'finished') AS finish_seen,
        bool_or(kind = 'no-records') AS empty,
        bool_or(kind = 'stopped' OR kind = 'max-failed') AS stopped,
        arg_min(source_file, coalesce(logged_at, TIMESTAMP '9999-12-31')) AS source_file
    FROM log_events
    WHERE instance IS NOT NULL AND job IS NOT NULL
    GROUP BY job, instance
)
SELECT
    app, job, instance,
    CASE WHEN stopped THEN 'failed'
         WHEN finish_seen OR empty THEN 'finished'
         ELSE 'incomplete' END AS status,
    coalesce(created_at, first_seen) AS created_at,
    loaded_at,
    coalesce(started_at, created_at, first_seen) AS started_at,
    finished_at,
    (epoch_us(finished_at) - epoch_us(coalesce(created_at, first_seen))) / 1e6
        AS duration_s,
    coalesce(records_loaded, CASE WHEN empty THEN 0 END) AS records_loaded,
    coalesce(records_total, CASE WHEN empty THEN 0 END) AS records_total,
    coalesce(records_ok, CASE WHEN empty THEN 0 END) AS records_ok,
    coalesce(records_failed, CASE WHEN empty THEN 0 END) AS records_failed,
    source_file
FROM per_instance;

DELETE FROM run_steps;
INSERT INTO run_steps BY NAME
SELECT r.app, e.job, e.instance, e.step, min(e.logged_at) AS finished_at,
       arg_min(e.source_file, e.line) AS source_file, min(e.line) AS line
FROM log_events e JOIN runs r ON r.job = e.job AND r.instance = e.instance
WHERE e.kind = 'step-finished'
GROUP BY r.app, e.job, e.instance, e.step;

DELETE FROM skipped_triggers;
INSERT INTO skipped_triggers BY NAME
SELECT DISTINCT app, flow, logged_at AS skipped_at, source_file, line
FROM log_events
WHERE kind = 'skipped';
"""

JOB_HISTORY_VIEW = """
CREATE OR REPLACE VIEW job_history AS
WITH lateness AS (
    SELECT app, job,
           quantile_cont(lateness_s, 0.5) AS lateness_p50_s,
           quantile_cont(lateness_s, 0.95) AS lateness_p95_s,
           count(*) FILTER (WHERE overlaps_previous) AS overlapping_runs
    FROM run_schedule GROUP BY app, job
),
missed AS (
    SELECT app, job, count(*) AS missed_fires FROM missed_fires GROUP BY app, job
)
SELECT
    r.app, r.job,
    count(*) AS runs,
    min(r.created_at) AS first_run,
    max(r.created_at) AS last_run,
    quantile_cont(r.duration_s, 0.5) AS duration_p50_s,
    quantile_cont(r.duration_s, 0.95) AS duration_p95_s,
    max(r.duration_s) AS duration_max_s,
    quantile_cont(r.records_total, 0.5) AS records_per_run_p50,
    quantile_cont(r.records_total, 0.95) AS records_per_run_p95,
    sum(r.records_total) / (date_diff('day', min(r.created_at), max(r.created_at)) + 1)
        AS records_per_day,
    avg(CASE WHEN r.status = 'failed' THEN 1.0 ELSE 0.0 END) AS failure_rate,
    count(*) FILTER (WHERE r.status = 'incomplete') AS incomplete_runs,
    any_value(l.lateness_p50_s) AS lateness_p50_s,
    any_value(l.lateness_p95_s) AS lateness_p95_s,
    coalesce(any_value(m.missed_fires), 0) AS missed_fires,
    coalesce(any_value(l.overlapping_runs), 0) AS overlapping_runs
FROM runs r
LEFT JOIN lateness l ON l.app IS NOT DISTINCT FROM r.app AND l.job = r.job
LEFT JOIN missed m ON m.app IS NOT DISTINCT FROM r.app AND m.job = r.job
GROUP BY r.app, r.job
"""


def rebuild_runs(con: duckdb.DuckDBPyConnection) -> int:
    """Rebuild ``runs``, ``run_steps`` and ``skipped_triggers``; return the runs."""
    con.execute("BEGIN")
    con.execute(RUNS_SQL)
    con.execute("COMMIT")
    con.execute(JOB_HISTORY_VIEW)
    return int(con.execute("SELECT count(*) FROM runs").fetchall()[0][0])
