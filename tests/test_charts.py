"""Chart builders: what each draws, read from its Vega-Lite document."""

from __future__ import annotations

import json

import altair as alt
import pandas as pd
import pytest

from kit import charts


def _spec(chart: alt.TopLevelMixin) -> dict:
    return chart.to_dict()


def _rows(spec: dict) -> list[dict]:
    """The inline rows of a chart's first dataset."""
    return next(iter(spec["datasets"].values()))


def _estimates() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "job": ["orders"] * 3,
            "mode": ["batch", "micro-batch", "streaming"],
            "latency_mean_s": [43200.0, 150.0, 0.4],
            "latency_worst_s": [86400.0, 290.0, 1.1],
            "recommended": [False, False, True],
            "peak_calls_per_min": [4000.0, 300.0, 90.0],
            "limit_per_min": [1200.0] * 3,
        }
    )


def test_jobs_by_app_counts_jobs_per_app_coloured_by_mode() -> None:
    """Bars count rows per app, one colour per mode."""
    jobs = pd.DataFrame(
        {"app": ["a", "a", "b"], "mode": ["batch", "streaming", "batch"]}
    )

    spec = _spec(charts.jobs_by_app(jobs))

    assert spec["mark"]["type"] == "bar"
    assert spec["encoding"]["x"]["aggregate"] == "count"
    assert spec["encoding"]["color"]["field"] == "mode"
    assert len(_rows(spec)) == 3


def test_schedule_heatmap_orders_weekdays_from_monday() -> None:
    """Weekdays run Monday to Sunday, hours are ordinal, colour counts the jobs."""
    fires = pd.DataFrame(
        {
            "weekday": ["Mon"],
            "hour": [2],
            "fires": [1.0],
            "jobs": [1],
            "job_names": ["x"],
        }
    )

    spec = _spec(charts.schedule_heatmap(fires))

    assert spec["mark"]["type"] == "rect"
    assert spec["encoding"]["y"]["sort"] == charts.WEEKDAYS
    assert spec["encoding"]["x"]["type"] == "ordinal"
    assert spec["encoding"]["color"]["field"] == "jobs"


def test_freshness_is_on_a_log_scale_with_the_objective_drawn() -> None:
    """The headline plots mean latency per mode on a log axis and a rule at the SLO."""
    spec = _spec(charts.freshness_by_mode(_estimates(), slo_s=60.0))

    dots, objective = spec["layer"]
    assert dots["encoding"]["x"]["scale"]["type"] == "log"
    assert dots["encoding"]["color"]["scale"]["domain"] == charts.MODE_ORDER
    assert objective["mark"]["type"] == "rule"
    assert {"slo_s": 60.0} in spec["datasets"][objective["data"]["name"]]


def test_api_peak_marks_the_rate_limit() -> None:
    """Peak calls per minute are bars; the rate limit per minute is a tick."""
    spec = _spec(charts.api_peak_by_mode(_estimates()))

    bars, limits = spec["layer"]
    assert bars["encoding"]["x"]["field"] == "peak_calls_per_min"
    assert limits["mark"]["type"] == "tick"
    assert limits["encoding"]["x"]["field"] == "limit_per_min"


def test_consumers_what_if_has_a_slider_filtering_the_grid() -> None:
    """A range slider over the grid's consumers picks the rows drawn."""
    grid = pd.DataFrame(
        {
            "job": ["orders"] * 3,
            "consumers": [1, 2, 3],
            "utilisation": [0.9, 0.45, 0.3],
            "latency_p95_s": [30.0, 2.0, 1.5],
        }
    )

    spec = _spec(charts.consumers_what_if(grid))

    [parameter] = spec["params"]
    assert parameter["bind"]["input"] == "range"
    assert (parameter["bind"]["min"], parameter["bind"]["max"]) == (1, 3)
    assert spec["transform"] == [{"filter": "(datum['consumers'] === consumers)"}]


