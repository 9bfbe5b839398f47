"""Read a text log in DuckDB: count every line, and take apart the engine's lines.

One pass over the file marks each line as an event start or a continuation and
keeps the text only of lines that may come from the batch engine or the
scheduler; regular expressions then run on those few lines alone.
"""

from __future__ import annotations

import calendar
import logging
import tempfile
from collections.abc import Iterable, Iterator
from datetime import date
from pathlib import Path

import duckdb

from kit.runlog.files import FileFacts, read_chunks
from kit.runlog.layouts import TEXT_LAYOUTS, TextLayout
from kit.runlog.messages import (
    BATCH_LOGGER_MARKS,
    SCHEDULER_LOGGER_SUFFIX,
    SHORT_LOGGER_NAMES,
)

log = logging.getLogger(__name__)

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


def load_lines_as_is(
    con: duckdb.DuckDBPyConnection, facts: FileFacts, layout: TextLayout
) -> tuple[int, int] | None:
    """Load the file as it is into the temp table ``log_lines``.

    Returns ``(lines, event_starts)``, or None when DuckDB cannot read it so.
    Only lines that may come from the batch engine or the scheduler keep their
    text, and a line that starts no event keeps its head for the check of other
    layouts. A line's number is its row's ``rowid + 1``: the table keeps the
    file's order, and numbering in the query (``row_number()``) would confine
    the read to one thread.
    """
    try:
        return _load_lines(con, str(facts.path), facts.compressed, layout)
    except duckdb.Error as exc:
        log.debug("%s: DuckDB could not read it as is (%s)", facts.path, exc)
        return None


def read_lines(
    con: duckdb.DuckDBPyConnection,
    facts: FileFacts,
    layout: TextLayout,
    as_is: tuple[int, int] | None,
) -> tuple[int, int]:
    """Keep the as-is load when it is sound; otherwise load a clean copy.

    DuckDB misreads some files (measured: invalid UTF-8, a stray carriage
    return, a line over the limit add or drop rows) and gives up on a broken
    gzip stream. Such a file, or one whose line count differs from the first
    pass's, is rewritten as clean UTF-8 with LF endings and loaded again, so
    that no line is dropped or shifted.
    """
    sound = facts.valid_utf8 and facts.damage is None
    if as_is is not None and sound and as_is[0] == facts.lines:
        return as_is
    with tempfile.TemporaryDirectory() as folder:
        clean = Path(folder) / "clean.log"
        _write_clean_copy(facts, clean)
        return _load_lines(con, str(clean), False, layout)


