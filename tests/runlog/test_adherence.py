"""Runs against the schedule the inventory found: lateness, missed fires, overlaps."""

from __future__ import annotations

import pytest

from kit.portfolio import take_inventory, write_inventory
from kit.runlog import ingest_logs
from kit.runlog.adherence import MAX_FIRES_COMPARED
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


def _flows_store():
    """A store with the flows-only app's inventory and its CSV run history."""
    con = open_store()
    write_inventory(con, take_inventory([CASE / "flows"]))
    ingest_logs(con, [CASE / "flows-history.csv"])
    return con


def test_job_without_batch_job_is_matched_by_its_flow_name() -> None:
    """Runs named after a flow get lateness 5 s, 30 s and 0 s and the missed 03:00."""
    con = _flows_store()

    history = con.execute(
        "SELECT runs, lateness_p50_s, missed_fires FROM job_history "
        "WHERE job = 'hourly-flow'"
    ).fetchall()
    lateness = con.execute(
        "SELECT instance, lateness_s FROM run_schedule "
        "WHERE job = 'hourly-flow' ORDER BY instance"
    ).fetchall()
    missed = con.execute(
        "SELECT job, strftime(expected_at, '%H:%M') FROM missed_fires "
        "WHERE job = 'hourly-flow'"
    ).fetchall()
    unknown = con.execute(
        "SELECT count(*) FROM findings WHERE code = 'job-not-in-inventory'"
    ).fetchone()[0]

    assert history == [(3, pytest.approx(5.0), 1)]
    assert lateness == [("h1", 5.0), ("h2", 30.0), ("h4", 0.0)]
    assert missed == [("hourly-flow", "03:00")]
    assert unknown == 0


def test_fixed_frequency_runs_are_late_from_their_earliest_offset() -> None:
    """Runs 0.5, 0.1, 0.9 and 0.3 s past their minute are 0.4, 0, 0.8 and 0.2 s late."""
    # The schedule's phase is unknown, so the run earliest past its fire (f2,
    # at 00:05:00.100) is taken as on time; the fire at 00:15:00.100 has no run.
    con = _flows_store()

    lateness = con.execute(
        "SELECT instance, lateness_s FROM run_schedule "
        "WHERE job = 'five-minute-flow' ORDER BY instance"
    ).fetchall()
    missed = con.execute(
        "SELECT strftime(expected_at, '%H:%M:%S.%g') FROM missed_fires "
        "WHERE job = 'five-minute-flow'"
    ).fetchall()

    assert lateness == [
        ("f1", pytest.approx(0.4)),
        ("f2", pytest.approx(0.0)),
        ("f3", pytest.approx(0.8)),
        ("f5", pytest.approx(0.2)),
    ]
    assert missed == [("00:15:00.100",)]


def test_job_firing_too_often_is_not_compared_fire_by_fire() -> None:
    """A 1-second job seen over three days (259,201 fires) gets an info finding."""
    con = _flows_store()

    compared = con.execute(
        "SELECT count(*) FROM run_schedule WHERE job = 'every-second-flow'"
    ).fetchone()[0]
    findings = con.execute(
        "SELECT severity, code, app, message FROM findings WHERE stage = 'runlog'"
    ).fetchall()

    assert MAX_FIRES_COMPARED == 200_000
    assert compared == 0
    [(severity, code, app, message)] = findings
    assert (severity, code, app) == ("info", "adherence-not-computed", "flows")
    assert "'every-second-flow'" in message and "259,201" in message
