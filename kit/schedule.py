"""Quartz cron and fixed-frequency schedules as Mule runs them.

Checks an expression, lists fire times in a zone, measures the mean period and
describes a schedule in English.
"""

from __future__ import annotations

import bisect
import calendar
import itertools
import math
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import MAXYEAR, date, datetime, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cron_descriptor import (
    ExpressionDescriptor,
    FormatError,
    MissingFieldError,
    Options,
)

from kit.errors import InputError

__all__ = [
    "PERIOD_WINDOW_DAYS",
    "PERIOD_WINDOW_START",
    "Schedule",
    "check_cron",
    "describe",
    "fire_times",
    "iter_fire_times",
    "job_schedule",
    "period_seconds",
    "to_milliseconds",
    "zone_or_utc",
]

# How fire times are found. croniter is not the engine, although it reads the
# simpler expressions the same way (the tests compare the two in UTC): with
# seconds first it cannot find '0 0 0 1 1 * 2027', rejects 'LW' and 'L-3',
# reads an equal range such as '5-5' as the whole field, fires a repeated
# fall-back time twice and takes about 20 microseconds a fire. Here an expression
# becomes one sorted list of times of day plus a rule choosing days, so days
# are walked and counted directly.
#
# Daylight saving: a fire time is a wall-clock time in the schedule's zone.
# A time skipped by a spring-forward fires at the instant java.time gives it,
# later by the length of the gap (02:30 in Paris becomes 03:30 CEST); a time
# that occurs twice at a fall-back fires once, at its first occurrence. Two
# wall times that land on one instant fire once.

_KINDS = ("cron", "fixed-frequency")

PERIOD_WINDOW_START = date(2026, 1, 5)
PERIOD_WINDOW_DAYS = 28
_LOOKAHEAD_YEARS = 10

# The Gregorian calendar repeats every 400 years: a rule that picks no day in
# that many months never will.
_GIVE_UP_MONTHS = 400 * 12

_UTC = ZoneInfo("UTC")
_UTC_NAMES = frozenset({"UTC", "Etc/UTC", "Etc/UCT", "UCT", "Etc/Universal"})

_UNIT_MILLISECONDS = {
    "MILLISECONDS": 1,
    "SECONDS": 1_000,
    "MINUTES": 60_000,
    "HOURS": 3_600_000,
    "DAYS": 86_400_000,
}
_DURATION_UNITS = (
    (86_400_000, "day"),
    (3_600_000, "hour"),
    (60_000, "minute"),
    (1_000, "second"),
)

_DIGITS = re.compile(r"[0-9]+", re.ASCII)
_LAST_DAY = re.compile(r"L(?:-([0-9]+))?(W?)", re.ASCII)
_NEAREST_WEEKDAY = re.compile(r"([0-9]+)W", re.ASCII)
_NTH_WEEKDAY = re.compile(r"([0-9]+|[A-Z]+)#([0-9]+)", re.ASCII)
_LAST_WEEKDAY = re.compile(r"([0-9]+|[A-Z]+)L", re.ASCII)

_SYNTAX = "seconds minutes hours day-of-month month day-of-week [year]"

# A day rule maps a month's shape, (weekday of its 1st, Monday 0; its length),
# to the days of that month that fire.
_DayRule = Callable[[int, int], set[int]]
_DayChooser = Callable[[int, int], list[int]]


@dataclass(frozen=True)
class _Field:
    """One position of a Quartz expression: its name, bounds and names."""

    name: str
    low: int
    high: int
    names: Mapping[str, int]
    extras: str = ""
    note: str = ""

    @property
    def size(self) -> int:
        """How many values the field can take."""
        return self.high - self.low + 1

    @property
    def hint(self) -> str:
        """What the field accepts, for error messages."""
        names = ""
        if self.names:
            first, *_, last = self.names
            names = f" or {first}-{last}"
        return (
            f"use {self.low}-{self.high}{names}{self.note}, *, {self.extras}"
            "a range a-b, a list a,b or a step a/n"
        )


