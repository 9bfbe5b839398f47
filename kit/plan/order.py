"""Rank jobs for migration by the staleness a move removes each day.

A job that moves from its mode today to the recommended one saves its
freshness gain on every record: gain (s) × records a day / 3600 is the
record-hours of staleness removed a day. Jobs to move come first, most saved
first; jobs to keep as they are come last.
"""

from __future__ import annotations

import pandas as pd

from kit.estimate.recommend import format_duration

HOUR_S = 3600.0
# A move is to a mode further along; a cheaper mode that also meets the
# objective (a micro-batch that could run as a batch) is no migration.
_FRESHNESS_RANK = {"batch": 0, "micro-batch": 1, "streaming": 2}


def migration_order(
    recommendations: pd.DataFrame, history: pd.DataFrame
) -> pd.DataFrame:
    """Order jobs for migration, with the record-hours saved a day and a reason.

    ``action`` says what to do in words: ``move to streaming``, or ``keep
    micro-batch`` for a job whose cheapest qualifying mode is no move (a
    micro-batch that could run as a batch stays as it is).

    ``recommendations`` is ``kit.frames.recommendations``; ``history`` holds
    ``job`` and ``records_per_day`` (``kit.frames.job_history``). Jobs without
    history count as saving nothing measurable and are ordered by their gain.

    >>> picks = pd.DataFrame({
    ...     "app": ["a", "a"], "job": ["x", "y"], "today_mode": ["batch"] * 2,
    ...     "today_s": [43200.0, 3600.0], "recommended_mode": ["streaming"] * 2,
    ...     "recommended_s": [1.0, 1.0], "gain_s": [43199.0, 3599.0],
    ...     "reason": ["", ""]})
    >>> history = pd.DataFrame({"job": ["x", "y"], "records_per_day": [10.0, 1e4]})
    >>> migration_order(picks, history)["job"].tolist()
    ['y', 'x']
    """
    volume = history[["job", "records_per_day"]].drop_duplicates("job")
    ranked = recommendations.merge(volume, on="job", how="left")
    ranked["moves"] = [
        _FRESHNESS_RANK.get(after, 0) > _FRESHNESS_RANK.get(today, 0)
        for today, after in zip(
            ranked["today_mode"], ranked["recommended_mode"], strict=True
        )
    ]
    ranked["record_hours_saved_per_day"] = (
        ranked["gain_s"].clip(lower=0) * ranked["records_per_day"].fillna(0) / HOUR_S
    ).where(ranked["moves"], 0.0)
    ranked = ranked.sort_values(
        ["moves", "record_hours_saved_per_day", "gain_s", "job"],
        ascending=[False, False, False, True],
        kind="stable",
    ).reset_index(drop=True)
    ranked.insert(0, "rank", range(1, len(ranked) + 1))
    ranked["action"] = [
        f"move to {row.recommended_mode}" if row.moves else f"keep {row.today_mode}"
        for row in ranked.itertuples()
    ]
    ranked["why"] = [_why(row) for row in ranked.itertuples()]
    return ranked


def _why(row) -> str:
    """One line: from what to what, for how many records a day."""
    if not row.moves:
        return f"keep {row.today_mode}: {row.reason}"
    volume = (
        f"{row.records_per_day:,.0f} records a day"
        if pd.notna(row.records_per_day)
        else "no run history"
    )
    return (
        f"{row.today_mode} {_duration(row.today_s)} to {row.recommended_mode} "
        f"{_duration(row.recommended_s)}, {volume}"
    )


def _duration(seconds: float) -> str:
    return "unbounded" if pd.isna(seconds) else format_duration(float(seconds))


def headline(jobs: pd.DataFrame, order: pd.DataFrame) -> dict[str, float | int | str]:
    """The portfolio's key figures for a decision maker.

    ``jobs`` is ``kit.frames.jobs_frame``; ``order`` is ``migration_order``.
    Median freshness compares today's mode with the recommended one over the
    jobs that should move.
    """
    moving = order[order["moves"]]
    today = float(moving["today_s"].median()) if len(moving) else float("nan")
    after = float(moving["recommended_s"].median()) if len(moving) else float("nan")
    return {
        "apps": int(jobs["app"].nunique()),
        "jobs": len(jobs),
        "scheduled_jobs": int(jobs["mode"].isin(["batch", "micro-batch"]).sum()),
        "jobs_to_move": len(moving),
        "to_streaming": int((moving["recommended_mode"] == "streaming").sum()),
        "to_micro_batch": int((moving["recommended_mode"] == "micro-batch").sum()),
        "median_latency_today_s": today,
        "median_latency_after_s": after,
        "first_to_move": str(moving["job"].iloc[0]) if len(moving) else "",
        "record_hours_saved_per_day": float(moving["record_hours_saved_per_day"].sum()),
    }


def headline_text(figures: dict[str, float | int | str]) -> str:
    """The headline figures as a short Markdown paragraph."""
    if not figures["jobs_to_move"]:
        return (
            f"The portfolio runs {figures['jobs']} jobs in {figures['apps']} apps; "
            "none of its scheduled jobs gains from a move at the objective set."
        )
    return (
        f"The portfolio runs **{figures['jobs']} jobs** in {figures['apps']} apps, "
        f"{figures['scheduled_jobs']} of them on a schedule. "
        f"**{figures['jobs_to_move']}** should move "
        f"({figures['to_streaming']} to streaming, "
        f"{figures['to_micro_batch']} to micro-batch): their median freshness "
        f"goes from **{_duration(figures['median_latency_today_s'])}** to "
        f"**{_duration(figures['median_latency_after_s'])}**, removing "
        f"{figures['record_hours_saved_per_day']:,.0f} record-hours of staleness "
        f"a day. Move **{figures['first_to_move']}** first."
    )
