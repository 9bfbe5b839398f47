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
from datetime import datetime, timedelta, timezone
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
    UTF16_PROBLEM,
    FileFacts,
    find_log_files,
    measure_file,
    read_chunks,
    sniff_file,
)
from kit.runlog.history import read_run_history
from kit.runlog.layouts import TextLayout, detect_text_layout
from kit.runlog.runs import rebuild_runs
from kit.runlog.text import (
    engine_lines_sql,
    engine_logger_sql,
    load_lines_as_is,
    other_layout_starts,
    read_lines,
    sql_text,
)

log = logging.getLogger(__name__)

MAX_JSON_BYTES = 256 * 1024 * 1024
# Layouts of files of which nothing could be read as a log.
UNREAD_LAYOUTS = frozenset({"unreadable", "binary", "utf-16", "unknown"})
MAX_REJECTS_PER_FILE = 10_000
# mule-app-APP.log, rotated as APP.1.log (the kit's samples), .log.1 (log4j's
# index) or .log.2017-11-12 (Mule 3's daily roll), any of them gzipped.
_APP_FROM_FILE_NAME = re.compile(
    r"^mule-app-(.+?)(\.\d+)?\.log(?:\.\d+|\.\d{4}-\d\d-\d\d)?(?:\.gz)?$"
)
_ENDS_IN_DOTTED_NUMBER = re.compile(r"\.\d+$")
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

    @property
    def unread(self) -> bool:
        """Whether nothing of the file could be read as a log."""
        whole_reject = self.lines > 0 and self.rejected_lines == self.lines
        return self.layout in UNREAD_LAYOUTS or whole_reject

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
    if len(files) < 2 or sum(_size(path) for path in files) <= _PROGRESS_BYTES:
        return files
    from tqdm import tqdm

    return tqdm(files, unit="file", disable=None, leave=False)


def _size(path: Path) -> int:
    """The file's size, or 0 when it cannot be read: ingesting it reports that."""
    try:
        return path.stat().st_size
    except OSError:
        return 0


def ingest_file(
    con: duckdb.DuckDBPyConnection, path: Path, *, app: str | None = None
) -> FileCounts:
    """Ingest one file (unless its content is already in the store).

    The file is hashed and counted in a thread while DuckDB parses it. A file
    whose content was ingested before reports the counts stored then, marked
    as a duplicate. A file that cannot be read is recorded as ``unreadable``.
    """
    file_app = app or _app_from_file_name(path.name)
    _forget_no_content_rows(con, path)
    try:
        facts, layout, label, as_is = _read_file(con, path)
    except OSError as exc:
        return _record_unreadable(con, path, exc.strerror or str(exc), file_app)

    counts = FileCounts(str(path), label, lines=facts.lines, problems=facts.problems)
    if facts.damage is not None:
        log.warning(
            "%s: the gzip stream is broken (%s); the %d lines before the break "
            "are read. Copy the file again from its source to read the rest",
            path,
            facts.damage,
            facts.lines,
        )
    if facts.bytes == 0:
        # Every empty file has the same hash, yet none duplicates another.
        facts.content_hash = _no_content_key("empty", path)
    elif _count_as_read_before(con, facts, counts):
        log.info("%s: same content as a file ingested before; skipped", path)
        return counts

    _ingest_content(con, facts, counts, layout, as_is)
    _record_file(con, facts, counts, file_app)
    if counts.rejected_lines:
        log.warning(
            "%s: %d lines not understood, most for this reason: %s. See the "
            "log_rejects table",
            path,
            counts.rejected_lines,
            _commonest_reject_reason(con, facts.content_hash),
        )
    return counts


def _ingest_content(
    con: duckdb.DuckDBPyConnection,
    facts: FileFacts,
    counts: FileCounts,
    layout: TextLayout | None,
    as_is: tuple[int, int] | None,
) -> None:
    """Read the file the way its kind needs, or reject it whole saying why."""
    if facts.utf16:
        counts.layout = "utf-16"
        _reject_whole_file(con, facts, counts, f"not a log as it is: {UTF16_PROBLEM}")
    elif facts.binary:
        counts.layout = "binary"
        _reject_whole_file(con, facts, counts, "binary file: not a log")
    elif facts.bytes == 0:
        counts.layout = "empty"
    elif looks_like_run_history(facts.head):
        counts.layout = "run-history-csv"
        _ingest_run_history(con, facts, counts)
    elif looks_like_json(facts.head):
        _ingest_json(con, facts, counts)
    elif layout is None:
        _reject_whole_file(
            con, facts, counts, "no known log layout; is this a Mule runtime log?"
        )
    else:
        _ingest_text(con, facts, counts, layout, as_is)


def _commonest_reject_reason(con: duckdb.DuckDBPyConnection, content_hash: str) -> str:
    """The reason most of a file's rejects share, so the warning says what to fix."""
    return con.execute(
        "SELECT mode(reason) FROM log_rejects WHERE content_hash = ?", [content_hash]
    ).fetchall()[0][0]


def _read_file(
    con: duckdb.DuckDBPyConnection, path: Path
) -> tuple[FileFacts, TextLayout | None, str, tuple[int, int] | None]:
    """Sniff, measure and (if it is a text log) load the file; OSError if unreadable.

    Returns the facts, the text layout and its label, and the as-is load.
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
    return facts, layout, label, as_is


def _record_unreadable(
    con: duckdb.DuckDBPyConnection, path: Path, reason: str, file_app: str | None
) -> FileCounts:
    """Count a file that cannot be read as one with no lines, and say what to do."""
    log.warning(
        "%s: cannot be read: %s. Skipped; repair or remove it and run kit logs again",
        path,
        reason,
    )
    counts = FileCounts(str(path), "unreadable", problems=[f"cannot be read: {reason}"])
    facts = FileFacts(
        path=path,
        content_hash=_no_content_key("unreadable", path),
        bytes=0,
        lines=0,
        compressed=False,
        head="",
    )
    _record_file(con, facts, counts, file_app)
    return counts


def _forget_no_content_rows(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Drop what an earlier ingest recorded of ``path`` when it was empty or unreadable.

    Whatever the file is now, it is recorded afresh, so no stale row remains.
    """
    con.execute(
        "DELETE FROM log_files WHERE content_hash IN (?, ?)",
        [_no_content_key("empty", path), _no_content_key("unreadable", path)],
    )


