"""The ``kit logs`` command: its JSON summary, the --app option and bad paths."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from kit.cli import main
from tests.conftest import FIXTURES

COUNTS = (
    "lines",
    "event_lines",
    "other_lines",
    "continuation_lines",
    "rejected_lines",
)
CONSOLE = FIXTURES / "runlog" / "mule3-console-crlf" / "input"
CLOUDHUB = FIXTURES / "runlog" / "cloudhub" / "input"


def test_json_summary_has_the_documented_counts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--json - prints files, line counts and runs, and the same counts per file."""
    database = tmp_path / "a.duckdb"

    assert main(["logs", str(CLOUDHUB), "--db", str(database), "--json", "-"]) == 0
    document = json.loads(capsys.readouterr().out)

    assert set(document) == {"files", "runs", "per_file", *COUNTS}
    assert document["files"] == len(document["per_file"]) == 2
    for name in COUNTS:
        assert document[name] == sum(entry[name] for entry in document["per_file"])
    for entry in document["per_file"]:
        assert entry["lines"] == sum(entry[name] for name in COUNTS[1:])
    with duckdb.connect(str(database), read_only=True) as con:
        assert (
            con.execute("SELECT count(*) FROM runs").fetchone()[0] == (document["runs"])
        )


def test_app_option_names_runs_the_log_does_not_place(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A Studio console log names no app; --app gives its runs one."""
    database = tmp_path / "a.duckdb"

    assert main(["logs", str(CONSOLE), "--db", str(database), "--app", "polls"]) == 0
    capsys.readouterr()
    with duckdb.connect(str(database), read_only=True) as con:
        apps = con.execute("SELECT DISTINCT app FROM runs").fetchall()

    assert apps == [("polls",)]


def test_missing_path_is_a_usage_error_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A path that does not exist exits 2 with a message quoting it."""
    missing = tmp_path / "nowhere.log"

    assert main(["logs", str(missing), "--db", str(tmp_path / "a.duckdb")]) == 2
    assert str(missing) in capsys.readouterr().err


def test_a_file_read_again_reports_its_stored_counts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Ingesting the same files twice gives the same counts, marked as duplicates."""
    arguments = ["logs", str(CLOUDHUB), "--db", str(tmp_path / "a.duckdb")]

    assert main([*arguments, "--json", "-"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert main([*arguments, "--json", "-"]) == 0
    again = json.loads(capsys.readouterr().out)

    assert [entry["duplicate"] for entry in first["per_file"]] == [False, False]
    assert [entry["duplicate"] for entry in again["per_file"]] == [True, True]
    for before, after in zip(first["per_file"], again["per_file"], strict=True):
        assert {**before, "duplicate": True} == after
        assert after["lines"] == sum(after[name] for name in COUNTS[1:])
    assert {name: again[name] for name in COUNTS} == {
        name: first[name] for name in COUNTS
    }
