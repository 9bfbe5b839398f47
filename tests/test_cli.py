"""The ``kit`` command as a whole: what starting it loads, and its mode choices."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from kit import cli
from kit.simulate import MODES
from tests.conftest import ROOT

APPS = ROOT / "data" / "apps"


def test_mode_choices_are_the_simulators_modes() -> None:
    """The --mode choices spelt out in the command line are the simulator's."""
    assert cli.MODES == MODES


def test_starting_the_command_loads_no_stage() -> None:
    """Importing the command line imports no stage and none of their heavy libraries."""
    heavy = ("kit.portfolio", "kit.runlog", "kit.estimate", "kit.simulate", "numba")
    script = (
        "import sys, kit.cli; "
        f"print(' '.join(name for name in {heavy!r} if name in sys.modules))"
    )

    loaded = subprocess.run(
        [sys.executable, "-c", script], check=True, capture_output=True, text=True
    ).stdout.split()

    assert loaded == []


def test_a_reader_that_goes_away_gets_no_traceback() -> None:
    """Writing JSON into a pipe nobody reads ends quietly, as SIGPIPE would."""
    reader, writer = os.pipe()
    os.close(reader)
    command = [sys.executable, "-m", "kit", "inventory", str(APPS), "--json", "-"]

    done = subprocess.run(command, stdout=writer, stderr=subprocess.PIPE, text=True)
    os.close(writer)

    assert "Traceback" not in done.stderr
    assert done.returncode == cli.EXIT_BROKEN_PIPE


@pytest.mark.parametrize("minutes", ["-3", "0", "nan", "soon"])
def test_threshold_must_be_minutes_above_zero(minutes: str, capsys) -> None:
    """A threshold that is not a positive number is a usage error naming it."""
    with pytest.raises(SystemExit) as stopped:
        cli.main(["inventory", str(APPS), "--micro-batch-threshold", minutes])

    assert stopped.value.code == 2
    assert f"{minutes!r} is not a number of minutes above 0" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("target", "refused", "remedy"),
    [
        ("a-folder", "a-folder", "give a file's path, not a folder's"),
        ("a-file/inside.json", "a-file", "a file stands where a folder is needed"),
    ],
)
def test_an_output_path_the_system_refuses_is_one_line(
    target: str, refused: str, remedy: str, tmp_path, capsys
) -> None:
    """--json into a folder, or under a file, names the path refused; no traceback."""
    (tmp_path / "a-folder").mkdir()
    (tmp_path / "a-file").write_text("not a folder\n")

    status = cli.main(["inventory", str(APPS), "--json", str(tmp_path / target)])

    error = capsys.readouterr().err
    assert status == cli.EXIT_USAGE
    assert f"cannot write or read {str(tmp_path / refused)!r}" in error
    assert remedy in error
    assert "Traceback" not in error


@pytest.mark.parametrize(
    "arguments",
    [
        ["logs", "x.log", "--db", "x.duckdb", "--log-time-zone", "Mars/Base"],
        ["samples", "--days", "0"],
        ["samples", "--seed", "-1"],
    ],
)
def test_option_values_out_of_range_are_refused_before_any_work(
    arguments: list[str], tmp_path, monkeypatch, capsys
) -> None:
    """An unknown zone, zero days or a negative seed is a usage error, no traceback."""
    monkeypatch.chdir(tmp_path)

    with pytest.raises(SystemExit) as stopped:
        cli.main(arguments)

    assert stopped.value.code == cli.EXIT_USAGE
    assert arguments[-1] in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_estimating_a_store_that_does_not_exist_creates_nothing(
    tmp_path, capsys
) -> None:
    """A mistyped --db is named; no empty database is left behind."""
    typo = tmp_path / "typo.duckdb"

    assert cli.main(["estimate", "--db", str(typo)]) == cli.EXIT_USAGE

    assert "no assessment database at" in capsys.readouterr().err
    assert not typo.exists()
