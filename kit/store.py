"""Open the assessment's DuckDB file, create its schema and migrate older files.

Every stage writes its tables through here. The schema is a list of migrations;
the file records how many it has applied, so a newer kit can upgrade it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from kit.errors import StoreError

if TYPE_CHECKING:
    import pyarrow as pa

log = logging.getLogger(__name__)

INVENTORY_SCHEMA = """
CREATE TABLE apps (
    app VARCHAR PRIMARY KEY,
    path VARCHAR,
    mule_version INTEGER,
    files INTEGER,
    property_files INTEGER
);
CREATE TABLE flows (
    app VARCHAR, flow VARCHAR, kind VARCHAR, file VARCHAR, line INTEGER,
    is_job BOOLEAN
);
CREATE TABLE jobs (
    app VARCHAR, flow VARCHAR, batch_job VARCHAR, file VARCHAR, line INTEGER,
    mode VARCHAR,
    trigger_kind VARCHAR, trigger_source VARCHAR, cron VARCHAR, time_zone VARCHAR,
    frequency_ms BIGINT, period_s DOUBLE, description VARCHAR, defaulted VARCHAR[],
    disallow_concurrent BOOLEAN,
    block_size INTEGER, max_concurrency INTEGER, max_failed_records INTEGER,
    scheduling_strategy VARCHAR,
    calls_per_record INTEGER, calls_per_block INTEGER, calls_per_run INTEGER
);
CREATE TABLE steps (
    app VARCHAR, flow VARCHAR, batch_job VARCHAR, position INTEGER, step VARCHAR,
    accept_policy VARCHAR, accept_expression VARCHAR, aggregator_size INTEGER,
    file VARCHAR, line INTEGER
);
CREATE TABLE calls (
    app VARCHAR, flow VARCHAR, batch_job VARCHAR, component VARCHAR, per VARCHAR,
    step VARCHAR, method VARCHAR, path VARCHAR, config_ref VARCHAR,
    file VARCHAR, line INTEGER
);
CREATE TABLE findings (
    stage VARCHAR, severity VARCHAR, code VARCHAR, app VARCHAR, file VARCHAR,
    line INTEGER, message VARCHAR
);
"""

RUN_HISTORY_SCHEMA = """
CREATE TABLE log_files (
    path VARCHAR, content_hash VARCHAR PRIMARY KEY, layout VARCHAR, app VARCHAR,
    bytes BIGINT, lines BIGINT, event_lines BIGINT, other_lines BIGINT,
    continuation_lines BIGINT, rejected_lines BIGINT, problems VARCHAR[]
);
CREATE TABLE log_events (
    content_hash VARCHAR, source_file VARCHAR, line BIGINT, app VARCHAR,
    logged_at TIMESTAMP, level VARCHAR, thread VARCHAR, logger VARCHAR,
    kind VARCHAR, instance VARCHAR, job VARCHAR, step VARCHAR, flow VARCHAR,
    records BIGINT, total BIGINT, ok BIGINT, failed BIGINT, state VARCHAR
);
CREATE TABLE log_rejects (
    content_hash VARCHAR, source_file VARCHAR, line BIGINT, text VARCHAR,
    reason VARCHAR
);
CREATE TABLE runs (
    app VARCHAR, job VARCHAR, instance VARCHAR, status VARCHAR,
    created_at TIMESTAMP, loaded_at TIMESTAMP, started_at TIMESTAMP,
    finished_at TIMESTAMP, duration_s DOUBLE, records_loaded BIGINT,
    records_total BIGINT, records_ok BIGINT, records_failed BIGINT,
    source_file VARCHAR
);
CREATE TABLE run_steps (
    app VARCHAR, job VARCHAR, instance VARCHAR, step VARCHAR,
    finished_at TIMESTAMP, source_file VARCHAR, line BIGINT
);
CREATE TABLE skipped_triggers (
    app VARCHAR, flow VARCHAR, skipped_at TIMESTAMP, source_file VARCHAR,
    line BIGINT
);
CREATE TABLE run_schedule (
    app VARCHAR, job VARCHAR, instance VARCHAR, expected_at TIMESTAMP,
    lateness_s DOUBLE, overlaps_previous BOOLEAN
);
CREATE TABLE missed_fires (
    app VARCHAR, job VARCHAR, expected_at TIMESTAMP
);
-- Per app and job: runs, durations, records, failures and schedule adherence.

