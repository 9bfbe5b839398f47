"""Fixed-frequency schedules for the batch model: the nearest Quartz cron, and the
exact fire times when no cron can express the period.

A Quartz cron steps within a minute, an hour or a month, so it fires evenly
only when its step divides that unit: every 90 s, 90 minutes or 36 hours has no
cron. Such a job is estimated from its exact fires, and its scenario keeps the
nearest cron for the simulator and for reading.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

DAY_MS = 86_400_000
MAX_TIMETABLE_DAYS = 366
MAX_TIMETABLE_FIRES = 1_000_000

_MINUTE_STEPS = (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30)
_DAY_STEPS = (1, 2, 3, 4, 6, 8, 12)
_LONGEST_MONTH = 31


@dataclass(frozen=True)
class NearestCron:
    """The Quartz cron nearest a fixed frequency, and whether it fires the same."""

    cron: str
    period_s: float
    exact: bool


def nearest_cron(frequency_ms: int) -> NearestCron:
    """Return the cron whose period is nearest ``frequency_ms`` by ratio.

    Steps of seconds and minutes that divide 60 and of hours that divide 24
    are exact; every d days (``1/d`` in the day of the month) restarts each
    month, so it is exact only for d = 1.

    >>> nearest_cron(300_000)
    NearestCron(cron='0 0/5 * * * ?', period_s=300.0, exact=True)
    >>> nearest_cron(90_000).cron
    '0 0/2 * * * ?'
    """
    candidates = _candidate_crons()
    period_ms, cron, even = min(
        candidates, key=lambda candidate: abs(math.log(candidate[0] / frequency_ms))
    )
    return NearestCron(cron, period_ms / 1000, even and period_ms == frequency_ms)


def fixed_frequency_timetable(frequency_ms: int) -> tuple[list[float], float] | None:
    """Return fires every ``frequency_ms`` from midnight and the window they repeat in.

    The window is the shortest run of whole days that holds a whole number of
    periods, so the arrival profile of a day lines up with it. None when that
    window is longer than 366 days or holds more than a million fires.

    >>> fixed_frequency_timetable(129_600_000)
    ([0.0, 129600.0], 259200.0)
    """
    window_ms = math.lcm(frequency_ms, DAY_MS)
    count = window_ms // frequency_ms
    if window_ms > MAX_TIMETABLE_DAYS * DAY_MS or count > MAX_TIMETABLE_FIRES:
        return None
    return [step * frequency_ms / 1000 for step in range(count)], window_ms / 1000


def _candidate_crons() -> list[tuple[int, str, bool]]:
    """Every stepped cron as (period in ms, expression, fires evenly)."""
    seconds = [(step * 1000, f"0/{step} * * * * ?", True) for step in _MINUTE_STEPS]
    minutes = [(step * 60_000, f"0 0/{step} * * * ?", True) for step in _MINUTE_STEPS]
    hours = [(step * 3_600_000, f"0 0 0/{step} * * ?", True) for step in _DAY_STEPS]
    days = [
        (step * DAY_MS, f"0 0 0 1/{step} * ?", step == 1)
        for step in range(1, _LONGEST_MONTH + 1)
    ]
    return [*seconds, *minutes, *hours, *days]
