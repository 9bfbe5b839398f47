"""Runs against the schedule the inventory found: lateness, missed fires, overlaps."""

from __future__ import annotations

import pytest

from kit.portfolio import take_inventory, write_inventory
from kit.runlog import ingest_logs
from kit.store import open_store
from tests.conftest import FIXTURES

CASE = FIXTURES / "runlog-adherence"


def test_hourly_job_lateness_missed_fire_and_overlap() -> None:
    """Runs 5 s, 30 s, 0 s and 2 s late, a missing 03:00 run and one overlap."""
    con = open_store()
    write_inventory(con, take_inventory([CASE / "app"]))
    ingest_logs(con, [CASE / "mule_ee.log"])

    history = con.execute(
        "SELECT runs, lateness_p50_s, lateness_p95_s, missed_fires, overlapping_runs "
        "FROM job_history WHERE job = 'hourlyBatch'"
    ).fetchall()
    lateness = sorted(
        row[0] for row in con.execute("SELECT lateness_s FROM run_schedule").fetchall()
    )
    missed = con.execute("SELECT strftime(expected_at, '%H:%M') FROM missed_fires")

    assert lateness == [0.0, 2.0, 5.0, 30.0]
    assert history == [(4, pytest.approx(3.5), pytest.approx(26.25), 1, 1)]
    assert missed.fetchall() == [("03:00",)]


def test_runs_of_unknown_jobs_are_findings() -> None:
    """A batch job in the logs but not in the inventory gives a warning finding."""
    con = open_store()
    write_inventory(con, take_inventory([FIXTURES / "portfolio" / "m4-sources"]))
    ingest_logs(con, [CASE / "mule_ee.log"])

    findings = con.execute(
        "SELECT severity, code FROM findings WHERE stage = 'runlog'"
    ).fetchall()
    assert findings == [("warning", "job-not-in-inventory")]
