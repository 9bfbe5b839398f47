"""Golden cases: each fixture folder's inventory JSON against its reviewed answer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kit.portfolio import take_inventory
from tests.conftest import FIXTURES

CASES = sorted(path for path in (FIXTURES / "portfolio").iterdir() if path.is_dir())


@pytest.mark.parametrize("case", CASES, ids=lambda path: path.name)
def test_inventory_matches_expected(case: Path, update_golden: bool) -> None:
    """The inventory of a fixture portfolio equals the expected JSON beside it."""
    actual = take_inventory([case / "input"]).to_json()
    expected_path = case / "expected.json"
    if update_golden or not expected_path.exists():
        expected_path.write_text(json.dumps(actual, indent=2) + "\n")
        pytest.skip("expected output written; review it before committing")
    assert actual == json.loads(expected_path.read_text())


@pytest.mark.parametrize("case", CASES, ids=lambda path: path.name)
def test_every_case_has_a_one_line_title(case: Path) -> None:
    """Every golden case says in one line what it covers."""
    lines = (case / "title.txt").read_text().strip().splitlines()
    assert len(lines) == 1 and lines[0]
