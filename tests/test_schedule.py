"""Tests for kit.schedule: Quartz cron and fixed-frequency fire times.

Expected fire times were worked out by hand from a calendar of 2026 to 2028,
not by running the code.
"""

from __future__ import annotations

import itertools
import math
import time
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from croniter import croniter
from hypothesis import given, settings
from hypothesis import strategies as st

from kit.errors import InputError
from kit.schedule import (
    PERIOD_WINDOW_DAYS,
    PERIOD_WINDOW_START,
    Schedule,
    check_cron,
    describe,
    fire_times,
    iter_fire_times,
    period_seconds,
    to_milliseconds,
    zone_or_utc,
)

UTC = timezone.utc
FAR_END = datetime(2040, 1, 1, tzinfo=UTC)
NEW_YEAR_2026 = datetime(2026, 1, 1, tzinfo=UTC)


def cron(expression: str, zone: str = "UTC") -> Schedule:
    """Build a cron schedule in ``zone``."""
    return Schedule("cron", cron=expression, time_zone=zone)


def iso(times: list[datetime]) -> list[str]:
    """Render fire times as ISO strings, so offsets are compared too."""
    return [moment.isoformat() for moment in times]


# (expression, zone, start, expected fire times as ISO strings with offsets)
QUARTZ_CASES = [
    pytest.param(
        "0 0 2 ? * 2#1",
        "UTC",
        NEW_YEAR_2026,
        [
            "2026-01-05T02:00:00+00:00",
            "2026-02-02T02:00:00+00:00",
            "2026-03-02T02:00:00+00:00",
        ],
        id="first-monday",
    ),
    pytest.param(
        "0 0 12 LW * ?",
        "UTC",
        NEW_YEAR_2026,
        [
            "2026-01-30T12:00:00+00:00",
            "2026-02-27T12:00:00+00:00",
            "2026-03-31T12:00:00+00:00",
        ],
        id="last-weekday-saturday-ends",
    ),
    pytest.param(
        "0 0 12 LW * ?",
        "UTC",
        datetime(2026, 5, 1, tzinfo=UTC),
        ["2026-05-29T12:00:00+00:00", "2026-06-30T12:00:00+00:00"],
        id="last-weekday-sunday-end",
    ),
    pytest.param(
        "0 0 9 15W * ?",
        "UTC",
        datetime(2026, 8, 1, tzinfo=UTC),
        ["2026-08-14T09:00:00+00:00", "2026-09-15T09:00:00+00:00"],
        id="nearest-weekday-15th-saturday",
    ),
    pytest.param(
        "0 0 9 15W * ?",
        "UTC",
        datetime(2026, 2, 1, tzinfo=UTC),
        ["2026-02-16T09:00:00+00:00", "2026-03-16T09:00:00+00:00"],
        id="nearest-weekday-15th-sunday",
    ),
    pytest.param(
        "0 0 9 1W * ?",
        "UTC",
        datetime(2026, 8, 1, tzinfo=UTC),
        ["2026-08-03T09:00:00+00:00", "2026-09-01T09:00:00+00:00"],
        id="nearest-weekday-stays-in-month-at-start",
    ),
    pytest.param(
        "0 0 9 31W * ?",
        "UTC",
        datetime(2026, 5, 1, tzinfo=UTC),
        ["2026-05-29T09:00:00+00:00", "2026-07-31T09:00:00+00:00"],
        id="nearest-weekday-stays-in-month-at-end",
    ),
    pytest.param(
        "0 15 10 ? * 6L",
        "UTC",
        NEW_YEAR_2026,
        [
            "2026-01-30T10:15:00+00:00",
            "2026-02-27T10:15:00+00:00",
            "2026-03-27T10:15:00+00:00",
        ],
        id="last-friday",
    ),
    pytest.param(
        "0 0/5 14 * * ?",
        "UTC",
        NEW_YEAR_2026,
        [f"2026-01-01T14:{minute:02d}:00+00:00" for minute in range(0, 60, 5)]
        + ["2026-01-02T14:00:00+00:00"],
        id="every-5-minutes-in-hour-14",
    ),
    pytest.param(
        "0 0 2 * * ?",
        "Europe/Paris",
        NEW_YEAR_2026,
        ["2026-01-01T02:00:00+01:00", "2026-01-02T02:00:00+01:00"],
        id="paris-winter",
    ),
    pytest.param(
        "0 0 2 * * ?",
        "Europe/Paris",
        datetime(2026, 6, 30, 12, tzinfo=UTC),
        ["2026-07-01T02:00:00+02:00", "2026-07-02T02:00:00+02:00"],
        id="paris-summer",
    ),
    pytest.param(
        "0 0 0 1 1 ? 2027",
        "UTC",
        NEW_YEAR_2026,
        ["2027-01-01T00:00:00+00:00"],
        id="one-year-only",
    ),
    pytest.param(
        "0 0 12 ? * MON-FRI",
        "UTC",
        NEW_YEAR_2026,
        [
            "2026-01-01T12:00:00+00:00",
            "2026-01-02T12:00:00+00:00",
            "2026-01-05T12:00:00+00:00",
        ],
        id="weekday-names",
    ),
    pytest.param(
        "0 0 12 ? * 2-6",
        "UTC",
        NEW_YEAR_2026,
        [
            "2026-01-01T12:00:00+00:00",
            "2026-01-02T12:00:00+00:00",
            "2026-01-05T12:00:00+00:00",
        ],
        id="weekday-numbers-monday-is-2",
    ),
    pytest.param(
        "0 0 12 L * ?",
        "UTC",
        NEW_YEAR_2026,
        [
            "2026-01-31T12:00:00+00:00",
            "2026-02-28T12:00:00+00:00",
            "2026-03-31T12:00:00+00:00",
        ],
        id="last-day",
    ),
    pytest.param(
        "0 0 12 L * ?",
        "UTC",
        datetime(2028, 2, 1, tzinfo=UTC),
        ["2028-02-29T12:00:00+00:00"],
        id="last-day-leap-february",
    ),
    pytest.param(
        "0 0 0 L-3 * ?",
        "UTC",
        NEW_YEAR_2026,
        [
            "2026-01-28T00:00:00+00:00",
            "2026-02-25T00:00:00+00:00",
            "2026-03-28T00:00:00+00:00",
        ],
        id="three-days-before-last",
    ),
    pytest.param(
        "*/15 * * * * ?",
        "UTC",
        datetime(2026, 1, 1, 0, 0, 7, tzinfo=UTC),
        [
            "2026-01-01T00:00:15+00:00",
            "2026-01-01T00:00:30+00:00",
            "2026-01-01T00:00:45+00:00",
        ],
        id="every-15-seconds",
    ),
    pytest.param(
        "0 0 8 ? * 1",
        "UTC",
        NEW_YEAR_2026,
        ["2026-01-04T08:00:00+00:00", "2026-01-11T08:00:00+00:00"],
        id="sunday-is-1",
    ),
    pytest.param(
        "0 0 8 ? * L",
        "UTC",
        NEW_YEAR_2026,
        ["2026-01-03T08:00:00+00:00", "2026-01-10T08:00:00+00:00"],
        id="weekday-l-alone-is-saturday",
    ),
    pytest.param(
        "0 0 8 ? * 1#2",
        "UTC",
        NEW_YEAR_2026,
        ["2026-01-11T08:00:00+00:00", "2026-02-08T08:00:00+00:00"],
        id="second-sunday",
    ),
    pytest.param(
        "0 0 6 ? * FRI-MON",
        "UTC",
        NEW_YEAR_2026,
        [
            "2026-01-02T06:00:00+00:00",
            "2026-01-03T06:00:00+00:00",
            "2026-01-04T06:00:00+00:00",
            "2026-01-05T06:00:00+00:00",
            "2026-01-09T06:00:00+00:00",
        ],
        id="weekday-range-wraps",
    ),
    pytest.param(
        "0 30 9 1,15 * ?",
        "UTC",
        NEW_YEAR_2026,
        [
            "2026-01-01T09:30:00+00:00",
            "2026-01-15T09:30:00+00:00",
            "2026-02-01T09:30:00+00:00",
        ],
        id="day-list",
    ),
    pytest.param(
        "0 0 0 29 2 ?",
        "UTC",
        NEW_YEAR_2026,
        ["2028-02-29T00:00:00+00:00", "2032-02-29T00:00:00+00:00"],
        id="leap-day",
    ),
    pytest.param(
        "0 0 9-17/4 * * ?",
        "UTC",
        NEW_YEAR_2026,
        [
            "2026-01-01T09:00:00+00:00",
            "2026-01-01T13:00:00+00:00",
            "2026-01-01T17:00:00+00:00",
            "2026-01-02T09:00:00+00:00",
        ],
        id="hour-range-with-step",
    ),
    pytest.param(
        "0 0 0 ? JAN,JUL 2#1",
        "UTC",
        NEW_YEAR_2026,
        [
            "2026-01-05T00:00:00+00:00",
            "2026-07-06T00:00:00+00:00",
            "2027-01-04T00:00:00+00:00",
        ],
        id="month-names-with-nth-weekday",
    ),
    pytest.param(
        "0 0 0 31 * ?",
        "UTC",
        NEW_YEAR_2026,
        [
            "2026-01-31T00:00:00+00:00",
            "2026-03-31T00:00:00+00:00",
            "2026-05-31T00:00:00+00:00",
        ],
        id="day-31-skips-short-months",
    ),
    pytest.param(
        "0 0 12 * * *",
        "UTC",
        NEW_YEAR_2026,
        ["2026-01-01T12:00:00+00:00", "2026-01-02T12:00:00+00:00"],
        id="star-in-both-day-fields",
    ),
    pytest.param(
        "0 0 12 13 * 6",
        "UTC",
        NEW_YEAR_2026,
        [
            "2026-01-02T12:00:00+00:00",
            "2026-01-09T12:00:00+00:00",
            "2026-01-13T12:00:00+00:00",
            "2026-01-16T12:00:00+00:00",
        ],
        id="both-day-fields-mean-either",
    ),
    pytest.param(
        "0 0 0 1 1 ? 2020/5",
        "UTC",
        NEW_YEAR_2026,
        ["2030-01-01T00:00:00+00:00", "2035-01-01T00:00:00+00:00"],
        id="year-step",
    ),
    pytest.param(
        "5,35 0 0 * * ?",
        "UTC",
        NEW_YEAR_2026,
        [
            "2026-01-01T00:00:05+00:00",
            "2026-01-01T00:00:35+00:00",
            "2026-01-02T00:00:05+00:00",
        ],
        id="second-list",
    ),
    pytest.param(
        "0 5-5 * * * ?",
        "UTC",
        NEW_YEAR_2026,
        ["2026-01-01T00:05:00+00:00", "2026-01-01T01:05:00+00:00"],
        id="equal-range-is-one-value",
    ),
    pytest.param(
        "0 0 22-2/2 * * ?",
        "UTC",
        NEW_YEAR_2026,
        [
            "2026-01-01T00:00:00+00:00",
            "2026-01-01T02:00:00+00:00",
            "2026-01-01T22:00:00+00:00",
            "2026-01-02T00:00:00+00:00",
        ],
        id="hour-range-wraps-midnight",
    ),
]


