"""Migration order: staleness removed a day, moves before keeps, one-line reasons."""

from __future__ import annotations

import pandas as pd

from kit.plan import migration_order
from kit.plan.order import headline, headline_text


def _picks(**columns) -> pd.DataFrame:
    base = {
        "app": ["a", "a", "a"],
        "job": ["nightly", "hourly", "ticker"],
        "today_mode": ["batch", "batch", "micro-batch"],
        "today_s": [43200.0, 1800.0, 150.0],
        "recommended_mode": ["streaming", "micro-batch", "batch"],
        "recommended_s": [0.5, 150.0, 150.0],
        "reason": ["r1", "r2", "r3"],
    }
    base.update(columns)
    frame = pd.DataFrame(base)
    frame["gain_s"] = frame["today_s"] - frame["recommended_s"]
    return frame


HISTORY = pd.DataFrame(
    {"job": ["nightly", "hourly"], "records_per_day": [100.0, 9000.0]}
)


def test_record_hours_saved_are_gain_times_daily_records() -> None:
    """nightly saves 43199.5 s × 100 / 3600, hourly 1650 s × 9000 / 3600 a day."""
    order = migration_order(_picks(), HISTORY).set_index("job")

    assert order.loc["nightly", "record_hours_saved_per_day"] == 43199.5 * 100 / 3600
    assert order.loc["hourly", "record_hours_saved_per_day"] == 1650 * 9000 / 3600


def test_more_staleness_removed_ranks_first() -> None:
    """hourly (4,125 record-hours a day) outranks nightly (about 1,200)."""
    order = migration_order(_picks(), HISTORY)

    assert order["job"].tolist()[:2] == ["hourly", "nightly"]
    assert order["rank"].tolist() == [1, 2, 3]


def test_a_cheaper_mode_that_also_meets_the_objective_is_no_move() -> None:
    """A micro-batch recommended to run as a batch is kept, last, with its reason."""
    order = migration_order(_picks(), HISTORY)
    ticker = order[order["job"] == "ticker"].iloc[0]

    assert not ticker["moves"]
    assert ticker["rank"] == 3
    assert ticker["why"] == "keep micro-batch: r3"


def test_a_job_without_history_says_so() -> None:
    """With no records a day known, the job saves nothing measurable and says why."""
    order = migration_order(_picks(), HISTORY.iloc[:1])
    hourly = order[order["job"] == "hourly"].iloc[0]

    assert hourly["record_hours_saved_per_day"] == 0
    assert hourly["why"].endswith("no run history")


def test_headline_counts_the_moves_and_medians() -> None:
    """Two moves: medians of 43200 and 1800 today, 0.5 and 150 after."""
    jobs = pd.DataFrame(
        {"app": ["a"] * 4, "mode": ["batch", "batch", "micro-batch", "streaming"]}
    )
    figures = headline(jobs, migration_order(_picks(), HISTORY))

    assert figures["jobs"] == 4 and figures["scheduled_jobs"] == 3
    assert (figures["jobs_to_move"], figures["to_streaming"]) == (2, 1)
    assert figures["median_latency_today_s"] == (43200 + 1800) / 2
    assert figures["median_latency_after_s"] == (0.5 + 150) / 2
    assert figures["first_to_move"] == "hourly"
    assert "Move **hourly** first." in headline_text(figures)


def test_headline_with_nothing_to_move_says_so() -> None:
    """When every job keeps its mode the text says none gains."""
    picks = _picks(recommended_mode=["batch", "batch", "micro-batch"])
    jobs = pd.DataFrame({"app": ["a"], "mode": ["batch"]})

    text = headline_text(headline(jobs, migration_order(picks, HISTORY)))

    assert "none of its scheduled jobs gains" in text


def test_the_action_says_move_or_keep_in_words() -> None:
    """A kept micro-batch reads 'keep micro-batch', never its cheaper 'batch'."""
    order = migration_order(_picks(), HISTORY).set_index("job")

    assert order["action"].to_dict() == {
        "hourly": "move to micro-batch",
        "nightly": "move to streaming",
        "ticker": "keep micro-batch",
    }
