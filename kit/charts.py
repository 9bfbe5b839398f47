"""Altair chart builders for the notebooks and the report, one function per chart.

Each builder takes a DataFrame shaped by ``kit.frames`` and returns a chart;
none computes a figure of its own. ``use_offline_renderer`` makes charts show
in JupyterLab and in the rendered report with no network at all.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from typing import Any

import altair as alt
import pandas as pd

MODE_ORDER = ["batch", "micro-batch", "streaming"]
MODE_COLOURS = ["#8c6d31", "#e6a141", "#3b7dd8"]
SEVERITY_ORDER = ["error", "warning", "info"]
SEVERITY_COLOURS = ["#c0392b", "#e6a141", "#7f8c8d"]
WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
WIDTH = 560

# JupyterLab draws Vega-Lite 5 natively; the report draws the HTML embed.
_LAB_MIMETYPE = "application/vnd.vegalite.v5+json"
_LAB_SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"
# SVG rather than canvas: sharp in print, and its marks can be checked in a test.
_EMBED_OPTIONS = '{"actions": false, "renderer": "svg"}'
_chart_numbers = itertools.count(1)


def use_offline_renderer() -> None:
    """Render charts for JupyterLab and for an offline HTML page at once.

    The HTML half expects ``window.vegaEmbed``, which the report's page
    template inlines once per page (see ``kit.report``).
    """
    alt.renderers.register("kit-offline", offline_bundle)
    alt.renderers.enable("kit-offline")


def offline_bundle(spec: dict, **_options: Any) -> dict[str, Any]:
    """The display bundle of one chart: a Vega-Lite document and an HTML embed."""
    text = json.dumps(spec, sort_keys=True, separators=(",", ":"))
    digest = hashlib.sha1(text.encode("utf-8")).hexdigest()[:10]
    element = f"kit-chart-{next(_chart_numbers)}-{digest}"
    script_safe = text.replace("</", "<\\/")
    html = (
        f'<div id="{element}" class="kit-chart"></div>\n'
        '<script type="text/javascript">\n'
        f'vegaEmbed("#{element}", {script_safe}, {_EMBED_OPTIONS})'
        '.catch(function (error) { document.getElementById("'
        f'{element}").textContent = "chart failed: " + error; }});\n'
        "</script>"
    )
    return {
        _LAB_MIMETYPE: spec | {"$schema": _LAB_SCHEMA},
        "text/html": html,
        "text/plain": "<chart>",
    }


def _mode_colour() -> alt.Color:
    return alt.Color(
        "mode:N",
        title="mode",
        scale=alt.Scale(domain=MODE_ORDER, range=MODE_COLOURS),
    )


def _seconds_axis(field: str, title: str) -> alt.X:
    return alt.X(field, title=title, scale=alt.Scale(type="log"))


# Inventory -----------------------------------------------------------------


def jobs_by_app(jobs: pd.DataFrame) -> alt.Chart:
    """Stacked bars: how many jobs each app runs, by mode."""
    return (
        alt.Chart(jobs, title="Jobs by app and mode")
        .mark_bar()
        .encode(
            y=alt.Y("app:N", title=None, sort="-x"),
            x=alt.X("count():Q", title="jobs"),
            color=alt.Color(
                "mode:N",
                title="mode",
                scale=alt.Scale(
                    domain=[*MODE_ORDER, "request"], range=[*MODE_COLOURS, "#999999"]
                ),
            ),
            tooltip=["app:N", "mode:N", "count():Q"],
        )
        .properties(width=WIDTH)
    )


def schedule_heatmap(fires: pd.DataFrame) -> alt.Chart:
    """Weekday by hour of day, coloured by how many jobs fire in that hour.

    Counting jobs rather than fires keeps an every-second poll from drowning
    the nightly runs; the tooltip gives both.
    """
    return (
        alt.Chart(fires, title="When the scheduled jobs fire (reference week)")
        .mark_rect()
        .encode(
            x=alt.X("hour:O", title="hour of day"),
            y=alt.Y("weekday:N", title=None, sort=WEEKDAYS),
            color=alt.Color("jobs:Q", title="jobs firing", scale=alt.Scale(zero=True)),
            tooltip=["weekday:N", "hour:O", "fires:Q", "jobs:Q", "job_names:N"],
        )
        .properties(width=WIDTH)
    )


def calls_by_api(calls: pd.DataFrame) -> alt.Chart:
    """Bars: outbound calls by downstream API, split by how often they happen."""
    return (
        alt.Chart(calls, title="Outbound calls by downstream API")
        .mark_bar()
        .encode(
            y=alt.Y("api:N", title=None, sort="-x"),
            x=alt.X("sum(calls):Q", title="calls declared"),
            color=alt.Color("per:N", title="once per"),
            tooltip=["api:N", "per:N", "sum(calls):Q", "jobs:Q"],
        )
        .properties(width=WIDTH)
    )


def findings_by_severity(findings: pd.DataFrame) -> alt.Chart:
    """Bars: findings by code, coloured by severity."""
    return (
        alt.Chart(findings, title="Findings by code")
        .mark_bar()
        .encode(
            y=alt.Y("code:N", title=None, sort="-x"),
            x=alt.X("count():Q", title="findings"),
            color=alt.Color(
                "severity:N",
                scale=alt.Scale(domain=SEVERITY_ORDER, range=SEVERITY_COLOURS),
            ),
            tooltip=["severity:N", "code:N", "count():Q"],
        )
        .properties(width=WIDTH)
    )


# Run history ---------------------------------------------------------------


def run_durations(daily: pd.DataFrame) -> alt.Chart:
    """Lines over time: each job's median run duration a day; click a legend."""
    pick = alt.selection_point(fields=["job"], bind="legend")
    return (
        alt.Chart(daily, title="Run durations over time (median a day)")
        .mark_line(point=True)
        .encode(
            x=alt.X("day:T", title="day"),
            y=alt.Y(
                "duration_p50_s:Q",
                title="duration (s, log)",
                scale=alt.Scale(type="log"),
            ),
            color=alt.Color("job:N"),
            opacity=alt.condition(pick, alt.value(0.9), alt.value(0.08)),
            tooltip=[
                "job:N",
                "day:T",
                "runs:Q",
                "duration_p50_s:Q",
                "duration_max_s:Q",
            ],
        )
        .add_params(pick)
        .properties(width=WIDTH)
    )