CREATE VIEW job_history AS
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
GROUP BY r.app, r.job;
"""

ESTIMATE_SCHEMA = """
CREATE TABLE scenarios (
    app VARCHAR, flow VARCHAR, batch_job VARCHAR, name VARCHAR, toml VARCHAR,
    derived VARCHAR[], defaulted VARCHAR[]
);
CREATE TABLE estimates (
    app VARCHAR, flow VARCHAR, batch_job VARCHAR, scenario VARCHAR, mode VARCHAR,
    stable BOOLEAN, latency_mean_s DOUBLE, latency_p95_s DOUBLE,
    latency_max_s DOUBLE, utilisation DOUBLE, consumers INTEGER,
    min_consumers_for_slo INTEGER, backlog_growth_per_h DOUBLE,
    run_duration_s DOUBLE, api_calls_per_s DOUBLE, peak_calls_per_min DOUBLE,
    rate_limit_headroom DOUBLE, hit_ratio DOUBLE, recommended BOOLEAN,
    reason VARCHAR
);
"""

SIMULATION_SCHEMA = """
CREATE TABLE sim_runs (
    scenario VARCHAR, app VARCHAR, flow VARCHAR, batch_job VARCHAR, mode VARCHAR,
    seed BIGINT, source VARCHAR, records BIGINT, loaded BIGINT,
    dead_lettered BIGINT, in_flight BIGINT, duplicates BIGINT, deliveries BIGINT,
    order_violations BIGINT, skipped_ticks BIGINT,
    latency_mean_s DOUBLE, latency_p50_s DOUBLE, latency_p95_s DOUBLE,
    latency_p99_s DOUBLE, latency_max_s DOUBLE, wait_mean_s DOUBLE,
    api_calls_total BIGINT, api_calls_per_s DOUBLE, api_peak_per_min BIGINT,
    cache_hit_ratio DOUBLE, throttled_calls BIGINT, rate_limit_per_s DOUBLE
);
CREATE TABLE sim_records (
    scenario VARCHAR, mode VARCHAR, record BIGINT, arrived_s DOUBLE,
    started_s DOUBLE, loaded_s DOUBLE, ended_s DOUBLE, deliveries INTEGER,
    loads INTEGER, outcome VARCHAR
);
CREATE TABLE sim_series (
    scenario VARCHAR, mode VARCHAR, minute BIGINT, queue_depth BIGINT,
    loaded BIGINT, api_calls BIGINT
);
-- With real records: each loaded or dead-lettered record, its own columns as JSON.
CREATE TABLE sim_loaded (
    scenario VARCHAR, mode VARCHAR, source_file VARCHAR, line BIGINT,
    loaded_at TIMESTAMPTZ, deliveries INTEGER, loads INTEGER, record JSON
);
CREATE TABLE sim_dead_letters (
    scenario VARCHAR, mode VARCHAR, source_file VARCHAR, line BIGINT,
    dead_lettered_at TIMESTAMPTZ, deliveries INTEGER, reason VARCHAR, record JSON
);
CREATE TABLE sim_rejects (
    scenario VARCHAR, source_file VARCHAR, line BIGINT, text VARCHAR,
    reason VARCHAR
);
"""

JOB_HISTORY_RATE_VIEW = """
-- records_per_day from the runs' own spacing, so that a job seen for minutes
-- or a few days is not divided by whole days. n runs whose creations span T
-- seconds stand for n - 1 periods of T / (n - 1) seconds, each moving sum / n
-- records: sum x 86400 x (n - 1) / (n x T) a day. One run, or runs all created
-- at the same instant, keep the records over the whole days spanned.

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
    CASE
        WHEN max(r.created_at) > min(r.created_at)
        THEN sum(r.records_total) * 86400.0 * (count(r.created_at) - 1)
             / (count(r.created_at) * epoch(max(r.created_at) - min(r.created_at)))
        ELSE sum(r.records_total)
             / (date_diff('day', min(r.created_at), max(r.created_at)) + 1)
    END AS records_per_day,
    avg(CASE WHEN r.status = 'failed' THEN 1.0 ELSE 0.0 END) AS failure_rate,
    count(*) FILTER (WHERE r.status = 'incomplete') AS incomplete_runs,
    any_value(l.lateness_p50_s) AS lateness_p50_s,
    any_value(l.lateness_p95_s) AS lateness_p95_s,
    coalesce(any_value(m.missed_fires), 0) AS missed_fires,
    coalesce(any_value(l.overlapping_runs), 0) AS overlapping_runs
