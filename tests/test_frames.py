"""The notebooks' DataFrames, read from the sample portfolio's assessment."""

from __future__ import annotations

import duckdb
import pytest

from kit import frames

pytestmark = pytest.mark.xdist_group("report")


@pytest.fixture(scope="module")
def store(sample_report):
    con = frames.open_assessment(sample_report.database)
    yield con
    con.close()


def test_open_assessment_says_how_to_make_one(tmp_path) -> None:
    """A missing database is an error that says to run make demo or kit report."""
    with pytest.raises(ValueError, match="run 'make demo' or 'kit report'"):
        frames.open_assessment(tmp_path / "none.duckdb")


def test_open_assessment_is_read_only(store) -> None:
    """The notebooks cannot change the assessment."""
    with pytest.raises(duckdb.Error):
        store.execute("DELETE FROM jobs")


def test_job_filter_quotes_names() -> None:
    """A quote inside a job name cannot end the SQL string."""
    assert frames.job_filter(["o'brien"]) == (
        "list_has_any([flow, batch_job], ['o''brien'])"
    )


def test_jobs_filter_by_flow_or_batch_job(store) -> None:
    """Naming a batch job or a flow keeps exactly that job."""
    by_batch = frames.jobs_frame(store, ["ordersNightlyBatch"])
    by_flow = frames.jobs_frame(store, ["orders-nightly-batch-flow"])

    assert by_batch["job"].tolist() == by_flow["job"].tolist() == ["ordersNightlyBatch"]


def test_nightly_cron_fires_at_seven_utc_every_day(store) -> None:
    """02:00 in New York is 07:00 UTC in January: once a day, all seven days."""
    fires = frames.schedule_fires(store, ["ordersNightlyBatch"])

    assert fires[["weekday", "hour", "fires"]].values.tolist() == [
        [day, 7, 1.0] for day in frames.WEEKDAYS
    ]


def test_heatmap_fires_add_up_to_the_periods(store) -> None:
    """A week of fires per job is 604,800 s over its period, for exact schedules."""
    jobs = frames.jobs_frame(store)
    hourly = jobs[jobs["period_s"] == 3600.0]["job"].tolist()

    fires = frames.schedule_fires(store, hourly)

    assert fires["fires"].sum() == 168 * len(hourly) > 0


def test_api_load_shares_each_jobs_calls_among_its_apis(store) -> None:
    """Per mode, the APIs' calls per second add up to the jobs' estimated calls."""
    load = frames.api_load(store).groupby("mode")["calls_per_s"].sum()
    estimated = store.execute(
        """
        SELECT mode, sum(api_calls_per_s) FROM estimates
        WHERE (app, scenario) IN (SELECT app, coalesce(batch_job, flow) FROM calls
                                  WHERE per = 'record')
        GROUP BY mode
        """
    ).fetchall()

    for mode, total in estimated:
        assert load[mode] == pytest.approx(total, rel=1e-9)


def test_recommendations_give_one_row_per_estimated_job(store) -> None:
    """Thirteen jobs, each with today's and the recommended latency."""
    picks = frames.recommendations(store)

    assert len(picks) == picks["job"].nunique() == 13
    assert picks["recommended_s"].notna().all()


def test_latency_cdf_is_monotone_and_ends_at_the_maximum(store) -> None:
    """Shares step to 1; latency never falls; the last point is the slowest record."""
    name = frames.simulated_jobs(store)[0]

    cdf = frames.latency_cdf(store, name)
    runs = frames.simulation_runs(store, name).set_index("mode")

    for mode, points in cdf.groupby("mode"):
        assert points["share"].iloc[-1] == 1.0
        assert points["latency_s"].is_monotonic_increasing
        assert points["latency_s"].iloc[-1] == pytest.approx(
            max(runs.loc[mode, "latency_max_s"], 1e-3)
        )


def test_series_keep_about_a_thousand_points_and_the_peak(store) -> None:
    """Bucketed series stay short and keep the busiest minute of API calls."""
    name = frames.simulated_jobs(store)[0]

    series = frames.simulation_series(store, name)
    peaks = store.execute(
        "SELECT mode, max(api_calls) FROM sim_series WHERE scenario = ? GROUP BY mode",
        [name],
    ).fetchall()

    assert series.groupby("mode").size().max() <= 1001
    for mode, peak in peaks:
        assert series[series["mode"] == mode]["api_calls"].max() == peak


def test_estimate_against_simulation_pairs_each_figure(store) -> None:
    """Each mode has mean and p95 (max for batch) from both sources."""
    compare = frames.estimate_against_simulation(store, frames.simulated_jobs(store)[0])

    assert len(compare) == 12
    assert set(compare[compare["mode"] == "batch"]["figure"]) == {"mean", "max"}