def records_per_day(daily: pd.DataFrame) -> alt.Chart:
    """Lines over time: records each job moved a day."""
    return (
        alt.Chart(daily, title="Records per day")
        .mark_line()
        .encode(
            x=alt.X("day:T", title="day"),
            y=alt.Y("records:Q", title="records"),
            color=alt.Color("job:N"),
            tooltip=["job:N", "day:T", "runs:Q", "records:Q"],
        )
        .properties(width=WIDTH)
    )


def start_lateness(lateness: pd.DataFrame) -> alt.Chart:
    """Per job: lateness p5 to p95 as a line, quartiles as a bar, median as a tick."""
    base = alt.Chart(lateness, title="Start lateness against the schedule").encode(
        y=alt.Y("job:N", title=None),
        tooltip=["job:N", "runs:Q", "p50_s:Q", "p95_s:Q", "max_s:Q"],
    )
    spread = base.mark_rule().encode(
        x=alt.X("p05_s:Q", title="lateness (s)"), x2="p95_s:Q"
    )
    quartiles = base.mark_bar(size=10, color="#9ab8e8").encode(
        x="p25_s:Q", x2="p75_s:Q"
    )
    median = base.mark_tick(color="#222", size=12).encode(x="p50_s:Q")
    return alt.layer(spread, quartiles, median).properties(width=WIDTH)


def run_outcomes(outcomes: pd.DataFrame) -> alt.Chart:
    """Stacked bars per job: finished, failed and incomplete runs."""
    return (
        alt.Chart(outcomes, title="Run outcomes")
        .mark_bar()
        .encode(
            y=alt.Y("job:N", title=None),
            x=alt.X("runs:Q", title="runs", stack="normalize"),
            color=alt.Color(
                "status:N",
                scale=alt.Scale(
                    domain=["finished", "failed", "incomplete"],
                    range=["#3b7dd8", "#c0392b", "#e6a141"],
                ),
            ),
            tooltip=["job:N", "status:N", "runs:Q"],
        )
        .properties(width=WIDTH)
    )


# Latency and load ----------------------------------------------------------


def freshness_by_mode(estimates: pd.DataFrame, slo_s: float) -> alt.Chart:
    """The headline: mean freshness per job in each mode, against the objective.

    Dots on a log scale, one colour per mode; the dashed rule is the objective.
    """
    dots = (
        alt.Chart(estimates)
        .mark_circle(size=110, opacity=0.9)
        .encode(
            y=alt.Y("job:N", title=None),
            x=_seconds_axis("latency_mean_s:Q", "mean freshness latency (s, log)"),
            color=_mode_colour(),
            tooltip=[
                "job:N",
                "mode:N",
                alt.Tooltip("latency_mean_s:Q", format=",.1f", title="mean (s)"),
                alt.Tooltip("latency_worst_s:Q", format=",.1f", title="p95 or max (s)"),
                "recommended:N",
            ],
        )
    )
    objective = (
        alt.Chart(pd.DataFrame({"slo_s": [slo_s]}))
        .mark_rule(strokeDash=[4, 3], color="#333")
        .encode(x="slo_s:Q")
    )
    return alt.layer(dots, objective, title="Freshness per job and mode").properties(
        width=WIDTH
    )