@pytest.mark.parametrize(("expression", "zone", "start", "expected"), QUARTZ_CASES)
def test_fire_times_match_hand_computed_quartz_answers(
    expression: str, zone: str, start: datetime, expected: list[str]
) -> None:
    """Each Quartz expression fires at the hand-computed times, offsets included."""
    times = fire_times(cron(expression, zone), start, FAR_END, limit=len(expected) + 1)

    assert iso(times[: len(expected)]) == expected


def test_a_single_year_fires_once_and_then_stops() -> None:
    """A cron restricted to 2027 yields one fire time and ends instead of looping."""
    times = fire_times(cron("0 0 0 1 1 ? 2027"), NEW_YEAR_2026, FAR_END)

    assert iso(times) == ["2027-01-01T00:00:00+00:00"]


def test_a_day_that_never_exists_gives_no_fire_times() -> None:
    """The 30th of February never comes, and the search gives up instead of hanging."""
    schedule = cron("0 0 0 30 2 ?")

    assert fire_times(schedule, NEW_YEAR_2026, FAR_END) == []
    assert list(iter_fire_times(schedule, NEW_YEAR_2026)) == []


def test_the_start_itself_is_included_and_the_end_excluded() -> None:
    """The window is half-open: a fire exactly at start counts, one at end does not."""
    start = datetime(2026, 1, 1, 12, tzinfo=UTC)

    times = fire_times(cron("0 0 12 * * ?"), start, start + timedelta(days=2))

    assert iso(times) == ["2026-01-01T12:00:00+00:00", "2026-01-02T12:00:00+00:00"]