_MONTH_NAMES = {
    name: number
    for number, name in enumerate(
        (
            "JAN",
            "FEB",
            "MAR",
            "APR",
            "MAY",
            "JUN",
            "JUL",
            "AUG",
            "SEP",
            "OCT",
            "NOV",
            "DEC",
        ),
        1,
    )
}
_WEEKDAY_NAMES = {
    name: number
    for number, name in enumerate(("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"), 1)
}

_SECONDS = _Field("seconds", 0, 59, {})
_MINUTES = _Field("minutes", 0, 59, {})
_HOURS = _Field("hours", 0, 23, {})
_DAY_OF_MONTH = _Field("day-of-month", 1, 31, {}, "?, L, L-n, LW, nW, ")
_MONTH = _Field("month", 1, 12, _MONTH_NAMES)
_DAY_OF_WEEK = _Field(
    "day-of-week",
    1,
    7,
    _WEEKDAY_NAMES,
    "?, nL (last n-day of the month), n#k (k-th n-day), ",
    " (1 is Sunday)",
)
_YEAR = _Field("year", 1970, 2099, {})


@dataclass(frozen=True)
class Schedule:
    """When a Mule flow fires: a Quartz cron in a zone, or a fixed frequency.

    ``cron`` is a Quartz expression (seconds first, optional year). A
    fixed-frequency schedule first fires ``start_delay_ms`` after its start,
    then every ``frequency_ms``. Building one checks it and raises InputError.
    """

    kind: str
    cron: str | None = None
    frequency_ms: int | None = None
    start_delay_ms: int = 0
    time_zone: str = "UTC"

    def __post_init__(self) -> None:
        if self.kind not in _KINDS:
            raise InputError(
                f"schedule kind {self.kind!r} is not known; use 'cron' or "
                "'fixed-frequency'"
            )

        if self.kind == "cron":
            if not self.cron:
                raise InputError(
                    "a cron schedule needs a Quartz expression in cron=, "
                    "such as '0 0 2 * * ?'"
                )
            check_cron(self.cron)
        elif not _is_count(self.frequency_ms) or self.frequency_ms <= 0:
            raise InputError(
                f"fixed frequency {self.frequency_ms!r} ms never fires; give "
                "frequency_ms as a whole number of milliseconds above 0"
            )

        if not _is_count(self.start_delay_ms) or self.start_delay_ms < 0:
            raise InputError(
                f"start delay {self.start_delay_ms!r} ms is not usable; give "
                "start_delay_ms as a whole number of milliseconds, 0 or more"
            )


@dataclass(frozen=True)
class _Cron:
    """A parsed Quartz expression: times of day, and which days fire."""

    times: tuple[int, ...]
    months: frozenset[int]
    years: tuple[int, ...] | None
    days_by_shape: Mapping[tuple[int, int], tuple[int, ...]]


def job_schedule(
    cron: str | None, time_zone: str | None, frequency_ms: float | None
) -> Schedule | None:
    """The schedule of an inventory ``jobs`` row, or None for an unscheduled job.

    A cron wins over a frequency; a missing or NaN frequency means none.

    >>> job_schedule(None, None, 60000.0).frequency_ms
    60000
    >>> job_schedule(None, None, float("nan")) is None
    True
    """
    if isinstance(cron, str) and cron:
        return Schedule("cron", cron=cron, time_zone=time_zone or "UTC")
    if frequency_ms is not None and math.isfinite(frequency_ms) and frequency_ms > 0:
        return Schedule("fixed-frequency", frequency_ms=int(frequency_ms))
    return None