def test_interval_what_if_offers_each_interval_of_the_grid() -> None:
    """The interval menu lists exactly the grid's intervals and picks rows by it."""
    grid = pd.DataFrame(
        {
            "job": ["orders"] * 2,
            "interval_min": [1.0, 5.0],
            "latency_p95_s": [70.0, 330.0],
            "stable": [True, True],
        }
    )

    spec = _spec(charts.interval_what_if(grid))

    assert spec["params"][0]["bind"]["options"] == [1.0, 5.0]
    assert spec["transform"] == [{"filter": "(datum['interval_min'] === interval_min)"}]


def test_cache_what_if_moves_a_rule_with_the_ttl_slider() -> None:
    """The TTL slider drives the x of a rule layered over the hit-ratio lines."""
    grid = pd.DataFrame(
        {
            "job": ["orders"] * 2,
            "ttl_s": [60.0, 120.0],
            "hit_ratio": [0.3, 0.4],
            "api_calls_per_s": [7.0, 6.0],
        }
    )

    spec = _spec(charts.cache_what_if(grid))

    lines, marker = spec["layer"]
    assert lines["mark"]["type"] == "line"
    assert spec["params"][0]["name"] == "ttl_s"
    assert spec["params"][0]["bind"]["input"] == "range"
    assert marker["transform"] == [{"calculate": "ttl_s", "as": "ttl"}]


def test_latency_cdf_steps_per_mode() -> None:
    """The distribution is a step line per mode with shares as percentages."""
    cdf = pd.DataFrame(
        {"mode": ["streaming"] * 2, "share": [0.5, 1.0], "latency_s": [0.2, 1.0]}
    )

    spec = _spec(charts.latency_cdf(cdf))

    assert spec["mark"]["interpolate"] == "step-after"
    assert spec["encoding"]["y"]["axis"]["format"] == "%"


def test_api_calls_over_time_draws_the_limit_only_when_there_is_one() -> None:
    """A rule at the limit is layered on the series; with no limit, none."""
    series = pd.DataFrame({"mode": ["streaming"], "hour": [0.0], "api_calls": [5]})

    with_limit = _spec(charts.api_calls_over_time(series, 1200.0))
    without = _spec(charts.api_calls_over_time(series, None))

    assert with_limit["layer"][1]["mark"]["type"] == "rule"
    assert "layer" not in without


@pytest.mark.parametrize("minutes", [0.5, 15.0])
def test_offline_bundle_serves_jupyterlab_and_the_report(minutes: float) -> None:
    """One bundle holds a Vega-Lite 5 document and an HTML embed of the same spec."""
    spec = _spec(
        charts.interval_what_if(
            pd.DataFrame(
                {
                    "job": ["x"],
                    "interval_min": [minutes],
                    "latency_p95_s": [1.0],
                    "stable": [True],
                }
            )
        )
    )

    bundle = charts.offline_bundle(spec)

    lab = bundle["application/vnd.vegalite.v5+json"]
    assert lab["$schema"].endswith("/v5.json")
    assert lab["params"] == spec["params"]
    assert 'vegaEmbed("#kit-chart-' in bundle["text/html"]
    assert (
        json.dumps(spec["params"], sort_keys=True, separators=(",", ":"))
        in (bundle["text/html"])
    )


def test_offline_bundle_cannot_close_its_script_early() -> None:
    """A '</script>' inside the data is escaped so the page's script stays whole."""
    spec = _spec(
        charts.jobs_by_app(pd.DataFrame({"app": ["</script>"], "mode": ["x"]}))
    )

    html = charts.offline_bundle(spec)["text/html"]

    assert html.count("</script>") == 1


def test_table_formats_numbers_to_three_figures() -> None:
    """Small numbers keep three significant figures, large ones none, NaN a dash."""
    frame = pd.DataFrame({"job": ["a", None], "seconds": [0.012345, float("nan")]})

    text = charts.table(frame).to_html()

    assert "0.0123" in text
    assert text.count(">–<") == 2 and "nan" not in text and "None" not in text
