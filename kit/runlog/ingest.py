"""Ingest run logs into the store: detect each file's layout, count every line,
keep the engine's events and every line that could not be understood.

Every line of a file is an engine event, another logger's line, the
continuation of a multi-line message, or a reject; the four counts add up to
the file's lines. For JSON exports a line is one log record.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from kit.errors import ParseError
from kit.runlog.adherence import measure_adherence
from kit.runlog.classify import classified_sql
from kit.runlog.exports import (
    looks_like_json,
    looks_like_run_history,
    read_json_records,
)
from kit.runlog.files import (
    FileFacts,
    find_log_files,
    measure_file,
    read_chunks,
    sniff_file,
)
from kit.runlog.history import read_run_history
from kit.runlog.layouts import detect_text_layout
from kit.runlog.runs import rebuild_runs
from kit.runlog.text import (
    engine_lines_sql,
    engine_logger_sql,
    load_lines_as_is,
    read_lines,
    sql_text,
)

log = logging.getLogger(__name__)

MAX_JSON_BYTES = 256 * 1024 * 1024
MAX_REJECTS_PER_FILE = 10_000
_APP_FROM_FILE_NAME = re.compile(r"^mule-app-(.+?)(?:\.\d+)?\.log(?:\.\d+)?(?:\.gz)?$")
_PROGRESS_BYTES = 64 * 1024 * 1024
# The columns of log_files a file read again reports as its counts.
_STORED_COUNTS = (
    "layout",
    "lines",
    "event_lines",
    "other_lines",
    "continuation_lines",
    "rejected_lines",
)


@dataclass
class FileCounts:
    """How the lines of one file were accounted for."""

    path: str
    layout: str
    lines: int = 0
    event_lines: int = 0
    other_lines: int = 0
    continuation_lines: int = 0
    rejected_lines: int = 0
    duplicate: bool = False
    problems: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return {
            "path": self.path,
            "layout": self.layout,
            "lines": self.lines,
            "event_lines": self.event_lines,
            "other_lines": self.other_lines,
            "continuation_lines": self.continuation_lines,
            "rejected_lines": self.rejected_lines,
            "duplicate": self.duplicate,
            "problems": self.problems,
        }


@dataclass
class IngestSummary:
    """Totals over every file read, and the runs now in the store."""

    files: list[FileCounts] = field(default_factory=list)
    runs: int = 0

    def total(self, name: str) -> int:
        return sum(getattr(counts, name) for counts in self.files)

    def to_json(self) -> dict:
        names = (
            "lines",
            "event_lines",
            "other_lines",
            "continuation_lines",
            "rejected_lines",
        )
        return {
            "files": len(self.files),
            **{name: self.total(name) for name in names},
            "runs": self.runs,
            "per_file": [counts.to_json() for counts in self.files],
        }


def ingest_logs(
    con: duckdb.DuckDBPyConnection,
    paths: list[Path],
    *,
    app: str | None = None,
    log_time_zone: str = "UTC",
) -> IngestSummary:
    """Read every log under ``paths`` into the store and rebuild the runs.

    ``app`` names the application when neither the thread names nor the file
    names tell it. A file whose content was ingested before is skipped. Runs
    are then compared with the inventory's schedules, read in ``log_time_zone``.
    """
    files = find_log_files(paths)
    summary = IngestSummary()
    for path in _with_progress(files):
        summary.files.append(ingest_file(con, path, app=app))
    summary.runs = rebuild_runs(con)
    measure_adherence(con, log_time_zone)
    log.info(
        "logs: %d files, %d lines (%d events, %d rejects), %d runs",
        len(summary.files),
        summary.total("lines"),
        summary.total("event_lines"),
        summary.total("rejected_lines"),
        summary.runs,
    )
    return summary


def _with_progress(files: list[Path]) -> Iterable[Path]:
    """The files, behind a progress bar when there are several large ones.

    tqdm is imported only then: even a disabled bar takes a multiprocessing lock.
    """
    if len(files) < 2 or sum(path.stat().st_size for path in files) <= _PROGRESS_BYTES:
        return files
    from tqdm import tqdm

    return tqdm(files, unit="file", disable=None, leave=False)


def ingest_file(
    con: duckdb.DuckDBPyConnection, path: Path, *, app: str | None = None
) -> FileCounts:
    """Ingest one file (unless its content is already in the store).

    The file is hashed and counted in a thread while DuckDB parses it. A file
    whose content was ingested before reports the counts stored then, marked
    as a duplicate.
    """
    facts = sniff_file(path)
    layout, label = None, "unknown"
    as_is = None
    with ThreadPoolExecutor(max_workers=1) as pool:
        measuring = pool.submit(measure_file, facts)
        if _is_text_log(facts):
            layout, label = detect_text_layout(facts.head)
            if layout is not None:
                as_is = load_lines_as_is(con, facts, layout)
        measuring.result()

    counts = FileCounts(str(path), label, lines=facts.lines, problems=facts.problems)
    if facts.damage is not None:
        log.warning(
            "%s: the gzip stream is broken (%s); the %d lines before the break "
            "are read. Copy the file again from its source to read the rest",
            path,
            facts.damage,
            facts.lines,
        )
    if _count_as_read_before(con, facts, counts):
        log.info("%s: same content as a file ingested before; skipped", path)
        return counts

    file_app = app or _app_from_file_name(path.name)
    if facts.binary:
        counts.layout = "binary"
        _reject_whole_file(con, facts, counts, "binary file: not a log")
    elif facts.bytes == 0:
        counts.layout = "empty"
    elif looks_like_run_history(facts.head):
        counts.layout = "run-history-csv"
        _ingest_run_history(con, facts, counts, file_app)
    elif looks_like_json(facts.head):
        _ingest_json(con, facts, counts, file_app)
    elif layout is None:
        _reject_whole_file(
            con, facts, counts, "no known log layout; is this a Mule runtime log?"
        )
    else:
        _ingest_text(con, facts, counts, file_app, layout, as_is)

    _record_file(con, facts, counts, file_app)
    if counts.rejected_lines:
        log.warning(
            "%s: %d lines not understood; see the log_rejects table",
            path,
            counts.rejected_lines,
        )
    return counts


def _count_as_read_before(
    con: duckdb.DuckDBPyConnection, facts: FileFacts, counts: FileCounts
) -> bool:
    """Give ``counts`` the stored layout and line counts if the content is known."""
    row = con.execute(
        f"SELECT {', '.join(_STORED_COUNTS)} FROM log_files WHERE content_hash = ?",
        [facts.content_hash],
    ).fetchone()
    if row is None:
        return False
    for name, value in zip(_STORED_COUNTS, row, strict=True):
        setattr(counts, name, value)
    counts.duplicate = True
    return True


def _is_text_log(facts: FileFacts) -> bool:
    head = facts.head
    return not (
        facts.binary
        or not head
        or looks_like_run_history(head)
        or looks_like_json(head)
    )


def _app_from_file_name(name: str) -> str | None:
    """``mule-app-orders.log`` (and its rotations) name the app ``orders``.

    >>> _app_from_file_name("mule-app-orders-sync.1.log.gz")
    'orders-sync'
    """
    match = _APP_FROM_FILE_NAME.match(name)
    return match.group(1) if match else None


def _ingest_text(
    con, facts: FileFacts, counts: FileCounts, file_app, layout, as_is
) -> None:
    lines, starts = read_lines(con, facts, layout, as_is)
    year = datetime.fromtimestamp(facts.path.stat().st_mtime, timezone.utc).year
    _store_engine_lines(con, facts, counts, engine_lines_sql(layout, year), file_app)
    counts.lines = lines
    counts.continuation_lines = lines - starts
    counts.other_lines = starts - counts.event_lines - counts.rejected_lines


def _ingest_json(con, facts: FileFacts, counts: FileCounts, file_app) -> None:
    if facts.bytes > MAX_JSON_BYTES:
        counts.layout = "json"
        _reject_whole_file(con, facts, counts, "JSON export over the size limit")
        return
    text = _read_text(facts)
    try:
        counts.layout, records = read_json_records(text, str(facts.path))
    except ParseError as exc:
        counts.layout = "json"
        _reject_whole_file(con, facts, counts, exc.message)
        return
    con.register("json_records", records)
    engine = f"SELECT * FROM json_records WHERE {engine_logger_sql('logger')}"
    _store_engine_lines(con, facts, counts, engine, file_app, record_app=True)
    con.unregister("json_records")
    counts.lines = records.num_rows
    counts.other_lines = counts.lines - counts.event_lines - counts.rejected_lines


def _ingest_run_history(con, facts: FileFacts, counts: FileCounts, file_app) -> None:
    valid, rejected = read_run_history(con, facts, file_app)
    counts.event_lines = valid
    counts.rejected_lines = rejected
    counts.other_lines = counts.lines - valid - rejected


def _store_engine_lines(
    con, facts: FileFacts, counts: FileCounts, engine_sql: str, file_app, **options
) -> None:
    """Classify engine lines: understood ones become events, the rest rejects.

    Only the rejects keep their text, and no line its message: copying both
    for every event line cost over a tenth of the classification's time.
    """
    con.execute(
        "CREATE OR REPLACE TEMP TABLE engine_lines AS "
        "SELECT * EXCLUDE (text, message), CASE WHEN NOT matched THEN text END AS text "
        f"FROM ({classified_sql(engine_sql, file_app, **options)})"
    )
    source = sql_text(str(facts.path))
    digest = sql_text(facts.content_hash)
    con.execute(
        f"""
        INSERT INTO log_events BY NAME
        SELECT {digest} AS content_hash, {source} AS source_file, line, app,
               logged_at, level, thread, logger, kind, instance, job, step, flow,
               records, total, ok, failed, state
        FROM engine_lines WHERE matched
        """
    )
    con.execute(
        f"""
        INSERT INTO log_rejects BY NAME
        SELECT {digest} AS content_hash, {source} AS source_file, line, text,
               CASE WHEN logger = '' OR logger IS NULL
                    THEN 'line does not fit the file''s layout; cut short?'
                    WHEN kind IS NULL
                    THEN 'message of ' || logger || ' matches no known pattern'
                    ELSE 'a ' || kind || ' message without its expected fields'
               END AS reason
        FROM engine_lines WHERE NOT matched
        """
    )
    events, rejects = con.execute(
        "SELECT count(*) FILTER (WHERE matched), count(*) FILTER (WHERE NOT matched) "
        "FROM engine_lines"
    ).fetchall()[0]
    counts.event_lines, counts.rejected_lines = int(events), int(rejects)


def _reject_whole_file(con, facts: FileFacts, counts: FileCounts, reason: str) -> None:
    """Count every line as rejected; keep the first lines' text to look at."""
    counts.rejected_lines = facts.lines
    text = "" if facts.binary else facts.head
    kept = text.splitlines()[:MAX_REJECTS_PER_FILE] or [""]
    con.executemany(
        "INSERT INTO log_rejects VALUES (?, ?, ?, ?, ?)",
        [
            (facts.content_hash, str(facts.path), number, line[:2000], reason)
            for number, line in enumerate(kept, 1)
        ],
    )


def _read_text(facts: FileFacts) -> str:
    data = b"".join(read_chunks(facts))
    return data.decode("utf-8" if facts.valid_utf8 else "latin-1")


def _record_file(con, facts: FileFacts, counts: FileCounts, file_app) -> None:
    con.execute(
        "INSERT INTO log_files VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            str(facts.path),
            facts.content_hash,
            counts.layout,
            file_app,
            facts.bytes,
            counts.lines,
            counts.event_lines,
            counts.other_lines,
            counts.continuation_lines,
            counts.rejected_lines,
            counts.problems,
        ],
    )