def to_milliseconds(value: float, unit: str) -> int:
    """Convert a Mule duration in ``unit`` to whole milliseconds, rounded.

    >>> to_milliseconds(5, "minutes")
    300000
    """
    key = unit.strip().upper() if isinstance(unit, str) else unit
    if key not in _UNIT_MILLISECONDS:
        raise InputError(
            f"time unit {unit!r} is not one Mule knows; use MILLISECONDS, "
            "SECONDS, MINUTES, HOURS or DAYS"
        )

    if not math.isfinite(value):
        raise InputError(f"duration {value!r} {key} is not a finite number")

    return round(value * _UNIT_MILLISECONDS[key])


def check_cron(expression: str) -> None:
    """Raise InputError naming the expression and the field if it is not Quartz.

    >>> check_cron("0 0 2 ? * MON-FRI")
    """
    _parse(expression)


def zone_or_utc(name: str | None) -> tuple[ZoneInfo, bool]:
    """Return the zone called ``name`` and True, or UTC and False if unknown.

    Java falls back to GMT for an unknown id in the same way; the False lets
    the caller warn.
    """
    if not isinstance(name, str) or not name.strip():
        return _UTC, False

    try:
        return ZoneInfo(name.strip()), True
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return _UTC, False


def fire_times(
    schedule: Schedule, start: datetime, end: datetime, limit: int | None = None
) -> list[datetime]:
    """List fire times in ``[start, end)``, at most ``limit``, in the schedule's zone.

    ``start`` and ``end`` must carry a time zone. A fixed frequency first fires
    at ``start`` plus the start delay.

    >>> start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    >>> last_weekday = Schedule("cron", cron="0 0 12 LW * ?")
    >>> times = fire_times(last_weekday, start, start + timedelta(days=60))
    >>> [moment.isoformat() for moment in times]
    ['2026-01-30T12:00:00+00:00', '2026-02-27T12:00:00+00:00']
    """
    begin = _as_utc(start, "start")
    stop = _as_utc(end, "end")
    if limit is not None and (not _is_count(limit) or limit < 0):
        raise InputError(
            f"limit {limit!r} is not a count; pass None, 0 or a positive number"
        )

    if stop <= begin or limit == 0:
        return []

    zone, _ = zone_or_utc(schedule.time_zone)
    instants = itertools.islice(_instants(schedule, zone, begin, stop), limit)
    return [_localise(instant, zone) for instant in instants]


def iter_fire_times(schedule: Schedule, start: datetime) -> Iterator[datetime]:
    """Yield fire times from ``start`` on, in the schedule's zone, without end.

    The iterator ends only when the cron can fire no more (a past year).
    """
    begin = _as_utc(start, "start")
    zone, _ = zone_or_utc(schedule.time_zone)

    return (_localise(instant, zone) for instant in _instants(schedule, zone, begin))


@lru_cache(maxsize=4096)
def period_seconds(schedule: Schedule) -> float | None:
    """Return the mean gap between consecutive fire times, in seconds.

    A fixed frequency gives its frequency. A cron is measured over a fixed
    reference window so results are reproducible: the 28 days (4 weeks) from
    Monday 5 January 2026 00:00 in the schedule's zone. When it fires fewer
    than twice there, the fire times of the 10 years from that same start are
    used instead (a yearly cron gives about 365 days). None when even those
    hold fewer than two fire times, as for a year already past.

    >>> period_seconds(Schedule("cron", cron="0 0/5 * * * ?"))
    300.0
    """
    if schedule.kind == "fixed-frequency":
        return schedule.frequency_ms / 1000

    plan = _parse(schedule.cron)
    zone, _ = zone_or_utc(schedule.time_zone)
    first_day = PERIOD_WINDOW_START
    window_end = first_day + timedelta(days=PERIOD_WINDOW_DAYS)
    lookahead_end = first_day.replace(year=first_day.year + _LOOKAHEAD_YEARS)

    for stop_day in (window_end, lookahead_end):
        count, first, last = _summarise(plan, zone, first_day, stop_day)
        if count >= 2:
            return (last - first).total_seconds() / (count - 1)

    return None