def test_fire_times_are_in_the_schedule_zone_whatever_the_start_zone() -> None:
    """Fire times carry the schedule's zone even when start is given in another."""
    start = datetime(2026, 1, 1, 9, tzinfo=ZoneInfo("Asia/Tokyo"))

    times = fire_times(cron("0 0 2 * * ?", "Europe/Paris"), start, FAR_END, limit=1)

    assert iso(times) == ["2026-01-01T02:00:00+01:00"]
    assert times[0].tzinfo == ZoneInfo("Europe/Paris")


# Daylight saving, the behaviour this module pins: a wall-clock time that does
# not exist (skipped by a spring-forward) fires at the same instant java.time
# gives it, moved later by the length of the gap (02:30 in Paris becomes
# 03:30 CEST), so a daily job still runs that day; a wall-clock time that
# occurs twice (fall-back) fires once, at its first occurrence (summer time).
# Two wall times that land on the same instant fire once.


def test_spring_forward_moves_a_skipped_time_later_by_the_gap() -> None:
    """A 02:30 Paris job fires at 03:30 CEST on 29 March 2026, then at 02:30."""
    start = datetime(2026, 3, 28, 12, tzinfo=ZoneInfo("Europe/Paris"))

    times = fire_times(cron("0 30 2 * * ?", "Europe/Paris"), start, FAR_END, limit=2)

    assert iso(times) == ["2026-03-29T03:30:00+02:00", "2026-03-30T02:30:00+02:00"]


