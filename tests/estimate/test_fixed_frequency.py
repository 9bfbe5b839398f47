"""Fixed-frequency schedules: the nearest Quartz cron and the exact fire times."""

from __future__ import annotations

import pytest

from kit.estimate.fixed_frequency import fixed_frequency_timetable, nearest_cron
from kit.schedule import check_cron

SECOND = 1000
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE
DAY = 24 * HOUR


@pytest.mark.parametrize(
    ("frequency_ms", "cron", "period_s", "exact"),
    [
        (5 * MINUTE, "0 0/5 * * * ?", 300.0, True),
        (HOUR, "0 0 0/1 * * ?", 3600.0, True),
        (SECOND, "0/1 * * * * ?", 1.0, True),
        (DAY, "0 0 0 1/1 * ?", 86400.0, True),
        (90 * SECOND, "0 0/2 * * * ?", 120.0, False),
        (90 * MINUTE, "0 0 0/2 * * ?", 7200.0, False),
        (36 * HOUR, "0 0 0 1/2 * ?", 172800.0, False),
        (45 * MINUTE, "0 0 0/1 * * ?", 3600.0, False),
        (1500, "0/2 * * * * ?", 2.0, False),
    ],
)
def test_nearest_cron(
    frequency_ms: int, cron: str, period_s: float, exact: bool
) -> None:
    """Periods dividing a minute, an hour or a day are exact; others round by ratio."""
    nearest = nearest_cron(frequency_ms)

    assert (nearest.cron, nearest.period_s, nearest.exact) == (cron, period_s, exact)
    check_cron(nearest.cron)


def test_ninety_seconds_fire_960_times_a_day() -> None:
    """Every 90 s from midnight is 960 evenly spaced fires in a one-day window."""
    fires, window_s = fixed_frequency_timetable(90 * SECOND)

    assert window_s == 86400.0
    assert len(fires) == 960
    assert fires[:3] == [0.0, 90.0, 180.0] and fires[-1] == 86310.0


def test_ninety_minutes_fire_16_times_a_day() -> None:
    """Every 90 minutes is 16 fires a day, 5400 s apart."""
    fires, window_s = fixed_frequency_timetable(90 * MINUTE)

    assert window_s == 86400.0
    assert fires == [5400.0 * k for k in range(16)]


def test_thirty_six_hours_repeat_every_three_days() -> None:
    """Every 36 h fires twice in three days, the first whole-day multiple of it."""
    assert fixed_frequency_timetable(36 * HOUR) == ([0.0, 129600.0], 259200.0)


@pytest.mark.parametrize(("frequency_ms", "fires"), [(5 * MINUTE, 288), (HOUR, 24)])
def test_exact_crons_have_the_same_fires(frequency_ms: int, fires: int) -> None:
    """Five minutes and an hour give their daily fires at whole multiples."""
    offsets, window_s = fixed_frequency_timetable(frequency_ms)

    assert window_s == 86400.0
    assert offsets == [frequency_ms / 1000 * k for k in range(fires)]


@pytest.mark.parametrize("frequency_ms", [DAY - 1, 10])
def test_no_timetable_when_too_long_or_too_many_fires(frequency_ms: int) -> None:
    """A window past 366 days or over a million fires is refused with None."""
    assert fixed_frequency_timetable(frequency_ms) is None