@lru_cache(maxsize=4096)
def describe(schedule: Schedule) -> str:
    """Describe the schedule in English, with its zone when that is not UTC.

    >>> describe(Schedule("cron", cron="0 0 2 ? * 2-6", time_zone="Europe/Paris"))
    'At 02:00, Monday through Friday (Europe/Paris)'
    >>> describe(Schedule("fixed-frequency", frequency_ms=300_000))
    'Every 5 minutes'
    """
    if schedule.kind == "fixed-frequency":
        text = f"Every {_duration(schedule.frequency_ms)}"
        if schedule.start_delay_ms > 0:
            text += f", first after {_duration(schedule.start_delay_ms)}"
        return text

    text = _cron_words(schedule.cron)
    zone, known = zone_or_utc(schedule.time_zone)
    if known and zone.key not in _UTC_NAMES:
        text += f" ({zone.key})"
    return text


# Parsing.


def _parse(expression: str) -> _Cron:
    if not isinstance(expression, str):
        raise InputError(
            f"cron expression {expression!r} is not text; write it as '{_SYNTAX}'"
        )
    return _parse_text(expression)


@lru_cache(maxsize=512)
def _parse_text(expression: str) -> _Cron:
    texts = expression.split()
    if len(texts) not in (6, 7):
        raise InputError(
            f"cron expression {expression!r} has {len(texts)} fields; Quartz "
            f"needs 6 or 7 fields: {_SYNTAX}, such as '0 0 2 * * ?'"
        )

    seconds = _values(expression, _SECONDS, texts[0])
    minutes = _values(expression, _MINUTES, texts[1])
    hours = _values(expression, _HOURS, texts[2])
    months = _values(expression, _MONTH, texts[4])
    years = None
    if len(texts) == 7 and texts[6] != "*":
        years = tuple(sorted(_values(expression, _YEAR, texts[6])))

    choose_days = _day_rule(expression, texts[3], texts[5])
    times = sorted(
        hour * 3600 + minute * 60 + second
        for hour in hours
        for minute in minutes
        for second in seconds
    )
    shapes = {
        (first_weekday, length): tuple(choose_days(first_weekday, length))
        for first_weekday in range(7)
        for length in range(28, 32)
    }
    return _Cron(tuple(times), frozenset(months), years, shapes)


def _values(expression: str, field: _Field, text: str) -> set[int]:
    """Expand a plain field: numbers or names, ranges (may wrap), lists, steps."""
    values: set[int] = set()
    for item in text.upper().split(","):
        if "?" in item:
            raise _field_error(
                expression,
                field,
                item,
                "cannot be '?'; only a day-of-month or day-of-week field can",
            )

        base, slash, step_text = item.partition("/")
        step = 1
        if slash:
            if not _DIGITS.fullmatch(step_text) or not (
                1 <= int(step_text) <= field.size
            ):
                raise _field_error(
                    expression,
                    field,
                    item,
                    f"has step {step_text!r}; a step is 1 to {field.size}",
                )
            step = int(step_text)

        if base == "*":
            first, last = field.low, field.high
        elif "-" in base:
            first_text, _, last_text = base.partition("-")
            first = _value(expression, field, first_text, item)
            last = _value(expression, field, last_text, item)
        else:
            first = _value(expression, field, base, item)
            last = field.high if slash else first

        # A range whose end is below its start wraps round, as in Quartz:
        # hours 22-2 are 22, 23, 0, 1, 2.
        span = (last - first) % field.size
        values.update(
            field.low + (first - field.low + offset) % field.size
            for offset in range(0, span + 1, step)
        )
    return values


def _value(expression: str, field: _Field, token: str, item: str) -> int:
    if _DIGITS.fullmatch(token):
        value = int(token)
    elif token in field.names:
        value = field.names[token]
    else:
        raise _field_error(
            expression, field, item, f"has {token!r}, which is not a number or name"
        )

    if not field.low <= value <= field.high:
        raise _field_error(
            expression,
            field,
            item,
            f"value {value} is outside {field.low}-{field.high}",
        )
    return value


