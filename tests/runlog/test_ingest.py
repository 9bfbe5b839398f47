"""Files that are not one plain log: unreadable, UTF-16, empty, mixed layouts.

Each is counted and reported, never dropped; the file name's app is checked too.
"""

from __future__ import annotations

import json
import logging
import os
from datetime import datetime
from pathlib import Path

import pytest

from kit.cli import main
from kit.runlog import ingest_logs
from kit.runlog.ingest import IngestSummary, _app_from_file_name
from kit.store import open_store
from tests.conftest import LOG_CORPUS

COUNTS = ("event_lines", "other_lines", "continuation_lines", "rejected_lines")
MULE3_APP_LOG = (
    "mule3-app-log__pksinghgit__mule-app-salesforce-to-MySQL-DB-using-"
    "Batch-Processing_1.4.0.log"
)
CONSOLE_69 = (
    "mule3-studio-console__pksinghgit__69-fixed-length-csv-db.batch-lines-only.log"
)
LEVEL_FIRST_LINE = (
    "INFO  2026-03-02 01:00:00,000 [main] org.mule.runtime.core.Server: started\n"
)
CONSOLE_LINE = "2026-03-02 01:00:01,000 [main] INFO  org.mule.Server - started\n"


def warnings_naming(caplog: pytest.LogCaptureFixture, name: str) -> list[str]:
    """The warnings logged that name the file called ``name``."""
    return [
        record.getMessage()
        for record in caplog.records
        if record.levelno == logging.WARNING and name in record.getMessage()
    ]


def entry(summary: IngestSummary, name: str) -> dict:
    """The summary's counts for the file called ``name``."""
    [counts] = [item for item in summary.files if Path(item.path).name == name]
    return counts.to_json()


@pytest.mark.parametrize(
    ("name", "app"),
    [
        ("mule-app-orders.log", "orders"),
        ("mule-app-orders-sync.1.log.gz", "orders-sync"),
        ("mule-app-orders.2.log.gz", "orders"),
        ("mule-app-orders-v2.1.log", "orders-v2"),
        ("mule-app-orders.log.1", "orders"),
        ("mule-app-orders.log.2017-11-12", "orders"),
        ("mule-app-orders.log.2017-11-12.gz", "orders"),
        (
            "mule-app-salesforce-to-MySQL-DB-using-Batch-Processing_1.4.0.log",
            "salesforce-to-MySQL-DB-using-Batch-Processing_1.4.0",
        ),
        ("mule_ee.log", None),
    ],
)
def test_the_app_a_file_name_gives(name: str, app: str | None) -> None:
    """Rotation suffixes are dropped from the app name; version numbers are not."""
    assert _app_from_file_name(name) == app