def test_spring_forward_in_new_york_follows_the_same_rule() -> None:
    """A 02:30 New York job fires at 03:30 EDT on 8 March 2026."""
    start = datetime(2026, 3, 7, 12, tzinfo=UTC)
    schedule = cron("0 30 2 * * ?", "America/New_York")

    times = fire_times(schedule, start, FAR_END, limit=2)

    assert iso(times) == ["2026-03-08T03:30:00-04:00", "2026-03-09T02:30:00-04:00"]


def test_fall_back_fires_a_repeated_time_once_at_its_first_occurrence() -> None:
    """A 02:30 Paris job fires once on 25 October 2026, at 02:30 CEST."""
    start = datetime(2026, 10, 24, 12, tzinfo=ZoneInfo("Europe/Paris"))

    times = fire_times(cron("0 30 2 * * ?", "Europe/Paris"), start, FAR_END, limit=2)

    assert iso(times) == ["2026-10-25T02:30:00+02:00", "2026-10-26T02:30:00+01:00"]


def test_half_hourly_across_spring_forward_never_fires_twice() -> None:
    """Skipped 02:00 and 02:30 become 03:00 and 03:30, which then do not repeat."""
    paris = ZoneInfo("Europe/Paris")
    start, end = (
        datetime(2026, 3, 29, 1, tzinfo=paris),
        datetime(2026, 3, 29, 4, tzinfo=paris),
    )

    times = fire_times(cron("0 0/30 * * * ?", "Europe/Paris"), start, end)

    assert iso(times) == [
        "2026-03-29T01:00:00+01:00",
        "2026-03-29T01:30:00+01:00",
        "2026-03-29T03:00:00+02:00",
        "2026-03-29T03:30:00+02:00",
    ]


def test_half_hourly_across_fall_back_skips_the_repeated_hour() -> None:
    """Each wall-clock time fires once, so 02:00 and 02:30 CET do not fire."""
    paris = ZoneInfo("Europe/Paris")
    start = datetime(2026, 10, 25, 1, tzinfo=paris)
    end = datetime(2026, 10, 25, 4, 30, tzinfo=paris)

    times = fire_times(cron("0 0/30 * * * ?", "Europe/Paris"), start, end)

    assert iso(times) == [
        "2026-10-25T01:00:00+02:00",
        "2026-10-25T01:30:00+02:00",
        "2026-10-25T02:00:00+02:00",
        "2026-10-25T02:30:00+02:00",
        "2026-10-25T03:00:00+01:00",
        "2026-10-25T03:30:00+01:00",
        "2026-10-25T04:00:00+01:00",
    ]


def test_moved_times_are_put_back_in_order_on_a_half_hour_gap() -> None:
    """On Lord Howe's 30-minute gap, 02:10 moves to 02:40, after the real 02:35."""
    start = datetime(2026, 10, 4, tzinfo=ZoneInfo("Australia/Lord_Howe"))
    schedule = cron("0 10,35 2 * * ?", "Australia/Lord_Howe")

    times = fire_times(schedule, start, start + timedelta(days=1))

    assert iso(times) == ["2026-10-04T02:35:00+11:00", "2026-10-04T02:40:00+11:00"]


def test_fixed_frequency_first_fires_after_the_delay_then_every_period() -> None:
    """Every 5 minutes after a 30-second delay, shown in the schedule's zone."""
    schedule = Schedule(
        "fixed-frequency",
        frequency_ms=300_000,
        start_delay_ms=30_000,
        time_zone="Europe/Paris",
    )

    times = fire_times(schedule, NEW_YEAR_2026, FAR_END, limit=3)

    assert iso(times) == [
        "2026-01-01T01:00:30+01:00",
        "2026-01-01T01:05:30+01:00",
        "2026-01-01T01:10:30+01:00",
    ]