def _field_error(expression: str, field: _Field, item: str, problem: str) -> InputError:
    return InputError(
        f"cron expression {expression!r}: {field.name} {problem} (in {item!r}); "
        f"{field.hint}"
    )


def _day_rule(expression: str, month_text: str, week_text: str) -> _DayChooser:
    """Return a function from (first weekday, month length) to the days that fire.

    Weekdays are Python's inside (Monday 0). As in Quartz, '?' or '*' leaves a
    field open. Quartz refuses an expression that restricts both fields; like
    Unix cron (and croniter) this module lets a day fire when either matches.
    """
    open_month = month_text in ("*", "?")
    open_week = week_text in ("*", "?")
    month_rule = None if open_month else _month_day_rule(expression, month_text)
    week_rule = None if open_week else _weekday_rule(expression, week_text)

    def choose(first_weekday: int, length: int) -> list[int]:
        if month_rule is None and week_rule is None:
            return list(range(1, length + 1))
        days: set[int] = set()
        for rule in (month_rule, week_rule):
            if rule is not None:
                days |= rule(first_weekday, length)
        return sorted(days)

    return choose


def _month_day_rule(expression: str, text: str) -> _DayRule:
    """Parse day-of-month: plain days, L, L-n, LW, L-nW and nW."""
    plain: set[int] = set()
    last_offsets: set[int] = set()
    last_weekday_offsets: set[int] = set()
    nearest_to: set[int] = set()
    for item in text.upper().split(","):
        last = _LAST_DAY.fullmatch(item)
        nearest = _NEAREST_WEEKDAY.fullmatch(item)
        if last:
            offset = int(last.group(1) or 0)
            if offset > 30:
                raise _field_error(
                    expression, _DAY_OF_MONTH, item, "has L-n with n above 30"
                )
            (last_weekday_offsets if last.group(2) else last_offsets).add(offset)
        elif nearest:
            day = int(nearest.group(1))
            if not 1 <= day <= 31:
                raise _field_error(
                    expression, _DAY_OF_MONTH, item, f"has nW with day {day}, not 1-31"
                )
            nearest_to.add(day)
        else:
            plain |= _values(expression, _DAY_OF_MONTH, item)

    def days(first_weekday: int, length: int) -> set[int]:
        chosen = {day for day in plain if day <= length}
        chosen |= {length - offset for offset in last_offsets if offset < length}
        chosen |= {
            _nearest_weekday(length - offset, first_weekday, length)
            for offset in last_weekday_offsets
            if offset < length
        }
        # A W day the month does not have (31W in April) does not fire, as a
        # plain 31 would not.
        chosen |= {
            _nearest_weekday(day, first_weekday, length)
            for day in nearest_to
            if day <= length
        }
        return chosen

    return days


def _weekday_rule(expression: str, text: str) -> _DayRule:
    """Parse day-of-week (1 is Sunday): plain days, L alone (Saturday), nL, n#k."""
    plain: set[int] = set()
    nth: set[tuple[int, int]] = set()
    last: set[int] = set()
    for item in text.upper().split(","):
        nth_match = _NTH_WEEKDAY.fullmatch(item)
        last_match = _LAST_WEEKDAY.fullmatch(item)
        if item == "L":
            plain.add(_python_weekday(7))
        elif nth_match:
            weekday = _value(expression, _DAY_OF_WEEK, nth_match.group(1), item)
            week = int(nth_match.group(2))
            if not 1 <= week <= 5:
                raise _field_error(
                    expression,
                    _DAY_OF_WEEK,
                    item,
                    f"has n#k with k = {week}; k counts weeks, 1 to 5",
                )
            nth.add((_python_weekday(weekday), week))
        elif last_match:
            weekday = _value(expression, _DAY_OF_WEEK, last_match.group(1), item)
            last.add(_python_weekday(weekday))
        else:
            values = _values(expression, _DAY_OF_WEEK, item)
            plain |= {_python_weekday(value) for value in values}

    def days(first_weekday: int, length: int) -> set[int]:
        chosen = {
            day
            for day in range(1, length + 1)
            if (first_weekday + day - 1) % 7 in plain
        }
        for weekday, week in nth:
            day = 1 + (weekday - first_weekday) % 7 + 7 * (week - 1)
            if day <= length:
                chosen.add(day)
        last_day_weekday = (first_weekday + length - 1) % 7
        chosen |= {length - (last_day_weekday - weekday) % 7 for weekday in last}
        return chosen

    return days


