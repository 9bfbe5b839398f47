"""Read a plain CSV run history, for runs from schedulers that are not Mule.

Columns: ``job, instance, started_at, finished_at, records_total,
records_failed``, optionally ``app`` and ``records_loaded``. Each valid row
becomes the engine events a Mule run would have left; a bad row is a reject.
Times with a UTC offset are converted to UTC; others are taken as written.
"""

from __future__ import annotations

import duckdb

from kit.runlog.files import FileFacts, readable_path
from kit.runlog.text import sql_text

# A time of day followed by Z or a UTC offset such as +02:00 or -0530.
_OFFSET_AFTER_TIME = r"\d\d:\d\d(:\d\d([.,]\d+)?)?\s*(Z|[+-]\d\d(:?\d\d)?)$"
_CHECKS = """
    CASE
        WHEN job IS NULL OR instance IS NULL THEN 'job or instance is empty'
        WHEN started IS NULL
            THEN 'started_at is not a timestamp: ' || coalesce(started_at, '')
        WHEN finished IS NULL AND finished_at IS NOT NULL
            THEN 'finished_at is not a timestamp: ' || finished_at
        WHEN finished < started THEN 'finished_at is before started_at'
        WHEN total IS NULL AND records_total IS NOT NULL
            THEN 'records_total is not a whole number: ' || records_total
        WHEN failed IS NULL AND records_failed IS NOT NULL
            THEN 'records_failed is not a whole number: ' || records_failed
        WHEN total < 0 OR failed < 0 OR failed > total
            THEN 'record counts are negative or more failed than total'
    END
"""


def _timestamp_sql(column: str) -> str:
    """SQL reading a time; one with a UTC offset or Z is converted to UTC.

    A plain cast to TIMESTAMP would drop the offset and keep the local time.
    """
    return (
        f"CASE WHEN regexp_matches(trim({column}), {sql_text(_OFFSET_AFTER_TIME)}) "
        f"THEN timezone('UTC', try_cast(regexp_replace(trim({column}), "
        r"'\s+(Z|[+-]\d)', '\1') AS TIMESTAMPTZ)) "
        f"ELSE try_cast({column} AS TIMESTAMP) END"
    )


def read_run_history(
    con: duckdb.DuckDBPyConnection, facts: FileFacts
) -> tuple[int, int]:
    """Turn the CSV's rows into events and rejects; return ``(valid, rejected)``.

    A row with too few fields (the last of a file cut short, say) is padded
    with NULLs and checked like any other, instead of failing the whole file.
    A row without an app takes the file's fallback app when runs are built.
    """
    with readable_path(facts) as (path, compressed):
        compression = "gzip" if compressed else "none"
        con.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE history_rows AS
            SELECT row_number() OVER () + 1 AS line, *
            FROM read_csv({sql_text(str(path))}, header=true, all_varchar=true,
                          auto_detect=true, null_padding=true,
                          compression={sql_text(compression)})
            """
        )
    columns = {row[0] for row in con.execute("DESCRIBE history_rows").fetchall()}
    app = "app" if "app" in columns else "NULL"
    loaded = (
        "try_cast(records_loaded AS BIGINT)" if "records_loaded" in columns else "NULL"
    )
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE history_checked AS
        SELECT *, {_CHECKS} AS problem FROM (
            SELECT line, nullif(job, '') AS job, nullif(instance, '') AS instance,
                   nullif({app}, '') AS app_name,
                   started_at, finished_at, records_total, records_failed,
                   {_timestamp_sql("started_at")} AS started,
                   {_timestamp_sql("finished_at")} AS finished,
                   try_cast(records_total AS BIGINT) AS total,
                   try_cast(records_failed AS BIGINT) AS failed,
                   {loaded} AS loaded
            FROM history_rows
        )
        """
    )
    source, digest = sql_text(str(facts.path)), sql_text(facts.content_hash)
    con.execute(
        f"""
        INSERT INTO log_events BY NAME
        SELECT {digest} AS content_hash, {source} AS source_file, line,
               app_name AS app, event.at AS logged_at, event.kind AS kind,
               instance, job, event.records AS records, event.total AS total,
               event.ok AS ok, event.failed AS failed
        FROM history_checked,
             unnest([
                 {{'kind': 'created', 'at': started, 'records': NULL,
                   'total': NULL, 'ok': NULL, 'failed': NULL}},
                 {{'kind': 'loaded', 'at': started, 'records': loaded,
                   'total': NULL, 'ok': NULL, 'failed': NULL}},
                 {{'kind': 'finished', 'at': finished, 'records': NULL,
                   'total': total, 'ok': total - failed, 'failed': failed}}
             ]) AS listed(event)
        WHERE problem IS NULL
          AND (event.kind <> 'finished' OR finished IS NOT NULL)
          AND (event.kind <> 'loaded' OR loaded IS NOT NULL)
        """
    )
    con.execute(
        f"""
        INSERT INTO log_rejects BY NAME
        SELECT {digest} AS content_hash, {source} AS source_file, line,
               concat_ws(',', job, instance, started_at, finished_at,
                         records_total, records_failed) AS text,
               problem AS reason
        FROM history_checked WHERE problem IS NOT NULL
        """
    )
    valid, rejected = con.execute(
        "SELECT count(*) FILTER (WHERE problem IS NULL), "
        "count(*) FILTER (WHERE problem IS NOT NULL) FROM history_checked"
    ).fetchall()[0]
    return int(valid), int(rejected)
