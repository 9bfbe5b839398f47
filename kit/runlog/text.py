"""Read a text log in DuckDB: count every line, and take apart the engine's lines.

One pass over the file marks each line as an event start or a continuation and
keeps the text only of lines that may come from the batch engine or the
scheduler; regular expressions then run on those few lines alone.
"""

from __future__ import annotations

import duckdb

from kit.runlog.files import FileFacts
from kit.runlog.layouts import TextLayout
from kit.runlog.messages import (
    BATCH_LOGGER_MARKS,
    SCHEDULER_LOGGER_SUFFIX,
    SHORT_LOGGER_NAMES,
)

MAX_LINE_BYTES = 8 * 1024 * 1024
# An event line that does not fit its layout (cut short, say) but names the
# engine is kept as a reject rather than counted as another logger's line.
_ENGINE_MARK = "contains(text, 'com.mulesoft.') AND contains(text, '.batch.')"
_CANDIDATE = (
    "contains(line, '.batch.') OR contains(line, 'Batch') "
    "OR contains(line, 'SchedulerMessageSource')"
)


def sql_text(value: str) -> str:
    """Quote a Python string as a SQL string literal.

    >>> sql_text("it's")
    "'it''s'"
    """
    return "'" + value.replace("'", "''") + "'"


def read_lines(
    con: duckdb.DuckDBPyConnection, facts: FileFacts, layout: TextLayout
) -> tuple[int, int]:
    """Load the file's candidate lines into the temp table ``log_lines``.

    Returns ``(lines, event_starts)``. Every line gets its 1-based number;
    trailing carriage returns are dropped.
    """
    options = [
        "columns={'line': 'VARCHAR'}",
        "delim=chr(10)",
        "quote=''",
        "escape=''",
        "header=false",
        "auto_detect=false",
        "strict_mode=false",
        f"max_line_size={MAX_LINE_BYTES}",
        f"compression={'gzip' if facts.compressed else 'none'}",
    ]
    if not facts.valid_utf8:
        options.append("encoding='latin-1'")
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE log_lines AS
        SELECT
            row_number() OVER () AS line,
            regexp_matches(left(line, 48), {sql_text(layout.start)}) AS is_start,
            CASE WHEN {_CANDIDATE} THEN rtrim(line, chr(13)) END AS text
        FROM read_csv({sql_text(str(facts.path))}, {", ".join(options)})
        """
    )
    lines, starts = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE is_start) FROM log_lines"
    ).fetchall()[0]
    return int(lines), int(starts)


def engine_lines_sql(layout: TextLayout, year: int | None = None) -> str:
    """SQL over ``log_lines`` giving the engine's event lines, fields taken apart.

    Columns: line, text, level, logged_at, thread, logger, message. Lines whose
    logger is not a batch or scheduler logger are left out.
    """
    names = ", ".join(sql_text(name) for name in layout.order)
    formats = ", ".join(sql_text(form) for form in layout.date_formats)
    stamp = "parts.logged_at"
    if layout.needs_year:
        stamp = f"'{year or 1970}-' || {stamp}"
    return f"""
        WITH parsed AS (
            SELECT line, text,
                   regexp_extract(text, {sql_text(layout.fields)}, [{names}]) AS parts
            FROM log_lines
            WHERE is_start AND text IS NOT NULL
        )
        SELECT line, text, parts.level AS level,
               try_strptime(replace({stamp}, ',', '.'), [{formats}]) AS logged_at,
               parts.thread AS thread, parts.logger AS logger,
               parts.message AS message
        FROM parsed
        WHERE {engine_logger_sql("parts.logger")}
           OR (parts.logger = '' AND ({_ENGINE_MARK}))
    """


def engine_logger_sql(logger: str) -> str:
    """A SQL condition: the logger is one of the batch engine's or the scheduler's."""
    marks = " OR ".join(
        f"starts_with({logger}, {sql_text(mark)})" for mark in BATCH_LOGGER_MARKS
    )
    short = ", ".join(sql_text(name) for name in SHORT_LOGGER_NAMES)
    return (
        f"({marks} OR {logger} IN ({short}) "
        f"OR ends_with({logger}, {sql_text(SCHEDULER_LOGGER_SUFFIX)}))"
    )