def _python_weekday(quartz_weekday: int) -> int:
    """Quartz numbers Sunday 1 to Saturday 7; Python numbers Monday 0."""
    return (quartz_weekday + 5) % 7


def _nearest_weekday(day: int, first_weekday: int, length: int) -> int:
    """The weekday nearest ``day`` without leaving the month, as Quartz's W."""
    weekday = (first_weekday + day - 1) % 7
    if weekday == 5:
        return day - 1 if day > 1 else day + 2
    if weekday == 6:
        return day + 1 if day < length else day - 2
    return day


# Walking and counting. Instants are naive UTC datetimes until they are handed
# out, because aware datetimes sharing one zone compare and subtract by wall
# clock, which is wrong across a daylight-saving change.


def _instants(
    schedule: Schedule, zone: ZoneInfo, start: datetime, stop: datetime | None = None
) -> Iterator[datetime]:
    if schedule.kind == "fixed-frequency":
        return _fixed_instants(schedule, start, stop)
    return _cron_instants(_parse(schedule.cron), zone, start, stop)


def _fixed_instants(
    schedule: Schedule, start: datetime, stop: datetime | None
) -> Iterator[datetime]:
    step = timedelta(milliseconds=schedule.frequency_ms)
    moment = start + timedelta(milliseconds=schedule.start_delay_ms)
    while stop is None or moment < stop:
        yield moment
        moment += step


def _cron_instants(
    plan: _Cron, zone: ZoneInfo, start: datetime, stop: datetime | None
) -> Iterator[datetime]:
    # Begin a day early: a wall time late on the day before can be moved past
    # midnight by a gap.
    first_day = _local_date(start, zone) - timedelta(days=1)
    stop_day = None if stop is None else _local_date(stop, zone) + timedelta(days=2)
    previous = None

    for day in _matching_days(plan, first_day, stop_day):
        for instant in _day_instants(plan, zone, day):
            if instant < start or (previous is not None and instant <= previous):
                continue
            if stop is not None and instant >= stop:
                return
            previous = instant
            yield instant


def _summarise(
    plan: _Cron, zone: ZoneInfo, first_day: date, stop_day: date
) -> tuple[int, datetime | None, datetime | None]:
    """Count fire times on local days ``[first_day, stop_day)``; first and last.

    A day without a daylight-saving change holds exactly one fire per time of
    day, so only days with a change are listed one by one.
    """
    count = 0
    first = last = None
    for day in _matching_days(plan, first_day, stop_day):
        midnight = datetime(day.year, day.month, day.day)
        offset = _steady_offset(zone, midnight)
        if offset is None:
            instants = _day_instants(plan, zone, day)
            count += len(instants)
            day_first, day_last = instants[0], instants[-1]
        else:
            count += len(plan.times)
            day_first = midnight - offset + timedelta(seconds=plan.times[0])
            day_last = midnight - offset + timedelta(seconds=plan.times[-1])
        first = first or day_first
        last = day_last
    return count, first, last