def test_fixed_frequency_counts_every_fire_in_a_half_open_hour() -> None:
    """Once a minute from 00:00 gives 60 fires before 01:00."""
    schedule = Schedule("fixed-frequency", frequency_ms=60_000)

    times = fire_times(schedule, NEW_YEAR_2026, NEW_YEAR_2026 + timedelta(hours=1))

    assert len(times) == 60
    assert times[-1] == datetime(2026, 1, 1, 0, 59, tzinfo=UTC)


def test_naive_start_or_end_is_rejected() -> None:
    """Fire times need an instant: naive datetimes raise InputError."""
    naive = datetime(2026, 1, 1)

    with pytest.raises(InputError, match="time zone"):
        fire_times(cron("0 0 2 * * ?"), naive, FAR_END)
    with pytest.raises(InputError, match="time zone"):
        fire_times(cron("0 0 2 * * ?"), NEW_YEAR_2026, naive)
    with pytest.raises(InputError, match="time zone"):
        next(iter_fire_times(cron("0 0 2 * * ?"), naive))


def test_limit_caps_the_count_and_an_empty_window_gives_nothing() -> None:
    """``limit`` stops early; an end at or before start gives an empty list."""
    schedule = cron("0 * * * * ?")

    assert len(fire_times(schedule, NEW_YEAR_2026, FAR_END, limit=7)) == 7
    assert fire_times(schedule, NEW_YEAR_2026, FAR_END, limit=0) == []
    assert fire_times(schedule, NEW_YEAR_2026, NEW_YEAR_2026) == []
    with pytest.raises(InputError, match="-1"):
        fire_times(schedule, NEW_YEAR_2026, FAR_END, limit=-1)


def test_the_period_window_is_four_weeks_from_a_monday() -> None:
    """The reference window starts on Monday 5 January 2026 and lasts 28 days."""
    assert date(2026, 1, 5) == PERIOD_WINDOW_START
    assert PERIOD_WINDOW_START.weekday() == 0
    assert PERIOD_WINDOW_DAYS == 28


@pytest.mark.parametrize(
    ("schedule", "expected"),
    [
        pytest.param(cron("0 0 0 * * ?"), 86_400.0, id="daily"),
        pytest.param(cron("0 0 2 * * ?", "Europe/Paris"), 86_400.0, id="daily-paris"),
        pytest.param(cron("0 0/5 * * * ?"), 300.0, id="every-5-minutes"),
        pytest.param(cron("0 * * * * ?"), 60.0, id="every-minute"),
        pytest.param(cron("* * * * * ?"), 1.0, id="every-second"),
        # 20 fires from Monday 5 January to Friday 30 January: 25 days, 19 gaps.
        pytest.param(cron("0 0 2 ? * MON-FRI"), 25 * 86_400 / 19, id="weekdays"),
        pytest.param(
            Schedule("fixed-frequency", frequency_ms=90_000), 90.0, id="fixed"
        ),
        # Fewer than two fires in the window: look ahead ten years. New Year
        # 2027 to New Year 2036 is 9 years with 2 leap days, 3287 days, 9 gaps.
        pytest.param(cron("0 0 0 1 1 ?"), 3287 * 86_400 / 9, id="yearly"),
        # 1 February 2026 to 1 January 2036 is 3621 days over 119 gaps.
        pytest.param(cron("0 0 0 1 * ?"), 3621 * 86_400 / 119, id="monthly"),
    ],
)
def test_period_seconds_is_the_mean_gap_in_the_reference_window(
    schedule: Schedule, expected: float
) -> None:
    """The period is the mean gap between fires, exactly, in the reference window."""
    assert period_seconds(schedule) == pytest.approx(expected, rel=1e-12)


def test_period_seconds_is_none_when_the_cron_never_fires_again() -> None:
    """A cron limited to a past year, or to one future fire, has no period."""
    assert period_seconds(cron("0 0 0 1 1 ? 2020")) is None
    assert period_seconds(cron("0 0 0 1 1 ? 2027")) is None


def test_period_seconds_agrees_with_walking_the_window() -> None:
    """The counted period equals the mean gap of the listed fire times."""
    schedule = cron("0 0/7 9-17 ? * 2-6", "Europe/Paris")
    zone = ZoneInfo("Europe/Paris")
    start = datetime.combine(PERIOD_WINDOW_START, datetime.min.time(), zone)
    end = start + timedelta(days=PERIOD_WINDOW_DAYS)

    times = fire_times(schedule, start, end)

    span = times[-1].astimezone(UTC) - times[0].astimezone(UTC)
    assert period_seconds(schedule) == pytest.approx(
        span.total_seconds() / (len(times) - 1), rel=1e-12
    )


