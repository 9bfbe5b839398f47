"""The store creates the schema once, records its version and refuses newer files."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from kit import store
from kit.errors import StoreError
from kit.store import SCHEMA_VERSION, open_store, replace_rows, schema_version


def test_new_file_gets_every_migration(tmp_path: Path) -> None:
    """A new file ends at the kit's schema version, with the inventory tables."""
    with open_store(tmp_path / "a.duckdb") as con:
        assert schema_version(con) == SCHEMA_VERSION
        tables = {row[0] for row in con.execute("SHOW TABLES").fetchall()}
    assert {"apps", "flows", "jobs", "steps", "calls", "findings"} <= tables


def test_reopening_applies_nothing_twice(tmp_path: Path) -> None:
    """Opening an up-to-date file again keeps one version row per migration."""
    path = tmp_path / "a.duckdb"
    open_store(path).close()
    with open_store(path) as con:
        versions = con.execute("SELECT count(*) FROM kit_schema").fetchone()[0]
    assert versions == SCHEMA_VERSION


def test_newer_file_is_refused(tmp_path: Path) -> None:
    """A file written by a newer kit raises StoreError instead of being damaged."""
    path = tmp_path / "a.duckdb"
    with open_store(path) as con:
        con.execute("INSERT INTO kit_schema VALUES (?)", [SCHEMA_VERSION + 1])
    with pytest.raises(StoreError, match="newer"):
        open_store(path)


def test_replace_rows_replaces_only_matching_rows() -> None:
    """replace_rows deletes by its condition and inserts by column name."""
    con = open_store()
    replace_rows(con, "findings", [{"stage": "a", "code": "x"}, {"stage": "b"}])
    replace_rows(con, "findings", [{"stage": "a", "code": "y"}], where="stage = 'a'")
    rows = con.execute("SELECT stage, code FROM findings ORDER BY stage").fetchall()
    assert rows == [("a", "y"), ("b", None)]


# Three runs an hour apart, as (created_at, records_total).
HOURLY_RUNS = [
    ("2026-03-02 01:00", 100),
    ("2026-03-02 02:00", 200),
    ("2026-03-02 03:00", 300),
]


def _records_per_day(con, runs: list[tuple[str, int]]) -> float:
    """Store one job's runs, given as (created_at, records_total); read its rate."""
    replace_rows(
        con,
        "runs",
        [
            {
                "app": "a",
                "job": "j",
                "instance": f"r{number}",
                "created_at": datetime.fromisoformat(created_at),
                "records_total": records,
            }
            for number, (created_at, records) in enumerate(runs)
        ],
    )
    return con.execute("SELECT records_per_day FROM job_history").fetchone()[0]


@pytest.mark.parametrize(
    ("runs", "expected"),
    [
        # 600 records over 3 periods of 1 h: 200 an hour, 4,800 a day.
        (HOURLY_RUNS, 4_800.0),
        # 1,000 runs of 3 records a second apart: 3 a second, 259,200 a day.
        (
            [(f"2026-03-02 00:{n // 60:02d}:{n % 60:02d}", 3) for n in range(1_000)],
            259_200.0,
        ),
        # Two runs of 50, six hours apart: 50 every 6 h, 200 a day.
        ([("2026-03-02 00:00", 50), ("2026-03-02 06:00", 50)], 200.0),
        # One run: its records over the one day it falls in.
        ([("2026-03-02 01:00", 500)], 500.0),
        # Runs created at the same instant: their records over that day.
        ([("2026-03-02 01:00", 100), ("2026-03-02 01:00", 300)], 400.0),
    ],
)
def test_records_per_day_follow_the_spacing_of_the_runs(
    runs: list[tuple[str, int]], expected: float
) -> None:
    """n runs T seconds apart in all move sum x 86400 x (n - 1) / (n x T) a day."""
    con = open_store()

    assert _records_per_day(con, runs) == pytest.approx(expected, rel=1e-12)


def test_an_older_file_gets_the_new_records_per_day(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file made before the rate migration reads 600 a day, then 4,800 once opened."""
    path = tmp_path / "a.duckdb"
    older = store.MIGRATIONS.index(store.JOB_HISTORY_RATE_VIEW)
    monkeypatch.setattr(store, "SCHEMA_VERSION", older)
    with open_store(path) as con:
        before = _records_per_day(con, HOURLY_RUNS)
    monkeypatch.undo()

    with open_store(path) as con:
        after = con.execute("SELECT records_per_day FROM job_history").fetchone()[0]
        version = schema_version(con)

    assert (before, after, version) == (600.0, 4_800.0, SCHEMA_VERSION)


def test_a_database_of_something_else_is_refused_and_left_alone(
    tmp_path: Path,
) -> None:
    """A DuckDB file with its own tables and no kit_schema is not migrated."""
    import duckdb

    path = tmp_path / "theirs.duckdb"
    with duckdb.connect(str(path)) as theirs:
        theirs.execute("CREATE TABLE runs (id INTEGER)")

    with pytest.raises(StoreError, match="the kit did not write"):
        open_store(path)

    with duckdb.connect(str(path)) as theirs:
        tables = [row[0] for row in theirs.execute("SHOW TABLES").fetchall()]
    assert tables == ["runs"]


def test_a_file_that_is_not_a_database_is_named_with_its_remedy(
    tmp_path: Path,
) -> None:
    """A text file given as --db says so and suggests a new file, not a lock."""
    path = tmp_path / "notes.duckdb"
    path.write_text("hello\n")

    with pytest.raises(StoreError) as refused:
        open_store(path)

    assert str(path) in str(refused.value)
    assert "new file name" in str(refused.value)
    assert "another process" not in str(refused.value)