def _matching_days(
    plan: _Cron, first_day: date, stop_day: date | None
) -> Iterator[date]:
    """Yield the local days that fire, from ``first_day`` up to ``stop_day``."""
    year, month = first_day.year, first_day.month
    idle_months = 0
    while idle_months <= _GIVE_UP_MONTHS and year <= MAXYEAR:
        if stop_day is not None and date(year, month, 1) >= stop_day:
            return

        if plan.years is not None and year not in plan.years:
            later = bisect.bisect_right(plan.years, year)
            if later == len(plan.years):
                return
            year, month = plan.years[later], 1
            continue

        if month in plan.months:
            shape = calendar.monthrange(year, month)
            for day in plan.days_by_shape[shape]:
                current = date(year, month, day)
                if current < first_day:
                    continue
                if stop_day is not None and current >= stop_day:
                    return
                idle_months = 0
                yield current

        idle_months += 1
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def _day_instants(plan: _Cron, zone: ZoneInfo, day: date) -> list[datetime]:
    """The day's fire instants in order, moved and merged across a DST change."""
    midnight = datetime(day.year, day.month, day.day)
    offset = _steady_offset(zone, midnight)
    if offset is not None:
        base = midnight - offset
        return [base + timedelta(seconds=seconds) for seconds in plan.times]

    # fold=0 reads a skipped wall time with the offset from before the gap,
    # which moves it later by the gap, and a repeated one as its first
    # occurrence: the rule stated at the top of this module.
    moved = {
        (midnight + timedelta(seconds=seconds))
        .replace(tzinfo=zone)
        .astimezone(timezone.utc)
        .replace(tzinfo=None)
        for seconds in plan.times
    }
    return sorted(moved)


def _steady_offset(zone: ZoneInfo, midnight: datetime) -> timedelta | None:
    """The zone's UTC offset through the day, or None when it changes.

    Compares the two midnights; a zone that changed twice within one day and
    came back would be missed, and no current zone does.
    """
    before = midnight.replace(tzinfo=zone).utcoffset()
    after = (midnight + timedelta(days=1)).replace(tzinfo=zone).utcoffset()
    return before if before == after else None


def _local_date(instant: datetime, zone: ZoneInfo) -> date:
    return instant.replace(tzinfo=timezone.utc).astimezone(zone).date()


def _localise(instant: datetime, zone: ZoneInfo) -> datetime:
    return instant.replace(tzinfo=timezone.utc).astimezone(zone)


def _as_utc(moment: datetime, label: str) -> datetime:
    if not isinstance(moment, datetime) or moment.utcoffset() is None:
        raise InputError(
            f"{label} {moment!r} has no time zone; pass an aware datetime such "
            "as datetime(2026, 1, 5, tzinfo=timezone.utc)"
        )
    return moment.astimezone(timezone.utc).replace(tzinfo=None)


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# Describing.


def _duration(milliseconds: int) -> str:
    """Say a duration in the largest unit that divides it evenly."""
    for size, unit in _DURATION_UNITS:
        if milliseconds % size == 0:
            count = milliseconds // size
            return f"{count} {unit}" if count == 1 else f"{count} {unit}s"
    return f"{milliseconds} ms"


def _cron_words(expression: str) -> str:
    """English for a Quartz expression, from cron-descriptor in 24-hour time."""
    fields = expression.split()
    # cron-descriptor fails on a day-of-week of 'L' alone, which Quartz reads
    # as Saturday (7).
    fields[5] = ",".join(
        "7" if item.upper() == "L" else item for item in fields[5].split(",")
    )
    options = Options(
        locale_code="en_US",
        use_24hour_time_format=True,
        day_of_week_start_index_zero=False,
    )
    try:
        return ExpressionDescriptor(" ".join(fields), options).get_description()
    except (FormatError, MissingFieldError, ValueError):
        # The expression is valid Quartz (Schedule checked it); a form the
        # describer cannot word is shown as written rather than failing.
        return f"Quartz cron {expression!r}"