def test_period_seconds_looking_ahead_agrees_with_walking_ten_years() -> None:
    """The ten-year look-ahead, across 20 DST changes, matches the listed fires."""
    schedule = cron("0 30 2 ? * 1L", "Europe/Paris")
    zone = ZoneInfo("Europe/Paris")
    start = datetime.combine(PERIOD_WINDOW_START, datetime.min.time(), zone)
    end = start.replace(year=start.year + 10)

    times = fire_times(schedule, start, end)

    span = times[-1].astimezone(UTC) - times[0].astimezone(UTC)
    assert len(times) == 120
    assert "2026-03-29T03:30:00+02:00" in iso(times)
    assert period_seconds(schedule) == pytest.approx(
        span.total_seconds() / (len(times) - 1), rel=1e-12
    )


def test_period_seconds_of_a_busy_cron_is_fast() -> None:
    """Every second for 28 days (2.4 million fires) takes well under a second."""
    began = time.perf_counter()

    period = period_seconds(cron("* * * * * ?", "Europe/Paris"))

    assert period == 1.0
    assert time.perf_counter() - began < 0.5


@pytest.mark.parametrize(
    ("expression", "field"),
    [
        pytest.param("0 0 25 * * ?", "hours", id="hour-25"),
        pytest.param("* * *", "6 or 7 fields", id="three-fields"),
        pytest.param("0 0 2 * * 9", "day-of-week", id="weekday-9"),
        pytest.param("0 0 2 * * 0", "day-of-week", id="weekday-0"),
        pytest.param("0 0 12 32 * ?", "day-of-month", id="day-32"),
        pytest.param("0 0 12 ? 13 *", "month", id="month-13"),
        pytest.param("0 0 12 ? * 2#6", "day-of-week", id="sixth-monday"),
        pytest.param("0 0 12 ? * MON-FRX", "day-of-week", id="bad-name"),
        pytest.param("0 0 0 1 1 ? 1969", "year", id="year-1969"),
        pytest.param("0/0 * * * * ?", "seconds", id="step-0"),
        pytest.param("0 5- * * * ?", "minutes", id="open-range"),
        pytest.param("? * * * * ?", "seconds", id="question-mark-in-seconds"),
        pytest.param("R * * * * ?", "seconds", id="random-letter"),
        pytest.param("0 0 0 1 * ? 2027 1", "6 or 7 fields", id="eight-fields"),
        pytest.param("0 0 0 1-L * ?", "day-of-month", id="range-to-l"),
        pytest.param("0 0 0 32W * ?", "day-of-month", id="w-day-32"),
    ],
)
def test_invalid_cron_raises_an_input_error_quoting_it(
    expression: str, field: str
) -> None:
    """An invalid expression raises InputError naming the expression and field."""
    with pytest.raises(InputError) as raised:
        check_cron(expression)

    message = str(raised.value)
    assert repr(expression) in message
    assert field in message
    assert isinstance(raised.value, ValueError)


def test_valid_quartz_expressions_pass_the_check() -> None:
    """Every Quartz form this module supports passes check_cron."""
    for expression in [
        "0 0 2 ? * 2#1",
        "0 0 12 LW * ?",
        "0 0 12 L-2W * ?",
        "0 0 9 15W * ?",
        "0 15 10 ? * 6L",
        "0 15 10 ? * FRIL",
        "0 0/5 14 * * ?",
        "0 0 0 1 1 ? 2027",
        "0 0 12 ? * MON-FRI",
        "0 0 12 ? jan-mar,dec mon",
        "  0  0  12  ?  *  *  ",
        "0 0 0 ? * ?",
    ]:
        check_cron(expression)


def test_schedule_rejects_an_unusable_definition() -> None:
    """A Schedule checks its kind, its cron and its frequency when built."""
    with pytest.raises(InputError, match="'weekly'"):
        Schedule("weekly")
    with pytest.raises(InputError, match="'0 0 25 \\* \\* \\?'"):
        cron("0 0 25 * * ?")
    with pytest.raises(InputError, match="cron"):
        Schedule("cron")
    with pytest.raises(InputError, match="frequency"):
        Schedule("fixed-frequency", frequency_ms=0)
    with pytest.raises(InputError, match="delay"):
        Schedule("fixed-frequency", frequency_ms=1000, start_delay_ms=-1)