FROM runs r
LEFT JOIN lateness l ON l.app IS NOT DISTINCT FROM r.app AND l.job = r.job
LEFT JOIN missed m ON m.app IS NOT DISTINCT FROM r.app AND m.job = r.job
GROUP BY r.app, r.job;
"""

# Each entry upgrades the file by one version; append, never edit a shipped one.
MIGRATIONS: list[str] = [
    INVENTORY_SCHEMA,
    RUN_HISTORY_SCHEMA,
    ESTIMATE_SCHEMA,
    SIMULATION_SCHEMA,
    JOB_HISTORY_RATE_VIEW,
]

SCHEMA_VERSION = len(MIGRATIONS)


def open_store(path: str | Path = ":memory:") -> duckdb.DuckDBPyConnection:
    """Open (or create) the assessment database at ``path`` and bring it up to date.

    >>> con = open_store()
    >>> schema_version(con) == SCHEMA_VERSION
    True
    """
    if str(path) != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(path))
    except duckdb.Error as exc:
        raise StoreError(_cannot_open(path, exc)) from exc
    try:
        _refuse_foreign(con, path)
        migrate(con)
    except duckdb.Error as exc:
        con.close()
        raise StoreError(
            f"cannot bring the assessment database {str(path)!r} up to date: {exc}. "
            "Give a new file name with --db"
        ) from exc
    except StoreError:
        con.close()
        raise
    return con


def _cannot_open(path: str | Path, exc: duckdb.Error) -> str:
    """Why a file would not open, with the remedy that fits the cause."""
    if "lock" in str(exc).lower():
        remedy = "another process has it open; close it or choose another --db"
    else:
        remedy = "give a DuckDB file the kit wrote, or a new file name, with --db"
    return f"cannot open the assessment database {str(path)!r}: {exc}. {remedy}"


def _refuse_foreign(con: duckdb.DuckDBPyConnection, path: str | Path) -> None:
    """Refuse a DuckDB file that holds tables but was not written by the kit.

    Migrating it would add the kit's tables to someone else's database, or
    stop half way on a name both use; the file is left as it was.
    """
    tables = sorted(
        name
        for (name,) in con.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_catalog = current_database() AND table_schema = 'main'"
        ).fetchall()
    )
    if tables and "kit_schema" not in tables:
        shown = ", ".join(tables[:5]) + (", …" if len(tables) > 5 else "")
        raise StoreError(
            f"{str(path)!r} is a DuckDB file the kit did not write (it holds "
            f"{shown}); it is left as it is. Give a new file name with --db"
        )


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    """Return how many migrations the open database has applied (0 when new)."""
    con.execute("CREATE TABLE IF NOT EXISTS kit_schema (version INTEGER)")
    row = con.execute("SELECT max(version) FROM kit_schema").fetchall()[0]
    return int(row[0]) if row and row[0] is not None else 0


def migrate(con: duckdb.DuckDBPyConnection) -> None:
    """Apply the migrations the database has not seen yet, each in a transaction."""
    current = schema_version(con)
    if current > SCHEMA_VERSION:
        raise StoreError(
            f"the database has schema version {current}, newer than this kit's "
            f"{SCHEMA_VERSION}; upgrade the kit or start a new --db file"
        )
    for version in range(current + 1, SCHEMA_VERSION + 1):
        con.execute("BEGIN")
        con.execute(MIGRATIONS[version - 1])
        con.execute("INSERT INTO kit_schema VALUES (?)", [version])
        con.execute("COMMIT")
        log.debug("applied schema migration %d", version)


def replace_rows(
    con: duckdb.DuckDBPyConnection,
    table: str,
    rows: Sequence[dict] | pa.Table,
    *,
    where: str = "true",
    parameters: Iterable[object] = (),
) -> int:
    """Delete the rows of ``table`` matching ``where``, then insert ``rows`` by name.

    Columns missing from ``rows`` are left NULL. Returns how many rows went in.
    """
    con.execute(f"DELETE FROM {table} WHERE {where}", list(parameters))
    if not len(rows):
        return 0
    import pyarrow as pa  # only now: importing Arrow takes a tenth of a second

    arrow_rows = rows if isinstance(rows, pa.Table) else _to_arrow(con, table, rows)
    if arrow_rows.num_rows:
        con.register("_incoming_rows", arrow_rows)
        con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _incoming_rows")
        con.unregister("_incoming_rows")
    return arrow_rows.num_rows


def _to_arrow(
    con: duckdb.DuckDBPyConnection, table: str, rows: Sequence[dict]
) -> pa.Table:
    """Build an Arrow table with the target table's columns from plain dicts.

    Arrow infers each column's type; DuckDB casts on insert, and a column that
    is all None arrives as NULL.
    """
    import pyarrow as pa

    names = [
        column[0]
        for column in con.execute(f"SELECT * FROM {table} LIMIT 0").description
    ]
    return pa.table({name: [row.get(name) for row in rows] for name in names})