def api_peak_by_mode(estimates: pd.DataFrame) -> alt.Chart:
    """Peak API calls per minute per job and mode, with each job's rate limit."""
    base = alt.Chart(estimates).encode(y=alt.Y("job:N", title=None))
    bars = base.mark_bar().encode(
        yOffset=alt.YOffset("mode:N", sort=MODE_ORDER),
        x=alt.X("peak_calls_per_min:Q", title="peak API calls per minute"),
        color=_mode_colour(),
        tooltip=[
            "job:N",
            "mode:N",
            alt.Tooltip("peak_calls_per_min:Q", format=",.0f"),
            alt.Tooltip("limit_per_min:Q", format=",.0f", title="rate limit/min"),
        ],
    )
    limits = base.mark_tick(color="#c0392b", thickness=3, size=18).encode(
        x="limit_per_min:Q"
    )
    return alt.layer(bars, limits, title="Peak API load against the rate limit")


def consumers_what_if(grid: pd.DataFrame) -> alt.Chart:
    """Streaming p95 per job for a number of consumers chosen with a slider."""
    low, high = int(grid["consumers"].min()), int(grid["consumers"].max())
    consumers = alt.param(
        name="consumers",
        value=min(max(low, 4), high),
        bind=alt.binding_range(min=low, max=high, step=1, name="consumers "),
    )
    return _p95_for_choice(
        grid,
        consumers,
        "streaming",
        "What if: streaming p95 with this many consumers",
        ["job:N", "consumers:Q", "utilisation:Q", "latency_p95_s:Q"],
    )


