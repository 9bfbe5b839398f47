"""The public corpus of real Mule logs: the kit agrees with counts made by hand.

The hand counts (every line, every instance) are in the closing note of the
run-history issue; they were made with grep and awk and checked two ways.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import duckdb
import pytest

from kit.runlog import ingest_logs
from kit.store import open_store
from tests.conftest import LOG_CORPUS

pytestmark = pytest.mark.skipif(
    not LOG_CORPUS.is_dir(), reason="public Mule log corpus not present"
)

CONSOLE_73 = "mule3-studio-console__pksinghgit__73-batch-processing.log"
APP_LOG = (
    "mule3-app-log__pksinghgit__mule-app-salesforce-to-MySQL-DB-using-"
    "Batch-Processing_1.4.0.log"
)
CONSOLE_69 = (
    "mule3-studio-console__pksinghgit__69-fixed-length-csv-db.batch-lines-only.log"
)
MULE4_STARTUP = "mule4.3-studio-runtime-startup__johnmathew234__mytrains.log"
CLOUDHUB_JSON = "cloudhub1-logs-api-json__johnmathew234__get-logs.json"


@pytest.fixture(scope="module")
def store() -> duckdb.DuckDBPyConnection:
    con = open_store()
    ingest_logs(con, [LOG_CORPUS / name for name in _FILES])
    return con


_FILES = (CONSOLE_73, APP_LOG, CONSOLE_69, MULE4_STARTUP, CLOUDHUB_JSON)


@pytest.mark.parametrize(
    ("name", "layout", "lines", "events", "other", "continuation"),
    [
        (CONSOLE_73, "mule3-console", 1791, 1152, 334, 305),
        (APP_LOG, "mule3-app", 2092, 700, 444, 948),
        (CONSOLE_69, "mule3-console", 238, 39, 75, 124),
        (MULE4_STARTUP, "mule4", 16, 0, 16, 0),
        (CLOUDHUB_JSON, "cloudhub-json", 16, 1, 15, 0),
    ],
)
def test_line_counts_match_the_hand_count(
    store, name, layout, lines, events, other, continuation
) -> None:
    """Each real file's lines split into events, others and continuations as counted."""
    row = store.execute(
        "SELECT layout, lines, event_lines, other_lines, continuation_lines, "
        "rejected_lines FROM log_files WHERE ends_with(path, ?)",
        [name],
    ).fetchall()
    assert row == [(layout, lines, events, other, continuation, 0)]


@pytest.mark.parametrize(
    ("name", "finished", "incomplete", "processed", "loaded"),
    [
        (CONSOLE_73, 114, 1, 6, 6),
        (APP_LOG, 77, 0, 0, 0),
        (CONSOLE_69, 2, 6, 186, 186),
    ],
)
def test_runs_match_the_hand_count(
    store, name, finished, incomplete, processed, loaded
) -> None:
    """Instances per status and record totals agree with the hand count exactly."""
    rows = store.execute(
        """
        SELECT count(*) FILTER (WHERE status = 'finished'),
               count(*) FILTER (WHERE status = 'incomplete'),
               count(*) FILTER (WHERE status = 'failed'),
               coalesce(sum(records_total), 0), coalesce(sum(records_ok), 0),
               coalesce(sum(records_failed), 0), coalesce(sum(records_loaded), 0)
        FROM runs WHERE ends_with(source_file, ?)
        """,
        [name],
    ).fetchall()
    assert rows == [(finished, incomplete, 0, processed, processed, 0, loaded)]


def test_empty_instances_finish_with_zero_records(store) -> None:
    """The 109 empty polls of the console log finish with zero records each."""
    empty = store.execute(
        "SELECT count(*) FROM runs WHERE ends_with(source_file, ?) "
        "AND status = 'finished' AND records_total = 0",
        [CONSOLE_73],
    ).fetchall()[0][0]
    assert empty == 109


def test_step_lines_after_the_finish_line_still_count(store) -> None:
    """All 8 step-completion lines of the console log land in run_steps."""
    steps = store.execute(
        "SELECT count(*) FROM run_steps WHERE ends_with(source_file, ?)", [CONSOLE_73]
    ).fetchall()[0][0]
    assert steps == 8


def test_ingesting_again_changes_nothing(tmp_path: Path) -> None:
    """The same content twice (once gzipped) is skipped by its content hash."""
    copy = tmp_path / "copy.log.gz"
    copy.write_bytes(gzip.compress((LOG_CORPUS / CONSOLE_73).read_bytes(), mtime=0))
    con = open_store(tmp_path / "a.duckdb")
    first = ingest_logs(con, [LOG_CORPUS / CONSOLE_73])
    runs = con.execute("SELECT * FROM runs ORDER BY ALL").fetchall()
    again = ingest_logs(con, [LOG_CORPUS / CONSOLE_73, copy])

    assert first.runs == again.runs == 115
    assert [counts.duplicate for counts in again.files] == [True, True]
    assert con.execute("SELECT * FROM runs ORDER BY ALL").fetchall() == runs
    assert con.execute("SELECT count(*) FROM log_files").fetchall()[0][0] == 1