def test_zone_or_utc_returns_the_zone_or_flags_the_fallback() -> None:
    """A known zone comes back valid; unknown, empty or odd names fall back to UTC."""
    assert zone_or_utc("Europe/Paris") == (ZoneInfo("Europe/Paris"), True)
    assert zone_or_utc("UTC") == (ZoneInfo("UTC"), True)
    for name in ["Mars/Olympus", "", None, "Europe", "../etc/passwd", "europe/paris"]:
        assert zone_or_utc(name) == (ZoneInfo("UTC"), False)


def test_an_invalid_zone_falls_back_to_utc_for_fire_times() -> None:
    """A schedule in an unknown zone fires on UTC wall-clock times."""
    times = fire_times(cron("0 0 2 * * ?", "Mars/Olympus"), NEW_YEAR_2026, FAR_END, 1)

    assert iso(times) == ["2026-01-01T02:00:00+00:00"]
    assert describe(cron("0 0 2 * * ?", "Mars/Olympus")) == "At 02:00"


@pytest.mark.parametrize(
    ("schedule", "expected"),
    [
        pytest.param(cron("0 0 2 * * ?"), "At 02:00", id="daily"),
        pytest.param(
            cron("0 0 2 * * ?", "Europe/Paris"), "At 02:00 (Europe/Paris)", id="paris"
        ),
        pytest.param(
            cron("0 0 2 ? * 2#1"),
            "At 02:00, on the first Monday of the month",
            id="first-monday",
        ),
        pytest.param(
            cron("0 0 12 ? * MON-FRI"), "At 12:00, Monday through Friday", id="weekdays"
        ),
        pytest.param(
            cron("0 0 12 ? * L"), "At 12:00, only on Saturday", id="weekday-l-alone"
        ),
        pytest.param(
            Schedule("fixed-frequency", frequency_ms=300_000),
            "Every 5 minutes",
            id="5-minutes",
        ),
        pytest.param(
            Schedule("fixed-frequency", frequency_ms=1_500), "Every 1500 ms", id="ms"
        ),
        pytest.param(
            Schedule("fixed-frequency", frequency_ms=1_000), "Every 1 second", id="1s"
        ),
        pytest.param(
            Schedule("fixed-frequency", frequency_ms=3_600_000),
            "Every 1 hour",
            id="1-hour",
        ),
        pytest.param(
            Schedule("fixed-frequency", frequency_ms=172_800_000),
            "Every 2 days",
            id="2-days",
        ),
        pytest.param(
            Schedule("fixed-frequency", frequency_ms=300_000, start_delay_ms=30_000),
            "Every 5 minutes, first after 30 seconds",
            id="with-delay",
        ),
    ],
)
def test_describe_gives_plain_english(schedule: Schedule, expected: str) -> None:
    """describe() reads the schedule aloud, with the zone when it is not UTC."""
    assert describe(schedule) == expected


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        (250, "MILLISECONDS", 250),
        (1.5, "seconds", 1_500),
        (5, "MINUTES", 300_000),
        (2, "Hours", 7_200_000),
        (1, "DAYS", 86_400_000),
        (0.1, "SECONDS", 100),
        (0, "MINUTES", 0),
    ],
)
def test_to_milliseconds_converts_mule_time_units(
    value: float, unit: str, expected: int
) -> None:
    """Mule's timeUnit names convert to whole milliseconds, in any case."""
    assert to_milliseconds(value, unit) == expected


def test_to_milliseconds_rejects_an_unknown_unit_or_a_non_number() -> None:
    """An unknown unit or a NaN raises InputError quoting it and listing the units."""
    with pytest.raises(InputError, match=r"'FORTNIGHTS'.*MILLISECONDS"):
        to_milliseconds(1, "FORTNIGHTS")
    with pytest.raises(InputError, match="nan"):
        to_milliseconds(math.nan, "SECONDS")


# Property-based checks over random expressions, zones and windows.

SECOND_FIELDS = ["0", "*/30", "15,45", "10-20/5"]
MINUTE_FIELDS = ["0", "*/15", "0/7", "59", "*"]
HOUR_FIELDS = ["*", "2", "9-17/4", "22-2", "1-3"]
DAY_FIELDS = [
    ("*", "?"),
    ("?", "*"),
    ("L", "?"),
    ("LW", "?"),
    ("15W", "?"),
    ("1,15", "?"),
    ("?", "MON-FRI"),
    ("?", "2#1"),
    ("?", "6L"),
    ("?", "1,7"),
    ("13", "6"),
]
MONTH_FIELDS = ["*", "JAN,MAR,OCT", "2-11/3"]
ZONES = ["UTC", "Europe/Paris", "America/New_York", "Australia/Lord_Howe"]


