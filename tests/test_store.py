"""The store creates the schema once, records its version and refuses newer files."""

from __future__ import annotations

from pathlib import Path

import pytest

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