def _no_content_key(kind: str, path: Path) -> str:
    """What stands for the content hash of a file without content: its path."""
    return f"{kind}:{path.absolute()}"


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
    >>> _app_from_file_name("mule-app-orders.log.2017-11-12")
    'orders'
    >>> _app_from_file_name("mule-app-orders_1.4.0.log")
    'orders_1.4.0'
    """
    match = _APP_FROM_FILE_NAME.match(name)
    if match is None:
        return None
    app, index = match.groups()
    # A number after a dotted number ends a version (APP_1.4.0), not a rotation.
    # APP_1.4 cannot be told from APP_1 rotated once, and is read as the latter.
    if index and _ENDS_IN_DOTTED_NUMBER.search(app):
        return app + index
    return app


def _ingest_text(
    con: duckdb.DuckDBPyConnection,
    facts: FileFacts,
    counts: FileCounts,
    layout: TextLayout,
    as_is: tuple[int, int] | None,
) -> None:
    """Count a text log's lines and store its engine events and rejects."""
    lines, starts = read_lines(con, facts, layout, as_is)
    modified = datetime.fromtimestamp(facts.path.stat().st_mtime, timezone.utc)
    # A zone ahead of UTC may already be a day further than the UTC date.
    latest = modified.date() + timedelta(days=1)
    _store_engine_lines(con, facts, counts, engine_lines_sql(layout, latest))
    counts.lines = lines
    counts.continuation_lines = lines - starts
    counts.other_lines = starts - counts.event_lines - counts.rejected_lines
    _report_other_layouts(facts, counts, layout, other_layout_starts(con, layout))


def _report_other_layouts(
    facts: FileFacts, counts: FileCounts, layout: TextLayout, found: dict[str, int]
) -> None:
    """Say so when lines of another layout were counted as continuations.

    One layout is read per file, so in a file that joins two logs the second
    one's events are lost as continuation lines; the fix is to split the file.
    """
    if not found:
        return
    total = sum(found.values())
    others = " and ".join(found)
    counts.problems.append(
        f"{total:,} lines start events in the {others} layout but are counted as "
        f"continuations of the {layout.name} layout; split the file by layout"
    )
    log.warning(
        "%s: %d lines start events in the %s layout, not in this file's %s "
        "layout, and are counted as continuation lines. Split the file into one "
        "file per layout and ingest the parts",
        facts.path,
        total,
        others,
        layout.name,
    )


def _ingest_json(con, facts: FileFacts, counts: FileCounts) -> None:
    if facts.bytes > MAX_JSON_BYTES:
        counts.layout = "json"
        _reject_whole_file(con, facts, counts, "JSON export over the size limit")
        return
    text = _read_text(facts)
    try:
        counts.layout, records, unread = read_json_records(text, str(facts.path))
    except ParseError as exc:
        counts.layout = "json"
        _reject_whole_file(con, facts, counts, exc.message)
        return
    con.register("json_records", records)
    engine = f"SELECT * FROM json_records WHERE {engine_logger_sql('logger')}"
    _store_engine_lines(con, facts, counts, engine, record_app=True)
    con.unregister("json_records")
    counts.lines = records.num_rows + len(unread)
    if unread:
        _reject_unread_json(con, facts, counts, unread)
    counts.other_lines = counts.lines - counts.event_lines - counts.rejected_lines


def _reject_unread_json(
    con, facts: FileFacts, counts: FileCounts, unread: list[tuple[int, str]]
) -> None:
    """Count each stretch of a damaged JSON export that is no record as a reject."""
    problem = (
        f"{len(unread)} stretch(es) of the JSON export are no whole record (the "
        f"first at record {unread[0][0]:,}): broken, cut short or after the end; "
        "the other records are read. Export the logs again"
    )
    log.warning("%s: %s", facts.path, problem)
    counts.problems.append(problem)
    counts.rejected_lines += len(unread)
    con.executemany(
        "INSERT INTO log_rejects VALUES (?, ?, ?, ?, ?)",
        [
            (facts.content_hash, str(facts.path), number, text[:2000], problem)
            for number, text in unread
        ],
    )


def _ingest_run_history(con, facts: FileFacts, counts: FileCounts) -> None:
    valid, rejected = read_run_history(con, facts)
    counts.event_lines = valid
    counts.rejected_lines = rejected
    counts.other_lines = counts.lines - valid - rejected


def _store_engine_lines(
    con, facts: FileFacts, counts: FileCounts, engine_sql: str, **options
) -> None:
    """Classify engine lines: understood ones become events, the rest rejects.

    Only the rejects keep their text, and no line its message: copying both
    for every event line cost over a tenth of the classification's time.
    """
    con.execute(
        "CREATE OR REPLACE TEMP TABLE engine_lines AS "
        "SELECT * EXCLUDE (text, message), CASE WHEN NOT matched THEN text END AS text "
        f"FROM ({classified_sql(engine_sql, **options)})"
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
    """Add the file to log_files; its ``app`` is the fallback for runs naming none."""
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