@st.composite
def quartz_schedules(draw: st.DrawFn) -> Schedule:
    """Draw a cron schedule from a menu of Quartz fields and zones."""
    day_of_month, day_of_week = draw(st.sampled_from(DAY_FIELDS))
    fields = [
        draw(st.sampled_from(SECOND_FIELDS)),
        draw(st.sampled_from(MINUTE_FIELDS)),
        draw(st.sampled_from(HOUR_FIELDS)),
        day_of_month,
        draw(st.sampled_from(MONTH_FIELDS)),
        day_of_week,
    ]
    return cron(" ".join(fields), draw(st.sampled_from(ZONES)))


starts = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2028, 12, 31)
).map(lambda moment: moment.replace(tzinfo=UTC))
windows = st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=3))


@settings(max_examples=60, deadline=None)
@given(schedule=quartz_schedules(), start=starts, window=windows)
def test_cron_fire_times_increase_and_stay_in_the_window(
    schedule: Schedule, start: datetime, window: timedelta
) -> None:
    """Fire times strictly increase, lie in [start, end) and match the iterator."""
    end = start + window

    times = fire_times(schedule, start, end)

    instants = [moment.astimezone(UTC) for moment in times]
    assert all(a < b for a, b in itertools.pairwise(instants))
    assert all(start <= moment < end for moment in instants)
    assert all(moment.tzinfo == ZoneInfo(schedule.time_zone) for moment in times)
    walked = itertools.takewhile(
        lambda moment: moment < end, iter_fire_times(schedule, start)
    )
    assert len(times) == sum(1 for _ in walked)


@settings(max_examples=60, deadline=None)
@given(
    frequency_ms=st.integers(min_value=1_000, max_value=10_000_000),
    start_delay_ms=st.integers(min_value=0, max_value=10_000_000),
    start=starts,
    window_ms=st.integers(min_value=0, max_value=7_200_000),
)
def test_fixed_frequency_count_matches_the_closed_form(
    frequency_ms: int, start_delay_ms: int, start: datetime, window_ms: int
) -> None:
    """The number of fixed-frequency fires in a window is ceil(span / frequency)."""
    schedule = Schedule(
        "fixed-frequency", frequency_ms=frequency_ms, start_delay_ms=start_delay_ms
    )
    end = start + timedelta(milliseconds=window_ms)
    span_ms = window_ms - start_delay_ms

    times = fire_times(schedule, start, end)

    assert len(times) == max(0, -(-span_ms // frequency_ms))
    assert all(
        (b - a) == timedelta(milliseconds=frequency_ms)
        for a, b in itertools.pairwise(times)
    )


# Expressions croniter reads correctly once rewritten by hand to its own
# numbering (weekdays from Sunday = 0); in UTC the two must agree exactly.
CRONITER_DAY_FIELDS = [
    (("*", "?"), ("*", "*")),
    (("1,15", "?"), ("1,15", "*")),
    (("L", "?"), ("L", "*")),
    (("15W", "?"), ("15W", "*")),
    (("?", "MON-FRI"), ("*", "mon-fri")),
    (("?", "2-6"), ("*", "1-5")),
    (("?", "1,7"), ("*", "0,6")),
    (("?", "2#1"), ("*", "1#1")),
    (("?", "6L"), ("*", "L5")),
]


@settings(max_examples=80, deadline=None)
@given(
    second=st.sampled_from(SECOND_FIELDS),
    minute=st.sampled_from(MINUTE_FIELDS),
    hour=st.sampled_from(["*", "2", "9-17/4", "1-3"]),
    days=st.sampled_from(CRONITER_DAY_FIELDS),
    month=st.sampled_from(MONTH_FIELDS),
    start=starts.map(lambda moment: moment.replace(microsecond=0)),
)
def test_plain_expressions_agree_with_croniter_in_utc(
    second: str,
    minute: str,
    hour: str,
    days: tuple[tuple[str, str], tuple[str, str]],
    month: str,
    start: datetime,
) -> None:
    """Where croniter reads the expression, both give the same next five fires."""
    (quartz_day, quartz_weekday), (unix_day, unix_weekday) = days
    quartz = f"{second} {minute} {hour} {quartz_day} {month} {quartz_weekday}"
    unix = f"{second} {minute} {hour} {unix_day} {month} {unix_weekday}"
    reference = croniter(unix, start - timedelta(seconds=1), second_at_beginning=True)

    ours = fire_times(cron(quartz), start, FAR_END, limit=5)

    assert ours == [reference.get_next(datetime) for _ in range(5)]
