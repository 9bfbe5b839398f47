"""Golden cases: each log layout's fixture against its reviewed runs and counts."""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path

import pytest

from kit.runlog import ingest_logs
from kit.store import open_store
from tests.conftest import FIXTURES

CASES = sorted(path for path in (FIXTURES / "runlog").iterdir() if path.is_dir())
# The CloudHub appender writes no year; the kit takes the file's. Pin it.
FILE_TIME = datetime(2026, 3, 2, 12, 0).timestamp()


def assess(case: Path) -> dict:
    """Ingest one fixture folder into a fresh store; return what a reviewer checks."""
    for path in (case / "input").iterdir():
        os.utime(path, (FILE_TIME, FILE_TIME))
    con = open_store()
    summary = ingest_logs(con, [case / "input"])

    def rows(sql: str) -> list[dict]:
        result = con.execute(sql)
        names = [column[0] for column in result.description]
        return [
            {name: _plain(value) for name, value in zip(names, row, strict=True)}
            for row in result.fetchall()
        ]

    files = []
    for counts in summary.files:
        document = counts.to_json()
        document["path"] = Path(document["path"]).name
        files.append(document)
    return {
        "files": files,
        "runs": rows("SELECT * EXCLUDE (source_file) FROM runs ORDER BY job, instance"),
        "run_steps": rows(
            "SELECT app, job, instance, step FROM run_steps ORDER BY ALL"
        ),
        "skipped_triggers": rows("SELECT app, flow, skipped_at FROM skipped_triggers"),
        "rejects": rows(
            "SELECT regexp_extract(source_file, '[^/]+$') AS file, line, reason "
            "FROM log_rejects ORDER BY file, line LIMIT 20"
        ),
    }


def _plain(value: object) -> object:
    return value.isoformat() if isinstance(value, datetime) else value


@pytest.mark.parametrize("case", CASES, ids=lambda path: path.name)
def test_runs_match_expected(case: Path, update_golden: bool) -> None:
    """The runs, steps, skips, rejects and line counts equal the reviewed answer."""
    actual = assess(case)
    expected_path = case / "expected.json"
    if update_golden or not expected_path.exists():
        expected_path.write_text(json.dumps(actual, indent=2) + "\n")
        pytest.skip("expected output written; review it before committing")
    assert actual == json.loads(expected_path.read_text())


@pytest.mark.parametrize("case", CASES, ids=lambda path: path.name)
def test_every_line_is_accounted_for(case: Path) -> None:
    """Events, other lines, continuations and rejects add up to each file's lines."""
    for counts in assess(case)["files"]:
        parts = (
            counts["event_lines"]
            + counts["other_lines"]
            + counts["continuation_lines"]
            + counts["rejected_lines"]
        )
        assert parts == counts["lines"], counts["path"]
        assert min(counts[name] for name in counts if name.endswith("_lines")) >= 0


@pytest.mark.parametrize("case", CASES, ids=lambda path: path.name)
def test_case_has_a_one_line_title(case: Path) -> None:
    """Every golden case says in one line what it covers."""
    lines = (case / "title.txt").read_text().strip().splitlines()
    assert len(lines) == 1 and lines[0]