def _load_lines(
    con: duckdb.DuckDBPyConnection, path: str, compressed: bool, layout: TextLayout
) -> tuple[int, int]:
    options = [
        "columns={'line': 'VARCHAR'}",
        "delim=chr(10)",
        "quote=''",
        "escape=''",
        "header=false",
        "auto_detect=false",
        f"max_line_size={MAX_LINE_BYTES}",
        f"compression={'gzip' if compressed else 'none'}",
    ]
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE log_lines AS
        SELECT
            regexp_matches(left(line, 48), {sql_text(layout.start)}) AS is_start,
            CASE WHEN {_CANDIDATE} THEN line END AS text,
            CASE WHEN NOT is_start THEN left(line, 48) END AS head
        FROM read_csv({sql_text(path)}, {", ".join(options)})
        """
    )
    lines, starts = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE is_start) FROM log_lines"
    ).fetchall()[0]
    return int(lines), int(starts)


def _other_layout_sql(layout: TextLayout) -> str:
    """SQL naming the first other known layout whose event start ``head`` matches."""
    branches = "".join(
        f" WHEN regexp_matches(head, {sql_text(other.start)})"
        f" THEN {sql_text(other.name)}"
        for other in TEXT_LAYOUTS
        if other is not layout
    )
    return f"CASE{branches} END"


def other_layout_starts(
    con: duckdb.DuckDBPyConnection, layout: TextLayout
) -> dict[str, int]:
    """Per other layout, the continuation lines of ``log_lines`` that start its events.

    Any at all mean the file mixes layouts (two logs joined by ``cat``, say).
    Only continuation lines keep their head, so the patterns run on those alone.
    """
    rows = con.execute(
        f"SELECT other_layout, count(*) FROM ("
        f"SELECT {_other_layout_sql(layout)} AS other_layout FROM log_lines "
        "WHERE head IS NOT NULL) WHERE other_layout IS NOT NULL "
        "GROUP BY other_layout ORDER BY other_layout"
    ).fetchall()
    return {name: int(count) for name, count in rows}


def _write_clean_copy(facts: FileFacts, target: Path) -> None:
    """Copy the file as UTF-8 without carriage returns, keeping its line breaks.

    A line that is not valid UTF-8 is read as Latin-1; an over-long line is cut.
    """
    with open(target, "wb") as out:
        for raw in _split_lines(read_chunks(facts)):
            text = raw.replace(b"\r", b"")[: MAX_LINE_BYTES // 4]
            try:
                decoded = text.decode("utf-8")
            except UnicodeDecodeError:
                decoded = text.decode("latin-1")
            out.write(decoded.encode("utf-8") + b"\n")


def _split_lines(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """The lines of a stream of chunks, without their line feeds.

    A line split over several chunks is joined once, however long it is.
    """
    pieces: list[bytes] = []
    for chunk in chunks:
        *whole, rest = chunk.split(b"\n")
        if whole:
            yield b"".join([*pieces, whole[0]])
            yield from whole[1:]
            pieces = []
        pieces.append(rest)
    if any(pieces):
        yield b"".join(pieces)


def engine_lines_sql(layout: TextLayout, latest: date | None = None) -> str:
    """SQL over ``log_lines`` giving the engine's event lines, fields taken apart.

    Columns: line, text, level, logged_at, thread, logger, message. Lines whose
    logger is not a batch or scheduler logger are left out. A layout whose
    stamps carry no year takes it from ``latest``, the last day its stamps can
    be from (see :func:`year_sql`).
    """
    names = ", ".join(sql_text(name) for name in layout.order)
    formats = ", ".join(sql_text(form) for form in layout.date_formats)
    stamp = "parts.logged_at"
    if layout.needs_year:
        stamp = f"{year_sql(stamp, latest or date(1970, 1, 1))} || '-' || {stamp}"
    fields = sql_text(layout.fields)
    return f"""
        WITH parsed AS MATERIALIZED (
            SELECT rowid + 1 AS line, text,
                   regexp_extract(text, {fields}, [{names}]) AS parts,
                   regexp_extract(text, {fields}) AS head
            FROM log_lines
            WHERE is_start AND text IS NOT NULL
        )
        SELECT line, text, parts.level AS level,
               try_strptime(replace({stamp}, ',', '.'), [{formats}]) AS logged_at,
               parts.thread AS thread, parts.logger AS logger,
               if(head = '', '', substr(text, length(head) + 1)) AS message
        FROM parsed
        WHERE {engine_logger_sql("parts.logger")}
           OR (parts.logger = '' AND ({_ENGINE_MARK}))
    """


def year_sql(stamp: str, latest: date) -> str:
    """SQL for the year of an ``MM-DD …`` stamp from no later than the day ``latest``.

    A stamp later in the calendar than ``latest`` is from the year before (the
    log crossed New Year); 29 February is from the latest leap year by then, as
    a log cannot hold a day that did not exist.
    """
    leap = latest.year
    while not (calendar.isleap(leap) and date(leap, 2, 29) <= latest):
        leap -= 1
    return (
        f"CASE WHEN left({stamp}, 5) = '02-29' THEN '{leap}' "
        f"WHEN left({stamp}, 5) > '{latest:%m-%d}' THEN '{latest.year - 1}' "
        f"ELSE '{latest.year}' END"
    )


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