def test_a_broken_link_is_reported_and_the_rest_ingested(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A dangling symbolic link is one unreadable file with one warning."""
    (tmp_path / "good.log").write_text(LEVEL_FIRST_LINE)
    (tmp_path / "x.log").symlink_to(tmp_path / "nowhere.log")
    con = open_store()

    summary = ingest_logs(con, [tmp_path])
    broken = entry(summary, "x.log")
    stored = con.execute(
        "SELECT layout, lines, problems FROM log_files WHERE ends_with(path, 'x.log')"
    ).fetchall()

    assert [Path(counts.path).name for counts in summary.files] == ["good.log", "x.log"]
    assert entry(summary, "good.log")["other_lines"] == 1
    assert (broken["layout"], broken["lines"]) == ("unreadable", 0)
    assert broken["problems"] == [
        f"cannot be read: symbolic link to {str(tmp_path / 'nowhere.log')!r}, "
        "which leads to no file"
    ]
    assert stored == [("unreadable", 0, broken["problems"])]
    [warning] = warnings_naming(caplog, "x.log")
    assert "repair or remove it" in warning


def test_a_named_pipe_is_reported_without_waiting_for_it(tmp_path: Path) -> None:
    """A pipe in the folder is not opened (that would block) but recorded unreadable."""
    os.mkfifo(tmp_path / "pipe.log")

    summary = ingest_logs(open_store(), [tmp_path])

    assert entry(summary, "pipe.log")["layout"] == "unreadable"
    assert "not a regular file" in entry(summary, "pipe.log")["problems"][0]


def test_an_unreadable_file_in_the_json_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """kit logs exits 1 and lists the broken link like any other file, with no lines."""
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "good.log").write_text(LEVEL_FIRST_LINE)
    (logs / "x.log").symlink_to("/nope")
    arguments = [str(logs), "--db", str(tmp_path / "a.duckdb"), "--json", "-"]

    assert main(["logs", *arguments]) == 1
    document = json.loads(capsys.readouterr().out)

    assert (document["files"], document["lines"]) == (2, 1)
    [broken] = [item for item in document["per_file"] if item["path"].endswith("x.log")]
    assert broken["layout"] == "unreadable"
    assert broken["lines"] == sum(broken[name] for name in COUNTS) == 0


def test_a_repaired_file_replaces_its_unreadable_row(tmp_path: Path) -> None:
    """Once the link's target exists, ingesting again keeps only the file's content."""
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "x.log").symlink_to(tmp_path / "target.txt")
    con = open_store()
    ingest_logs(con, [logs])
    (tmp_path / "target.txt").write_text(LEVEL_FIRST_LINE)

    ingest_logs(con, [logs])
    rows = con.execute(
        "SELECT path, layout, lines FROM log_files ORDER BY 1"
    ).fetchall()

    assert [(Path(path).name, layout, lines) for path, layout, lines in rows] == [
        ("x.log", "mule4", 1)
    ]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_a_utf16_file_is_rejected_with_how_to_convert_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, encoding: str
) -> None:
    """UTF-16 (with or without a byte order mark) is said to be UTF-16, not binary."""
    (tmp_path / "powershell.log").write_bytes((LEVEL_FIRST_LINE * 3).encode(encoding))
    con = open_store()

    summary = ingest_logs(con, [tmp_path])
    counts = entry(summary, "powershell.log")
    [reason] = con.execute("SELECT DISTINCT reason FROM log_rejects").fetchall()[0]

    assert (counts["layout"], counts["lines"], counts["rejected_lines"]) == (
        "utf-16",
        3,
        3,
    )
    [problem] = counts["problems"]
    for text in (problem, reason, *warnings_naming(caplog, "powershell.log")):
        assert "UTF-16" in text
        assert "iconv -f UTF-16 -t UTF-8" in text


def test_every_empty_file_is_recorded(tmp_path: Path) -> None:
    """Two empty files are two files, neither a duplicate, both in log_files."""
    (tmp_path / "a.log").write_bytes(b"")
    (tmp_path / "b.log").write_bytes(b"")
    con = open_store()

    first = ingest_logs(con, [tmp_path])
    again = ingest_logs(con, [tmp_path])
    stored = con.execute("SELECT path, layout FROM log_files ORDER BY 1").fetchall()

    for summary in (first, again):
        assert [(Path(c.path).name, c.duplicate) for c in summary.files] == [
            ("a.log", False),
            ("b.log", False),
        ]
    assert [(Path(path).name, layout) for path, layout in stored] == [
        ("a.log", "empty"),
        ("b.log", "empty"),
    ]


def test_lines_of_a_second_layout_are_counted_and_reported(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Two console lines in a level-first file are continuations, said out loud."""
    (tmp_path / "joined.log").write_text(
        LEVEL_FIRST_LINE * 3 + CONSOLE_LINE + "\tat a stack frame\n" + CONSOLE_LINE
    )

    summary = ingest_logs(open_store(), [tmp_path])
    counts = entry(summary, "joined.log")

    assert (counts["lines"], counts["other_lines"], counts["continuation_lines"]) == (
        6,
        3,
        3,
    )
    assert counts["problems"] == [
        "2 lines start events in the console layout but are counted as "
        "continuations of the level-first layout; split the file by layout"
    ]
    [warning] = warnings_naming(caplog, "joined.log")
    assert "2 lines" in warning and "console" in warning and "Split" in warning


def test_a_file_in_one_layout_has_no_layout_problem(tmp_path: Path) -> None:
    """Continuation lines that start no event in any layout raise nothing."""
    (tmp_path / "plain.log").write_text(LEVEL_FIRST_LINE + "\tat a stack frame\n")

    summary = ingest_logs(open_store(), [tmp_path])

    assert entry(summary, "plain.log")["continuation_lines"] == 1
    assert entry(summary, "plain.log")["problems"] == []


@pytest.mark.skipif(
    not (LOG_CORPUS / CONSOLE_69).is_file(), reason="public Mule log corpus not present"
)
def test_a_real_app_log_and_console_log_joined_by_cat(tmp_path: Path) -> None:
    """The console log's 114 event lines, hand-counted, are named as another layout."""
    joined = tmp_path / "joined.log"
    joined.write_bytes(
        (LOG_CORPUS / MULE3_APP_LOG).read_bytes()
        + (LOG_CORPUS / CONSOLE_69).read_bytes()
    )

    summary = ingest_logs(open_store(), [joined])
    counts = entry(summary, "joined.log")

    assert (counts["layout"], counts["lines"]) == ("mule3-app", 2092 + 238)
    assert counts["problems"][-1].startswith(
        "114 lines start events in the console layout"
    )


def _cloudhub_run(created: str, finished: str) -> str:
    """A CloudHub appender run of job ``j`` created and finished at the stamps."""
    thread = "[[MuleRuntime].uber.03: [payments].flow.CPU_LITE @1]"
    engine = f"INFO  DefaultBatchEngine {thread}: "
    return (
        f"[{created}] {engine}Created instance 'r' for batch job 'j'\n"
        f"[{finished}] {engine}Finished execution for instance 'r' of job 'j'. "
        "Total Records processed: 1. Successful records: 1. Failed Records: 0\n"
    )


@pytest.mark.parametrize(
    ("written", "created", "finished", "expected"),
    [
        # Crossing New Year: December lines are from the year before.
        (
            datetime(2026, 1, 1, 1, 0),
            "12-31 23:59:50",
            "01-01 00:00:10",
            ("2025-12-31 23:59:50", 20.0),
        ),
        # Written at 23:30 UTC on 31 December, already 1 January east of UTC.
        (
            datetime(2024, 12, 31, 23, 30),
            "12-31 23:50:00",
            "01-01 00:30:00",
            ("2024-12-31 23:50:00", 2400.0),
        ),
        # 29 February in a file written in 2026 is from 2024.
        (
            datetime(2026, 3, 5),
            "02-29 10:00:00",
            "02-29 10:00:30",
            ("2024-02-29 10:00:00", 30.0),
        ),
    ],
)
def test_yearless_stamps_take_the_year_they_must_have(
    tmp_path: Path, written, created, finished, expected
) -> None:
    """A CloudHub stamp has no year: it never lands after the file was written."""
    log_file = tmp_path / "cloudhub.log"
    log_file.write_text(_cloudhub_run(created, finished))
    os.utime(log_file, (written.timestamp(), written.timestamp()))
    con = open_store()

    ingest_logs(con, [log_file])

    row = con.execute("SELECT CAST(created_at AS VARCHAR), duration_s FROM runs")
    assert row.fetchone() == expected


def test_a_json_export_cut_short_keeps_its_whole_records(tmp_path: Path) -> None:
    """Records before the cut are read; the cut is one reject with the reason."""
    engine = "com.mulesoft.mule.runtime.module.batch.internal.engine.DefaultBatchEngine"
    thread = "[MuleRuntime].uber.01: [refunds].flow.CPU_LITE @9"

    def record(message: str) -> str:
        return json.dumps(
            {
                "event": {
                    "loggerName": engine,
                    "threadName": thread,
                    "timestamp": 1772416800000,
                    "message": message,
                    "priority": "INFO",
                }
            }
        )

    whole = "[" + ",\n".join(
        [
            record("Created instance 'ref-1' for batch job 'refundsBatch'"),
            record("Started execution of instance 'ref-1' of job 'refundsBatch'"),
            record("Finished execution for instance 'ref-1' of job 'refundsBatch'"),
        ]
    )
    export = tmp_path / "logs-api.json"
    export.write_text(whole[: whole.rindex("Finished") + 8])
    con = open_store()

    [counts] = ingest_logs(con, [export]).files

    assert (counts.lines, counts.event_lines, counts.rejected_lines) == (3, 2, 1)
    assert "(the first at record 3)" in counts.problems[-1]
    assert con.execute("SELECT status FROM runs").fetchall() == [("incomplete",)]


def test_lines_ending_in_carriage_returns_alone_are_a_problem(tmp_path: Path) -> None:
    """A file with CR-only line ends reads as one line, and says how to convert it."""
    old_mac = tmp_path / "old-mac.log"
    old_mac.write_bytes(b"INFO  2026-03-02 01:00:00,000 [t] a.B: one\r" * 3)
    con = open_store()

    [counts] = ingest_logs(con, [old_mac]).files

    assert counts.lines == 1
    assert any("carriage returns alone" in problem for problem in counts.problems)


@pytest.mark.parametrize(
    ("started", "finished", "expected"),
    [
        # 01:00+02:00 is 23:00 UTC the day before, not 01:00.
        (
            "2026-03-02 01:00:00+02:00",
            "2026-03-02T00:30:00Z",
            ("2026-03-01 23:00:00", 5400.0),
        ),
        # A blank before the offset changes nothing.
        (
            "2024-03-01 10:00:00 +02:00",
            "2024-03-01 08:10:00 Z",
            ("2024-03-01 08:00:00", 600.0),
        ),
    ],
)
def test_run_history_times_with_an_offset_are_read_in_utc(
    tmp_path: Path, started: str, finished: str, expected: tuple
) -> None:
    """A CSV run history time with a UTC offset or Z is converted to UTC."""
    history = tmp_path / "runs.csv"
    history.write_text(
        "job,instance,started_at,finished_at,records_total,records_failed\n"
        f"nightly,r1,{started},{finished},10,0\n"
    )
    con = open_store()

    ingest_logs(con, [history])

    row = con.execute("SELECT CAST(created_at AS VARCHAR), duration_s FROM runs")
    assert row.fetchone() == expected


def test_the_text_summary_names_files_not_read_as_logs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without --json a binary file is named with its problem, and the exit is 1."""
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "good.log").write_text(LEVEL_FIRST_LINE)
    (logs / "core.dump").write_bytes(bytes(range(256)) * 4)

    assert main(["logs", str(logs), "--db", str(tmp_path / "a.duckdb")]) == 1

    out = capsys.readouterr().out
    assert f"not read as a log: {logs / 'core.dump'}: binary content" in out
    assert "good.log" not in out


GOOD_RECORD = '{"event": {"loggerName": "x.Y", "message": "m", "timestamp": 0}}'


@pytest.mark.parametrize(
    ("broken", "tail", "counts", "reject_lines"),
    [
        # A damaged record, and stray text after the array: two rejects.
        ('{"event": {oops}', " trailing", (5, 2, 3), [2, 5]),
        # Objects nested in the broken record are not taken for records.
        (
            '{"recordId": 2, "tags": [{"a": 1}, {"b": 2}], "x" BROKEN}',
            "\n",
            (4, 1, 3),
            [2],
        ),
    ],
)
def test_a_broken_record_in_a_json_export_costs_only_itself(
    tmp_path: Path, broken: str, tail: str, counts: tuple, reject_lines: list
) -> None:
    """Records after a damaged one are read; each damage is one reject at its place."""
    good = GOOD_RECORD
    export = tmp_path / "logs-api.json"
    export.write_text(f"[{good},\n{broken},\n{good},\n{good}]{tail}")
    con = open_store()

    [found] = ingest_logs(con, [export]).files

    assert (found.lines, found.rejected_lines, found.other_lines) == counts
    rejects = con.execute("SELECT line FROM log_rejects ORDER BY line").fetchall()
    assert [line for (line,) in rejects] == reject_lines
