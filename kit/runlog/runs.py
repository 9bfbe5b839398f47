"""Assemble runs from the engine's events (the ``job_history`` view sums them up).

Runs are rebuilt from every event in the store after each ingest, so a run
whose lines are spread over rotated files becomes one row. A run is one
instance of one batch job; the app is whichever of its lines names one (the
batch worker threads of Mule 3 do not), else the fallback app of its files
(``--app`` or the file name) kept in ``log_files``.
"""

from __future__ import annotations

import duckdb

RUNS_SQL = """
DELETE FROM runs;
INSERT INTO runs BY NAME
WITH per_instance AS (
    SELECT
        coalesce(max(e.app), max(f.app)) AS app,
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
    FROM log_events e LEFT JOIN log_files f USING (content_hash)
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
SELECT DISTINCT coalesce(e.app, f.app) AS app, flow, logged_at AS skipped_at,
       source_file, line
FROM log_events e LEFT JOIN log_files f USING (content_hash)
WHERE kind = 'skipped';
"""


def rebuild_runs(con: duckdb.DuckDBPyConnection) -> int:
    """Rebuild ``runs``, ``run_steps`` and ``skipped_triggers``; return the runs."""
    con.execute("BEGIN")
    con.execute(RUNS_SQL)
    con.execute("COMMIT")
    return int(con.execute("SELECT count(*) FROM runs").fetchall()[0][0])