def interval_what_if(grid: pd.DataFrame) -> alt.Chart:
    """Micro-batch p95 per job for an interval chosen from a menu (in minutes)."""
    steps = sorted(grid["interval_min"].unique())
    interval = alt.param(
        name="interval_min",
        value=float(steps[len(steps) // 2]),
        bind=alt.binding_select(options=[float(step) for step in steps], name="min "),
    )
    return _p95_for_choice(
        grid,
        interval,
        "micro-batch",
        "What if: micro-batch p95 at this interval",
        ["job:N", "interval_min:Q", "latency_p95_s:Q", "stable:N"],
    )


def _p95_for_choice(
    grid: pd.DataFrame,
    choice: alt.Parameter,
    mode: str,
    title: str,
    tooltip: list[str],
) -> alt.Chart:
    """Dots of each job's p95 in the grid rows whose column named like the
    parameter equals its chosen value."""
    return (
        alt.Chart(grid, title=title)
        .mark_circle(size=110, color=MODE_COLOURS[MODE_ORDER.index(mode)])
        .encode(
            y=alt.Y("job:N", title=None),
            x=_seconds_axis("latency_p95_s:Q", f"{mode} p95 latency (s, log)"),
            tooltip=tooltip,
        )
        .add_params(choice)
        .transform_filter(alt.datum[choice.name] == choice)
        .properties(width=WIDTH)
    )


def cache_what_if(grid: pd.DataFrame) -> alt.Chart:
    """Cache hit ratio against TTL per job, with a slider marking one TTL."""
    ttl = alt.param(
        name="ttl_s",
        value=float(grid["ttl_s"].median()),
        bind=alt.binding_range(
            min=float(grid["ttl_s"].min()),
            max=float(grid["ttl_s"].max()),
            step=float(grid["ttl_s"].min()),
            name="cache TTL (s) ",
        ),
    )
    lines = (
        alt.Chart(grid)
        .mark_line()
        .encode(
            x=alt.X("ttl_s:Q", title="cache TTL (s)"),
            y=alt.Y("hit_ratio:Q", title="hit ratio", scale=alt.Scale(domain=[0, 1])),
            color=alt.Color("job:N"),
            tooltip=["job:N", "ttl_s:Q", "hit_ratio:Q", "api_calls_per_s:Q"],
        )
    )
    marker = (
        alt.Chart(pd.DataFrame({"marker": [0]}))
        .mark_rule(color="#333", strokeDash=[4, 3])
        .encode(x="ttl:Q")
        .transform_calculate(ttl=ttl.name)
        .add_params(ttl)
    )
    return alt.layer(lines, marker, title="What if: cache TTL").properties(width=WIDTH)


def migration_gain(summary: pd.DataFrame) -> alt.Chart:
    """Dumbbells: freshness today against freshness in the recommended mode."""
    base = alt.Chart(summary).encode(y=alt.Y("job:N", title=None, sort=None))
    line = base.mark_rule(color="#999").encode(
        x=_seconds_axis("today_s:Q", "mean freshness latency (s, log)"),
        x2="recommended_s:Q",
    )
    today = base.mark_point(filled=True, size=70, color=MODE_COLOURS[0]).encode(
        x="today_s:Q", tooltip=["job:N", "today_mode:N", "today_s:Q"]
    )
    after = base.mark_point(filled=True, size=70, color=MODE_COLOURS[2]).encode(
        x="recommended_s:Q",
        tooltip=["job:N", "recommended_mode:N", "recommended_s:Q", "reason:N"],
    )
    return alt.layer(
        line, today, after, title="Freshness today (brown) and after the move (blue)"
    ).properties(width=WIDTH)


# Simulation ----------------------------------------------------------------


def latency_cdf(cdf: pd.DataFrame) -> alt.Chart:
    """Share of records loaded within a latency, one line per mode."""
    return (
        alt.Chart(cdf, title="Simulated freshness: share of records within a latency")
        .mark_line(interpolate="step-after")
        .encode(
            x=_seconds_axis("latency_s:Q", "latency (s, log)"),
            y=alt.Y("share:Q", title="share of records", axis=alt.Axis(format="%")),
            color=_mode_colour(),
            tooltip=["mode:N", "latency_s:Q", alt.Tooltip("share:Q", format=".1%")],
        )
        .properties(width=WIDTH)
    )


def series_over_time(series: pd.DataFrame, field: str, title: str) -> alt.Chart:
    """One per-minute series of the simulation (queue depth, loads), per mode."""
    return (
        alt.Chart(series, title=title)
        .mark_line()
        .encode(
            x=alt.X("hour:Q", title="hours from the first arrival"),
            y=alt.Y(f"{field}:Q", title=title.lower()),
            color=_mode_colour(),
            tooltip=["mode:N", "hour:Q", f"{field}:Q"],
        )
        .properties(width=WIDTH, height=180)
    )


def api_calls_over_time(series: pd.DataFrame, limit_per_min: float | None) -> alt.Chart:
    """API calls per minute in each mode, with the rate limit as a rule."""
    lines = series_over_time(series, "api_calls", "API calls per minute")
    if not limit_per_min:
        return lines
    rule = (
        alt.Chart(pd.DataFrame({"limit": [limit_per_min]}))
        .mark_rule(color="#c0392b", strokeDash=[4, 3])
        .encode(y="limit:Q")
    )
    return alt.layer(lines, rule)


def estimate_against_simulation(compare: pd.DataFrame) -> alt.Chart:
    """Estimated (circle) and simulated (diamond) latency per mode and figure."""
    return (
        alt.Chart(compare, title="Estimate beside simulation")
        .mark_point(size=120, filled=True, opacity=0.85)
        .encode(
            y=alt.Y("figure:N", title=None),
            x=_seconds_axis("seconds:Q", "latency (s, log)"),
            color=_mode_colour(),
            shape=alt.Shape(
                "source:N", scale=alt.Scale(range=["circle", "diamond"]), title=None
            ),
            row=alt.Row("mode:N", sort=MODE_ORDER, title=None),
            tooltip=["mode:N", "figure:N", "source:N", "seconds:Q"],
        )
        .properties(width=WIDTH - 100, height=60)
    )


def api_load_by_api(load: pd.DataFrame) -> alt.Chart:
    """Peak calls per minute each downstream API would see, in each mode."""
    return (
        alt.Chart(load, title="Peak load per downstream API")
        .mark_bar()
        .encode(
            y=alt.Y("api:N", title=None),
            yOffset=alt.YOffset("mode:N", sort=MODE_ORDER),
            x=alt.X("peak_calls_per_min:Q", title="peak calls per minute"),
            color=_mode_colour(),
            tooltip=[
                "api:N",
                "mode:N",
                alt.Tooltip("calls_per_s:Q", format=",.2f", title="calls/s"),
                alt.Tooltip("peak_calls_per_min:Q", format=",.0f", title="peak/min"),
                "jobs:Q",
            ],
        )
        .properties(width=WIDTH)
    )


def table(frame: pd.DataFrame) -> Any:
    """A DataFrame styled for reading: no index, numbers to three figures."""
    numbers = list(frame.select_dtypes("number").columns)
    others = [column for column in frame.columns if column not in numbers]
    return (
        frame.style.hide(axis="index")
        .format(_number, subset=numbers, na_rep="–")
        .format(None, subset=others, na_rep="–")
        .set_properties(subset=others, **{"text-align": "left"})
    )


def _number(value: float) -> str:
    """Three significant figures below a thousand, whole numbers above.

    >>> _number(0.012345), _number(57.05), _number(123456.7)
    ('0.0123', '57', '123,457')
    """
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.3g}"
