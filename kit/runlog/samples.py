"""Write realistic, deterministic Mule runtime logs for the sample portfolio.

The demo ingests these files so the run-history stage has something to show:
rotated Mule 3 and Mule 4 app logs with batch-engine lines, and a CSV history.
"""

from __future__ import annotations

import csv
import gzip
import io
import logging
import math
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np

from kit.errors import InputError
from kit.portfolio.model import Call, Inventory, Job
from kit.schedule import Schedule, fire_times, period_seconds, zone_or_utc

__all__ = [
    "FREQUENT_PERIOD_S",
    "FREQUENT_RUNS",
    "HISTORY_COLUMNS",
    "HISTORY_FILE",
    "ROTATE_DAYS",
    "STALL_PERIODS",
    "EngineEvent",
    "PlannedRun",
    "SamplePlan",
    "SkippedFire",
    "plan_runs",
    "write_sample_logs",
]

log = logging.getLogger(__name__)

HISTORY_FILE = "run-history.csv"
HISTORY_COLUMNS = (
    "app",
    "job",
    "instance",
    "started_at",
    "finished_at",
    "records_total",
    "records_failed",
    "records_loaded",
)

# A job that fires more than once an hour logs every fire, but only its last
# FREQUENT_RUNS fires before the end of the sample: every fire of a 1-second
# poll over 90 days would be 7.8 million runs, and every fire of the 10-minute
# supplier feed about 40 MB of log. The history of such a job is therefore
# shorter than the sample: 17 minutes for a 1-second poll, 7 days for the
# 10-minute feed, 21 days for a half-hourly export.
FREQUENT_RUNS = 1_000
FREQUENT_PERIOD_S = 3600.0

ROTATE_DAYS = 30
SKIP_PERIOD_S = 15 * 60
# The middle run of a flow that skips fires while busy stalls this many periods
# on purpose, so that the sample always holds a few skipped fires.
STALL_PERIODS = 3

# Daily record volumes of the sample portfolio, keyed by batch job or flow.
# A run sees the volume of the period since the previous fire.
DAILY_RECORDS = {
    "ordersNightlyBatch": 30_000.0,
    "invoicesExportBatch": 8_000.0,
    "hrNewHiresBatch": 25.0,
    "paymentsToSalesforceBatch": 2_500.0,
    "supplierFeedBatch": 20_000.0,
    "customersUpsertBatch": 15_000.0,
    "customersPurgeBatch": 5_000.0,
    "customers-export-flow": 9_600.0,
    "customers-nightly-reconcile-flow": 45_000.0,
    "reservation-expiry-flow": 40_000.0,
    "credit-notes-export-flow": 1_500.0,
    "orders-micro-batch-flow": 30_000.0,
    "hourly-payment-status-flow": 7_200.0,
}
DEFAULT_DAILY_RECORDS = 4_000.0
# Monday first: weekends see about half the volume of a weekday.
WEEKDAY_FACTORS = (1.05, 1.0, 1.0, 1.02, 1.1, 0.6, 0.5)
# From midnight, local time; they average 1: quiet nights, busy office hours.
HOUR_FACTORS = (
    0.35, 0.3, 0.25, 0.25, 0.3, 0.4, 0.65, 1.0, 1.45, 1.75, 1.7, 1.75,
    1.55, 1.65, 1.65, 1.65, 1.55, 1.35, 1.15, 0.95, 0.8, 0.65, 0.5, 0.4,
)  # fmt: skip

EMPTY_RUN_CHANCE = 0.02
HISTORY_FAILURE_CHANCE = 0.08
OUTAGE_CHANCE = 0.005
DEGRADED_DAY_CHANCE = 0.05
DEFAULT_CONCURRENCY = {3: 16, 4: 8}

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_UUID_EPOCH_TICKS = 0x01B21DD213814000

_M4_ENGINE = "com.mulesoft.mule.runtime.module.batch.internal.engine.DefaultBatchEngine"
_M4_LOADER = (
    "com.mulesoft.mule.runtime.module.batch.internal.engine.queue.BatchQueueLoader"
)
_M4_STEP = "com.mulesoft.mule.runtime.module.batch.internal.DefaultBatchStep"
_M4_LOGGER = "org.mule.runtime.core.internal.processor.LoggerMessageProcessor"
_M4_HTTP = "org.mule.extension.http.internal.request.HttpRequester"
_M4_DEPLOY = (
    "org.mule.runtime.module.deployment.impl.internal.application."
    "DefaultMuleApplication"
)
_M4_SCHEDULER = (
    "org.mule.runtime.module.scheduler.internal.DefaultSchedulerMessageSource"
)
_CH_BATCH = "com.mulesoft.ch.batch.BatchCoreExtension"
_M3_ENGINE = "com.mulesoft.module.batch.engine.DefaultBatchEngine"
_M3_LOADER = "com.mulesoft.module.batch.engine.queue.BatchQueueLoader"
_M3_STEP = "com.mulesoft.module.batch.DefaultBatchStep"
_M3_JOB = "com.mulesoft.module.batch.DefaultBatchJob"
_M3_LOGGER = "org.mule.api.processor.LoggerMessageProcessor"
_M3_HTTP = "org.mule.module.http.internal.request.DefaultHttpRequester"
_M3_DEPLOY = "org.mule.module.launcher.application.DefaultMuleApplication"
_M3_WATERMARK = "org.mule.transport.polling.watermark.Watermark"

# Kinds logged on the thread that ran the flow; the rest run on batch workers.
_FLOW_THREAD_KINDS = frozenset(
    {
        "created",
        "input-started",
        "input-completed",
        "no-input-phase",
        "loading-started",
        "record-count-unknown",
        "loaded",
        "started",
        "no-records",
    }
)


@dataclass(frozen=True)
class EngineEvent:
    """One batch-engine message of a planned run, at epoch milliseconds (UTC)."""

    kind: str
    at_ms: int
    step: str | None = None


@dataclass(frozen=True)
class PlannedRun:
    """One run the sample holds, in a log file (``source`` "log") or the CSV.

    ``outcome`` is ``ok``, ``empty``, ``failed-records``, ``stopped`` (the
    max-failed-records limit was reached) or ``incomplete`` (cut off, no
    finish). Times are UTC; ``events`` are the engine messages of a log run.
    """

    app: str
    flow: str
    job: str
    source: str
    instance: str
    outcome: str
    fired_at: datetime
    started_at: datetime
    finished_at: datetime | None
    records_loaded: int
    records_total: int
    records_failed: int
    events: tuple[EngineEvent, ...] = ()


@dataclass(frozen=True)
class SkippedFire:
    """A fire the scheduler skipped because the previous run was still going."""

    app: str
    flow: str
    at: datetime


@dataclass(frozen=True)
class SamplePlan:
    """Every run and skipped fire of the sample, before anything is written."""

    runs: tuple[PlannedRun, ...]
    skips: tuple[SkippedFire, ...]
    malformed_instance: str | None

    @property
    def log_runs(self) -> tuple[PlannedRun, ...]:
        """The runs that leave batch-engine lines in a log file."""
        return tuple(run for run in self.runs if run.source == "log")

    @property
    def history_runs(self) -> tuple[PlannedRun, ...]:
        """The runs written to the CSV run history."""
        return tuple(run for run in self.runs if run.source == "csv")


@dataclass(frozen=True)
class _Profile:
    """How one job behaves: volume, speed and limits."""

    daily_records: float
    per_record_ms: float
    overhead_ms: float
    concurrency: int
    block_size: int
    max_failed: int
    period_s: float


# Planning.


def plan_runs(
    inventory: Inventory,
    *,
    days: int = 90,
    start: date = date(2026, 9, 1),
    seed: int = 7,
) -> SamplePlan:
    """Decide every run of the sample: when, how many records, how it ends.

    Only scheduled jobs run. A job with a batch job leaves batch-engine lines
    in its app's log; a scheduled job without one goes to the CSV history.
    Jobs firing more than once an hour keep only their last ``FREQUENT_RUNS``
    fires before the end of the sample; one whose runs outlast its period
    falls behind, and no run begins after the end. One run of a flow that
    skips fires while busy stalls, so a few fires are skipped. The last run of
    the batch job whose last run starts latest is cut off, with no finish.
    """
    if days < 1:
        raise InputError(f"days {days!r} gives no sample; pass 1 or more")

    versions = {app.app: app.mule_version or 4 for app in inventory.apps}
    runs: list[PlannedRun] = []
    skips: list[SkippedFire] = []
    jobs = sorted(
        (job for job in inventory.jobs if job.trigger.is_scheduled),
        key=lambda job: (job.app, job.flow),
    )
    used_ids: set[str] = set()

    for job in jobs:
        rng = _stream(seed, "plan", job.app, job.flow)
        schedule = _schedule_of(job)
        if schedule is None:
            continue

        version = versions.get(job.app, 4)
        profile = _profile_of(job, schedule, version, rng)
        first, end = _sample_window(schedule, start, days)
        fires = _fire_times_of(schedule, profile, first, end, rng)
        planner = _JobPlanner(job, version, profile, rng, used_ids)
        if job.batch_job:
            runs.extend(planner.batch_runs(fires, end))
        else:
            job_runs, job_skips = planner.history_runs(fires)
            runs.extend(job_runs)
            skips.extend(job_skips)

    runs = _cut_off_one(runs)
    runs.sort(key=lambda run: (run.started_at, run.app, run.job))
    history = [run for run in runs if run.source == "csv"]
    malformed = history[len(history) // 2].instance if history else None
    log.info(
        "sample plan: %d log runs, %d history runs, %d skipped fires",
        len(runs) - len(history),
        len(history),
        len(skips),
    )
    return SamplePlan(tuple(runs), tuple(skips), malformed)


def _stream(seed: int, *names: str) -> np.random.Generator:
    """A generator of its own for one job or app, so adding one moves no other."""
    key = zlib.crc32("/".join(names).encode("utf-8"))
    return np.random.Generator(np.random.PCG64([seed, key]))


def _schedule_of(job: Job) -> Schedule | None:
    zone, _ = zone_or_utc(job.trigger.time_zone)
    try:
        if job.trigger.cron:
            return Schedule("cron", cron=job.trigger.cron, time_zone=zone.key)
        return Schedule(
            "fixed-frequency",
            frequency_ms=job.trigger.frequency_ms,
            time_zone=zone.key,
        )
    except InputError as error:
        log.warning("no sample runs for %s/%s: %s", job.app, job.flow, error)
        return None


def _profile_of(
    job: Job, schedule: Schedule, version: int, rng: np.random.Generator
) -> _Profile:
    name = job.batch_job or job.flow
    period = job.trigger.period_s or period_seconds(schedule) or 86_400.0
    if job.batch_job:
        per_record_ms = float(rng.uniform(5.0, 20.0))
        concurrency = job.batch.max_concurrency or DEFAULT_CONCURRENCY[version]
    else:
        # A flow without a batch job handles its records one after another,
        # waiting on each of its per-record calls.
        per_record_ms = 2.0 + sum(
            float(
                rng.uniform(60.0, 150.0)
                if call.component.startswith("http:")
                else rng.uniform(4.0, 15.0)
            )
            for call in job.calls
            if call.per == "record"
        )
        concurrency = 1
    limit = job.batch.max_failed_records
    return _Profile(
        daily_records=DAILY_RECORDS.get(name, DEFAULT_DAILY_RECORDS),
        per_record_ms=per_record_ms,
        overhead_ms=float(rng.uniform(300.0, 3_000.0)),
        concurrency=max(1, concurrency),
        block_size=job.batch.block_size or 100,
        max_failed=0 if limit is None else limit,
        period_s=float(period),
    )


def _sample_window(
    schedule: Schedule, start: date, days: int
) -> tuple[datetime, datetime]:
    """The first and the last midnight of the sample, in the schedule's zone."""
    first = datetime.combine(start, time(), ZoneInfo(schedule.time_zone))
    return first, first + timedelta(days=days)


def _fire_times_of(
    schedule: Schedule,
    profile: _Profile,
    first: datetime,
    end: datetime,
    rng: np.random.Generator,
) -> list[datetime]:
    # A fixed frequency counts from the app's start, a little after midnight.
    phase_ms = int(rng.integers(0, schedule.frequency_ms or 1))

    if schedule.kind == "fixed-frequency":
        schedule = replace(schedule, start_delay_ms=phase_ms)
    if profile.period_s >= FREQUENT_PERIOD_S:
        return fire_times(schedule, first, end)
    return _last_fires(schedule, first, end, profile.period_s)


def _last_fires(
    schedule: Schedule, first: datetime, end: datetime, period_s: float
) -> list[datetime]:
    """The last ``FREQUENT_RUNS`` fires before ``end``, none before ``first``.

    Only the fires from twice the nominal span before ``end`` are listed, so
    an uneven cron still yields the full count and a 1-second poll no more
    than twice it.
    """
    span = timedelta(seconds=2 * FREQUENT_RUNS * period_s)
    opening = max(first, end - span)
    if schedule.kind == "fixed-frequency":
        # Keep the phase of a schedule that has run since the app started.
        anchor = _to_ms(first) + schedule.start_delay_ms
        steps = math.ceil((_to_ms(opening) - anchor) / schedule.frequency_ms)
        opening = _from_ms(anchor + max(steps, 0) * schedule.frequency_ms)
        schedule = replace(schedule, start_delay_ms=0)
    return fire_times(schedule, opening, end)[-FREQUENT_RUNS:]


class _JobPlanner:
    """Plans the runs of one job from its fire times."""

    def __init__(
        self,
        job: Job,
        version: int,
        profile: _Profile,
        rng: np.random.Generator,
        used_ids: set[str],
    ) -> None:
        self.job = job
        self.version = version
        self.profile = profile
        self.rng = rng
        self.used_ids = used_ids
        self.zone, _ = zone_or_utc(job.trigger.time_zone)
        self.node = _stream(0, "node", job.app).integers(0, 1 << 48) | (1 << 40)
        self.day_noise: dict[date, float] = {}
        self.degraded: dict[date, float] = {}

    def batch_runs(self, fires: Sequence[datetime], end: datetime) -> list[PlannedRun]:
        """Plan one batch-engine run per fire that can begin before ``end``.

        The flow's thread takes one fire at a time, up to the hand-over to the
        batch workers, and instances execute one after another, as with the
        default ORDERED_SEQUENTIAL scheduling. A job whose runs outlast its
        period falls behind; the fires still waiting at ``end``, when the logs
        are collected, leave no lines.
        """
        runs = []
        flow_free_at = engine_free_at = 0
        for fire in fires:
            begin = max(_to_ms(fire), flow_free_at)
            if begin >= _to_ms(end):
                break
            records = self._records(fire, self.profile.period_s)
            run = self._batch_run(fire, begin, records, engine_free_at)
            flow_free_at = max(
                event.at_ms
                for event in run.events
                if event.kind in _FLOW_THREAD_KINDS or not run.records_loaded
            )
            if run.finished_at is not None and run.records_loaded:
                engine_free_at = _to_ms(run.finished_at)
            runs.append(run)
        return runs

    def history_runs(
        self, fires: Sequence[datetime]
    ) -> tuple[list[PlannedRun], list[SkippedFire]]:
        """Plan CSV runs; a busy non-concurrent flow skips the fires it overlaps.

        Such a flow's first run from the middle fire on stalls for
        ``STALL_PERIODS`` periods.
        """
        runs: list[PlannedRun] = []
        skips: list[SkippedFire] = []
        may_skip = (
            self.version == 4
            and self.job.trigger.disallow_concurrent
            and self.profile.period_s < SKIP_PERIOD_S
        )
        middle = fires[len(fires) // 2] if may_skip and fires else None
        busy_until = 0
        last_fire: datetime | None = None
        for fire in fires:
            fire_ms = _to_ms(fire)
            if may_skip and fire_ms < busy_until:
                at = fire_ms + int(self.rng.integers(1, 6))
                skips.append(SkippedFire(self.job.app, self.job.flow, _from_ms(at)))
                continue

            # Records pile up while fires are skipped.
            elapsed = self.profile.period_s
            if last_fire is not None and fire.date() == last_fire.date():
                elapsed = max(elapsed, (fire - last_fire).total_seconds())
            records = self._records(fire, elapsed)
            run = self._history_run(fire, fire_ms, records)
            if middle is not None and fire >= middle and run.finished_at:
                stall = timedelta(seconds=STALL_PERIODS * self.profile.period_s)
                run = replace(run, finished_at=run.finished_at + stall)
                middle = None
            busy_until = _to_ms(run.finished_at or fire)
            last_fire = fire
            runs.append(run)
        return runs, skips

    def _records(self, fire: datetime, elapsed_s: float) -> int:
        """Records waiting at a fire: the daily volume with a weekly pattern."""
        local = fire.astimezone(self.zone)
        source_day = (local - timedelta(seconds=min(elapsed_s, 86_400.0))).date()
        if source_day not in self.day_noise:
            self.day_noise[source_day] = float(self.rng.lognormal(0.0, 0.12))
        # A run that gathers a week or more sees the weekly average, and one
        # that gathers less than a day sees the hour's share of the day.
        weekday = WEEKDAY_FACTORS[source_day.weekday()] if elapsed_s <= 86_400 else 1
        hourly = HOUR_FACTORS[local.hour] if elapsed_s < 86_400 else 1
        daily = self.profile.daily_records * weekday * self.day_noise[source_day]
        if self.rng.random() < EMPTY_RUN_CHANCE:
            return 0
        return int(self.rng.poisson(daily * hourly * elapsed_s / 86_400.0))

    def _slowdown(self, fire: datetime) -> float:
        """On a few days a downstream system answers far slower than usual."""
        day = fire.astimezone(self.zone).date()
        if day not in self.degraded:
            slow = self.rng.random() < DEGRADED_DAY_CHANCE
            self.degraded[day] = float(self.rng.uniform(3.0, 20.0)) if slow else 1.0
        return self.degraded[day]

    def _instance(self, at_ms: int) -> str:
        named = (
            self.version == 3
            and self.job.batch_job is not None
            and "quartz" in self.job.trigger.source
            and self.profile.period_s >= FREQUENT_PERIOD_S
        )
        if named:
            # A Mule 3 job-instance-id expression: spaces and slashes included.
            local = _from_ms(at_ms).astimezone(self.zone)
            instance = f"Run of {local:%d/%m/%y %H:%M:%S}"
            if instance not in self.used_ids:
                self.used_ids.add(instance)
                return instance
        while True:
            instance = _time_uuid(at_ms, self.rng, self.node)
            if instance not in self.used_ids:
                self.used_ids.add(instance)
                return instance

    def _between(self, low: float, high: float) -> int:
        return int(self.rng.integers(int(low), int(high) + 1))

    def _batch_run(
        self, fire: datetime, begin_ms: int, records: int, free_at: int
    ) -> PlannedRun:
        job, profile, version = self.job, self.profile, self.version
        steps = [step.step for step in sorted(job.steps, key=lambda s: s.position)]
        events: list[EngineEvent] = []

        def add(kind: str, at_ms: int, step: str | None = None) -> int:
            events.append(EngineEvent(kind, at_ms, step))
            return at_ms

        created = add("created", begin_ms + self._between(2, 40))
        instance = self._instance(created)
        if version == 3 and job.flow == job.batch_job:
            add("input-started", created)
            moment = add("input-completed", created + self._between(80, 1_500))
        elif version == 3:
            moment = add("no-input-phase", created + self._between(0, 5))
        else:
            moment = created
        gap = (5, 1_800) if version == 3 else (3, 40)
        loading = add("loading-started", moment + self._between(*gap))
        if version == 3 and records and self.rng.random() < 0.01:
            add("record-count-unknown", loading + self._between(50, 400))
        # Half the fixed overhead goes to loading, half to the onComplete phase.
        overhead = round(profile.overhead_ms / 2)
        loaded = loading + self._between(2, 40) + round(records * 0.04) + overhead
        loaded = max(loaded, events[-1].at_ms)
        add("loaded", loaded)

        if records == 0:
            moment = add("no-records", loaded)
            return self._finish_run(instance, fire, events, moment, "empty", (0, 0, 0))

        started = max(loaded, free_at) + self._between(1, 15)
        add("started", started)
        blocks = math.ceil(records / profile.block_size)
        threads = min(profile.concurrency, blocks)
        work_ms = (
            records
            * profile.per_record_ms
            / threads
            * float(self.rng.lognormal(0.0, 0.12))
            * self._slowdown(fire)
        )
        work_ms = max(1.0, work_ms)

        failed, stopped = self._failures(records)
        if stopped:
            share = float(self.rng.uniform(0.05, 0.7))
            stop_at = started + round(work_ms * share)
            first = started + round(work_ms * share * float(self.rng.uniform(0.2, 1)))
            if profile.max_failed == 0:
                first = stop_at
            if steps:
                add("record-failed", first, str(self.rng.choice(steps)))
            add("max-failed", stop_at + 1)
            moment = add("stopped", stop_at + self._between(2, 20))
            processed = max(failed, round(records * share))
            counts = (records, processed, failed)
            return self._finish_run(instance, fire, events, moment, "stopped", counts)

        done = started + round(work_ms)
        timeline = []
        if failed and steps:
            count = min(len(steps), 1 + int(self.rng.random() < 0.3))
            for step in self.rng.choice(steps, size=count, replace=False):
                share = float(self.rng.uniform(0.05, 0.95))
                timeline.append(
                    ("record-failed", started + round(work_ms * share), step)
                )
        for position, step in enumerate(steps[:-1]):
            lag = (len(steps) - 1 - position) * float(self.rng.uniform(0.005, 0.03))
            timeline.append(("step-finished", done - round(work_ms * lag), step))
        for kind, at_ms, step in sorted(timeline, key=lambda item: item[1]):
            add(kind, max(at_ms, started), str(step))

        last_step = steps[-1] if steps else None
        if last_step is not None and version == 4:
            add("step-finished", done, last_step)
            last_step = None
        outcome = "failed-records" if failed else "ok"
        return self._finish_run(
            instance,
            fire,
            events,
            done,
            outcome,
            (records, records, failed),
            last_step,
        )

    def _failures(self, records: int) -> tuple[int, bool]:
        """Failed records of a run, and whether they reach the job's limit."""
        limit = self.profile.max_failed
        draw = self.rng.random()
        if draw < OUTAGE_CHANCE:
            if limit >= 0:
                return limit + 1, True
            share = float(self.rng.uniform(0.02, 0.15))
            return max(1, round(records * share)), False

        chance = min(0.3, 0.01 + records * 1e-5)
        if draw >= OUTAGE_CHANCE + chance:
            return 0, False
        failed = min(records, 1 + int(self.rng.poisson(records * 2e-5)))
        if 0 <= limit < failed:
            return limit + 1, True
        return failed, False

    def _finish_run(
        self,
        instance: str,
        fire: datetime,
        events: list[EngineEvent],
        moment: int,
        outcome: str,
        counts: tuple[int, int, int],
        last_step: str | None = None,
    ) -> PlannedRun:
        """Add the onComplete phase and the finish line; Mule 3 adds a blank one."""
        loaded, processed, failed = counts
        begin = moment + self._between(2, 500)
        events.append(EngineEvent("on-complete-started", begin))
        end = begin + self._between(1, 300) + round(self.profile.overhead_ms / 2)
        events.append(EngineEvent("on-complete-finished", end))
        if self.version == 3:
            end += self._between(0, 6)
            events.append(EngineEvent("blank", end))
        finished = end + self._between(5, 170)
        events.append(EngineEvent("finished", finished))
        if last_step is not None:
            # Mule 3 reports the last step right after the finish line.
            events.append(EngineEvent("step-finished", finished, last_step))

        return PlannedRun(
            app=self.job.app,
            flow=self.job.flow,
            job=self.job.batch_job or self.job.flow,
            source="log",
            instance=instance,
            outcome=outcome,
            fired_at=fire,
            started_at=_from_ms(events[0].at_ms),
            finished_at=_from_ms(finished),
            records_loaded=loaded,
            records_total=processed,
            records_failed=failed,
            events=tuple(events),
        )

    def _history_run(self, fire: datetime, fire_ms: int, records: int) -> PlannedRun:
        profile = self.profile
        started = fire_ms + self._between(5, 900)
        noise = float(self.rng.lognormal(0.0, 0.15))
        per_record_ms = profile.per_record_ms * noise * self._slowdown(fire)
        work_ms = profile.overhead_ms + records * per_record_ms
        failed = 0
        if records and self.rng.random() < HISTORY_FAILURE_CHANCE:
            failed = 1 + int(self.rng.binomial(records - 1, 0.001))
        outcome = "empty" if records == 0 else "failed-records" if failed else "ok"
        return PlannedRun(
            app=self.job.app,
            flow=self.job.flow,
            job=self.job.flow,
            source="csv",
            instance=self._instance(started),
            outcome=outcome,
            fired_at=fire,
            started_at=_from_ms(started),
            finished_at=_from_ms(started + round(work_ms)),
            records_loaded=records,
            records_total=records,
            records_failed=failed,
        )


def _cut_off_one(runs: list[PlannedRun]) -> list[PlannedRun]:
    """Cut off the last run of the log job whose last run starts latest.

    The cut run keeps its lines up to the start of execution, as a log
    collected while it was still going would.
    """
    last_by_job: dict[tuple[str, str], int] = {}
    for index, run in enumerate(runs):
        if run.source == "log":
            last_by_job[(run.app, run.job)] = index
    candidates = [index for index in last_by_job.values() if runs[index].records_loaded]
    if not candidates:
        return runs

    chosen = max(candidates, key=lambda i: (runs[i].started_at, runs[i].job))
    run = runs[chosen]
    kept = []
    for event in run.events:
        kept.append(event)
        if event.kind == "started":
            break
    runs[chosen] = replace(
        run,
        outcome="incomplete",
        finished_at=None,
        records_total=0,
        records_failed=0,
        events=tuple(kept),
    )
    return runs


# Writing.


def write_sample_logs(
    inventory: Inventory,
    folder: Path,
    *,
    days: int = 90,
    start: date = date(2026, 9, 1),
    seed: int = 7,
    rotate_days: int = ROTATE_DAYS,
) -> list[Path]:
    """Write the sample logs and CSV history for ``inventory`` into ``folder``.

    Every app gets ``mule-app-APP.log`` in its Mule version's layout, with a
    startup banner, other loggers' lines, JSON payloads and the batch-engine
    lines of the runs :func:`plan_runs` plans with the same arguments (so the
    frequent-job window described there applies). Times are UTC, as on
    CloudHub. Each log rotates every ``rotate_days`` days: the newest days stay
    in ``mule-app-APP.log``, older ones in ``.1.log``, and ``.2.log.gz`` on
    are gzipped; one run per rotation spans the boundary. Scheduled jobs
    without a batch job go to ``run-history.csv``, which holds one malformed
    row on purpose. The same arguments give byte-identical files; rotations
    of these apps left in ``folder`` by a longer sample are deleted. Returns
    the written paths, sorted.
    """
    if rotate_days < 1:
        raise InputError(f"rotate_days {rotate_days!r} must be 1 or more")

    plan = plan_runs(inventory, days=days, start=start, seed=seed)
    folder.mkdir(parents=True, exist_ok=True)
    window_start = _to_ms(datetime.combine(start, time(), timezone.utc))
    day_ms = 86_400_000
    nominal = [
        window_start + index * rotate_days * day_ms
        for index in range(1, math.ceil(days / rotate_days))
    ]
    boundaries = _rotation_boundaries(plan, inventory, nominal, day_ms)

    jobs = {(job.app, job.flow): job for job in inventory.jobs}
    written: list[Path] = []
    for app in sorted(inventory.apps, key=lambda app: app.app):
        version = app.mule_version or 4
        writer = _AppLog(app.app, version, _stream(seed, "log", app.app))
        # The app was deployed just before its first job's day began.
        midnights = [
            _to_ms(
                datetime.combine(start, time(), zone_or_utc(job.trigger.time_zone)[0])
            )
            for job in inventory.jobs
            if job.app == app.app
        ]
        writer.banner(min([window_start, *midnights]), inventory)
        writer.noise(inventory, window_start, days)
        for run in plan.log_runs:
            if run.app == app.app:
                writer.run(run, jobs[(run.app, run.flow)])
        for skip in plan.skips:
            if skip.app == app.app:
                writer.skip(skip)
        written.extend(
            writer.write(folder, boundaries.get(app.app, nominal), len(nominal) + 1)
        )

    written.append(_write_history(plan, folder))
    sizes = sum(path.stat().st_size for path in written)
    log.info("sample logs: %d files, %d bytes in %s", len(written), sizes, folder)
    return sorted(written)


def _rotation_boundaries(
    plan: SamplePlan, inventory: Inventory, nominal: list[int], day_ms: int
) -> dict[str, list[int]]:
    """Move one app's boundary per rotation into a run, so that run spans files.

    The run chosen is the longest finished one created in the day after the
    nominal boundary; its app's file rotates halfway through it.
    """
    boundaries = {app.app: list(nominal) for app in inventory.apps}
    for index, moment in enumerate(nominal):
        candidates = [
            run
            for run in plan.log_runs
            if run.finished_at is not None
            and moment <= run.events[0].at_ms < moment + day_ms
        ]
        if not candidates:
            continue
        run = max(candidates, key=lambda run: (_duration_ms(run), run.instance))
        created, finished = run.events[0].at_ms, _to_ms(run.finished_at)
        boundaries[run.app][index] = created + max(1, (finished - created) // 2)
    return boundaries


def _duration_ms(run: PlannedRun) -> int:
    return _to_ms(run.finished_at) - _to_ms(run.started_at) if run.finished_at else 0


def _write_history(plan: SamplePlan, folder: Path) -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(HISTORY_COLUMNS)
    for run in plan.history_runs:
        started = _iso(run.started_at)
        finished = _iso(run.finished_at) if run.finished_at else ""
        if run.instance == plan.malformed_instance:
            # On purpose: a row whose times are swapped must become a reject.
            started, finished = finished, started
        writer.writerow(
            (
                run.app,
                run.job,
                run.instance,
                started,
                finished,
                run.records_total,
                run.records_failed,
                run.records_loaded,
            )
        )
    path = folder / HISTORY_FILE
    path.write_bytes(buffer.getvalue().encode("utf-8"))
    return path


class _AppLog:
    """The log events of one app, gathered in any order and written sorted."""

    def __init__(self, app: str, version: int, rng: np.random.Generator) -> None:
        self.app = app
        self.version = version
        self.rng = rng
        self.entries: list[tuple[int, int, str]] = []
        self.node = _stream(0, "node", app).integers(0, 1 << 48) | (1 << 40)

    # Layout.

    def add(
        self,
        at_ms: int,
        level: str,
        thread: str,
        logger: str,
        message: str,
        event: str = "",
        processor: str = "",
    ) -> None:
        """Add one event in the app's layout; ``message`` may span lines."""
        stamp = _stamp(at_ms)
        if self.version == 3:
            text = f"{level:<5} {stamp} [{thread}] {logger}: {message}"
        else:
            text = (
                f"{level:<5} {stamp} [{thread}] [processor: {processor}; "
                f"event: {event}] {logger}: {message}"
            )
        self.entries.append((at_ms, len(self.entries), text))

    def flow_thread(self, flow: str, source: str = "") -> str:
        """The thread running a flow: a Mule 4 uber thread or a Mule 3 one."""
        if self.version == 4:
            return self._uber(f"{flow}.CPU_LITE", flow)
        if source == "poll":
            return f"pool-{10 + zlib.crc32(flow.encode()) % 40}-thread-1"
        return f"[{self.app}].{flow}.stage1.{int(self.rng.integers(1, 5)):02d}"

    def worker_thread(self, job: str) -> str:
        """A thread of the batch job's work manager."""
        if self.version == 4:
            return self._uber(f"batch-job-{job}-work-manager", job)
        return f"batch-job-{job}-work-manager.{int(self.rng.integers(1, 5)):02d}"

    def _uber(self, name: str, key: str) -> str:
        number = int(self.rng.integers(1, 17))
        tag = _hash(self.app, key)
        return f"[MuleRuntime].uber.{number:02d}: [{self.app}].{name} @{tag}"

    def event_id(self, at_ms: int) -> str:
        return _time_uuid(at_ms, self.rng, self.node)

    # Content.

    def banner(self, first_day_ms: int, inventory: Inventory) -> None:
        """The deployment lines at the top of the app's oldest file."""
        at = first_day_ms - int(self.rng.integers(60_000, 240_000))
        thread = "WrapperListener_start_runner"
        jobs = [job for job in inventory.jobs if job.app == self.app]
        width = 70
        if self.version == 4:
            lines = [
                f"Started app '{self.app}'",
                "Application plugins:",
                " - HTTP : 1.9.3",
                " - Database : 1.14.9",
                " - Sockets : 1.2.4",
                "Application libraries:",
                " - mule-stream-kit-sample-lib-1.0.0.jar",
            ]
            box = "\n".join(
                ["*" * width]
                + [f"* {line:<{width - 4}} *" for line in lines]
                + ["*" * width]
            )
            self.add(at, "INFO", thread, _M4_DEPLOY, "\n" + box)
            if any(job.batch_job for job in jobs):
                self.add(
                    at + 35,
                    "INFO",
                    thread,
                    _CH_BATCH,
                    "Persistent queues is not enabled for the batch module; batch "
                    "queues are kept in memory",
                )
            return

        box = "\n".join(
            [
                "+" * width,
                f"+ {'Started app ' + repr(self.app):<{width - 4}} +",
                "+" * width,
            ]
        )
        self.add(
            at, "INFO", "Mule.app.deployer.monitor.1.thread.1", _M3_DEPLOY, "\n" + box
        )
        for offset, job in enumerate(job for job in jobs if job.batch_job):
            self.add(
                at + 20 + offset,
                "WARN",
                "Mule.app.deployer.monitor.1.thread.1",
                _M3_JOB,
                f"You provided a Threading Profile for batch job {job.batch_job}; "
                "batch sizes its own pool, so the profile may be removed",
            )

    def noise(self, inventory: Inventory, window_start: int, days: int) -> None:
        """Other loggers' lines: business messages, HTTP warnings, JSON payloads."""
        flows = [
            flow.flow
            for flow in inventory.flows
            if flow.app == self.app and flow.kind == "flow"
        ] or [self.app]
        calls = [
            call
            for job in inventory.jobs
            if job.app == self.app
            for call in job.calls
            if call.component == "http:request" and call.path
        ]
        logger = _M4_LOGGER if self.version == 4 else _M3_LOGGER
        for day in range(days):
            base = window_start + day * 86_400_000
            for _ in range(int(self.rng.poisson(7))):
                at = base + int(self.rng.integers(0, 86_400_000))
                flow = str(self.rng.choice(flows))
                message = self._business_message(flow)
                self._flow_line(at, "INFO", flow, logger, message)
            for _ in range(int(self.rng.poisson(0.3))):
                at = base + int(self.rng.integers(0, 86_400_000))
                flow = str(self.rng.choice(flows))
                self._flow_line(at, "INFO", flow, logger, self._payload(at))
            if calls:
                for _ in range(int(self.rng.poisson(0.6))):
                    at = base + int(self.rng.integers(0, 86_400_000))
                    call = calls[int(self.rng.integers(0, len(calls)))]
                    self._http_warning(at, call, flows)

    def _flow_line(
        self, at: int, level: str, flow: str, logger: str, message: str
    ) -> None:
        processor = f"{flow}/processors/{int(self.rng.integers(0, 6))}"
        self.add(
            at,
            level,
            self.flow_thread(flow),
            logger,
            message,
            self.event_id(at),
            processor,
        )

    def _business_message(self, flow: str) -> str:
        kind = int(self.rng.integers(0, 4))
        count = int(self.rng.integers(1, 500))
        if kind == 0:
            return f"{flow}: received {count} messages in the last hour"
        if kind == 1:
            ratio = int(self.rng.integers(55, 99))
            return f"Lookup cache hit ratio {ratio}% after {count} lookups"
        if kind == 2:
            return f"Access token refreshed for {flow}, valid for 3600 s"
        return f"Health check of {self.app} passed in {count} ms"

    def _payload(self, at: int) -> str:
        status = str(self.rng.choice(["ACCEPTED", "PENDING", "REJECTED"]))
        lines = [
            "{",
            f'  "source": "{self.app}",',
            f'  "id": "R-{int(self.rng.integers(100_000, 999_999))}",',
            f'  "status": "{status}",',
            f'  "items": {int(self.rng.integers(1, 9))},',
            f'  "updatedAt": "{_iso(_from_ms(at))}"',
            "}",
        ]
        return "\n".join(lines)

    def _http_warning(self, at: int, call: Call, flows: list[str]) -> None:
        url = f"https://{_host(call)}{call.path}"
        elapsed = int(self.rng.integers(2_000, 30_000))
        attempt = int(self.rng.integers(1, 3))
        message = (
            f"{call.method or 'GET'} {url} answered 503 after {elapsed} ms, "
            f"retrying ({attempt} of 3)"
        )
        logger = _M4_HTTP if self.version == 4 else _M3_HTTP
        self._flow_line(at, "WARN", str(self.rng.choice(flows)), logger, message)

    def run(self, run: PlannedRun, job: Job) -> None:
        """The engine lines of one run, on the threads Mule would use."""
        quoted = _QUOTED[self.version]
        engine, loader, step_logger = (
            (_M4_ENGINE, _M4_LOADER, _M4_STEP)
            if self.version == 4
            else (_M3_ENGINE, _M3_LOADER, _M3_STEP)
        )
        flow_thread = self.flow_thread(job.flow, job.trigger.source)
        event = self.event_id(run.events[0].at_ms) if self.version == 4 else ""
        processor = f"{job.flow}/processors/0"
        empty = run.outcome == "empty"

        for item in run.events:
            words = _engine_message(item, run, quoted)
            logger = engine
            if item.kind in ("loading-started", "loaded"):
                logger = loader
            elif item.kind in ("step-finished", "record-failed"):
                logger = step_logger
            level = "INFO"
            if item.kind == "record-failed":
                words += "\n" + self._stack_trace(job, item.step or "")
            elif item.kind == "record-count-unknown":
                level = "WARN"
                words += "\n" + self._count_trace(job)
            elif item.kind == "blank":
                words = "\n"

            on_flow = item.kind in _FLOW_THREAD_KINDS or empty
            thread = flow_thread if on_flow else self.worker_thread(run.job)
            self.add(
                item.at_ms,
                level,
                thread,
                logger,
                words,
                event,
                processor if on_flow else "",
            )
            if item.kind == "on-complete-started":
                summary = (
                    f"{run.job} done: {run.records_total} processed, "
                    f"{run.records_failed} failed"
                )
                logger_name = _M4_LOGGER if self.version == 4 else _M3_LOGGER
                self.add(item.at_ms, "INFO", thread, logger_name, summary, event, "")

        if empty and self.version == 3 and job.trigger.source == "poll":
            self.add(
                run.events[-1].at_ms + 1,
                "INFO",
                flow_thread,
                _M3_WATERMARK,
                "Watermark left unchanged: the poll returned no records",
            )

    def skip(self, skip: SkippedFire) -> None:
        """A scheduler line for a fire skipped while the flow was still running."""
        message = (
            f"Flow '{skip.flow}' is already running and "
            "'disallowConcurrentExecution' is set to 'true'. Execution skipped."
        )
        thread = self.flow_thread(skip.flow)
        self.add(_to_ms(skip.at), "INFO", thread, _M4_SCHEDULER, message)

    def _stack_trace(self, job: Job, step: str) -> str:
        calls = [call for call in job.calls if call.step == step] or list(job.calls)
        call = calls[int(self.rng.integers(0, len(calls)))] if calls else None
        component = call.component if call else ""
        if component.startswith("http:") and call is not None:
            url = f"https://{_host(call)}{call.path or '/'}"
            if self.version == 4:
                head = (
                    "org.mule.extension.http.api.request.validator."
                    f"ResponseValidatorTypedException: {call.method or 'GET'} on "
                    f"'{url}' failed: service unavailable (503)."
                )
                frames = _M4_HTTP_FRAMES
            else:
                head = (
                    "org.mule.module.http.internal.request.ResponseValidatorException:"
                    f" {call.method or 'GET'} {url} answered 503"
                )
                frames = _M3_HTTP_FRAMES
        elif component.startswith("db:"):
            key = int(self.rng.integers(10_000, 99_999))
            head = (
                "java.sql.SQLIntegrityConstraintViolationException: Duplicate entry "
                f"'{key}' for key 'PRIMARY'"
            )
            frames = _DB_FRAMES
        else:
            exception = (
                "org.mule.runtime.api.exception.MuleRuntimeException"
                if self.version == 4
                else "org.mule.api.MuleRuntimeException"
            )
            head = (
                f"{exception}: {component or 'operation'} failed: record rejected "
                "by the target"
            )
            frames = _M4_HTTP_FRAMES if self.version == 4 else _M3_HTTP_FRAMES
        return "\n".join(
            [head, *(f"\tat {frame}" for frame in frames), "\t... 27 more"]
        )

    def _count_trace(self, job: Job) -> str:
        head = (
            "org.mule.api.MuleRuntimeException: the source of "
            f"{job.batch_job} did not report how many records it holds"
        )
        return "\n".join([head, *(f"\tat {frame}" for frame in _M3_HTTP_FRAMES[:3])])

    # Output.

    def write(self, folder: Path, boundaries: list[int], files: int) -> list[Path]:
        """Split the sorted events at the boundaries and write the rotated files."""
        self.entries.sort()
        chunks: list[list[str]] = [[] for _ in range(files)]
        index = 0
        for at_ms, _, text in self.entries:
            while index < len(boundaries) and at_ms >= boundaries[index]:
                index += 1
            chunks[index].append(text)

        paths = []
        for age, chunk in enumerate(reversed(chunks)):
            data = ("\n".join(chunk) + "\n").encode("utf-8") if chunk else b""
            if age == 0:
                path = folder / f"mule-app-{self.app}.log"
            elif age == 1:
                path = folder / f"mule-app-{self.app}.1.log"
            else:
                path = folder / f"mule-app-{self.app}.{age}.log.gz"
                data = gzip.compress(data, compresslevel=9, mtime=0)
            path.write_bytes(data)
            paths.append(path)

        # Older rotations left by an earlier, longer sample would be ingested
        # with this one, so they go.
        for stale in folder.glob(f"mule-app-{self.app}.*.log*"):
            number = stale.name.removeprefix(f"mule-app-{self.app}.").split(".")[0]
            if number.isdigit() and int(number) >= files:
                stale.unlink()
        return paths


# How each engine message quotes its ids: Mule 4 quotes nearly all of them;
# Mule 3 mixes quoted and bare ones from one message to the next.
_QUOTED = {
    4: frozenset(
        {
            "created",
            "loading-started",
            "loaded",
            "started",
            "no-records",
            "step-finished",
            "on-complete-started",
            "on-complete-finished",
            "finished",
            "record-failed",
            "max-failed",
        }
    ),
    3: frozenset(
        {"loading-started", "started", "no-records", "finished", "record-failed"}
    ),
}


def _engine_message(event: EngineEvent, run: PlannedRun, quoted: Iterable[str]) -> str:
    """The text Mule's batch engine writes for one event."""
    mark = "'" if event.kind in quoted else ""
    instance = f"{mark}{run.instance}{mark}"
    job = f"{mark}{run.job}{mark}"
    step = f"{mark}{event.step}{mark}"
    ok = run.records_total - run.records_failed
    texts = {
        "created": f"Created instance {instance} for batch job {job}",
        "input-started": "Starting input phase",
        "input-completed": "Input phase completed",
        "no-input-phase": (
            f"Batch job {run.job} has no input phase. Creating job instance"
        ),
        "loading-started": (
            f"Starting loading phase for instance {instance} of job {job}"
        ),
        "record-count-unknown": (
            "Exception found while trying to get the record count in advance. "
            "Records are counted at the end of the loading phase instead"
        ),
        "loaded": (
            f"Finished loading phase for instance {instance} of job {job}. "
            f"{run.records_loaded} records were loaded"
        ),
        "started": f"Started execution of instance {instance} of job {job}",
        "no-records": (
            f"Instance {instance} of job {job} has no records to process. "
            "It's execution will be finished now"
        ),
        "step-finished": (
            f"Step {step} finished processing all records for instance {instance} "
            f"of job {job}"
        ),
        "record-failed": (
            f"Found exception processing record on step {step} for job instance "
            f"{instance} of job {job}."
        ),
        "max-failed": (
            f"instance {instance} of job {job} has reached the max allowed number "
            "of failed records. The instance will be stopped"
        ),
        "stopped": (
            f"instance {instance} of job {job} has been stopped. Instance status "
            "is FAILED_PROCESS_RECORDS"
        ),
        "on-complete-started": (
            f"Starting execution of onComplete phase for instance {instance} of "
            f"job {job}"
        ),
        "on-complete-finished": (
            f"Finished execution of onComplete phase for instance {instance} of "
            f"job {job}"
        ),
        "blank": "",
        "finished": (
            f"Finished execution for instance {instance} of job {job}. Total Records "
            f"processed: {run.records_total}. Successful records: {ok}. Failed "
            f"Records: {run.records_failed}"
        ),
    }
    return texts[event.kind]


_M4_HTTP_FRAMES = (
    "org.mule.extension.http.internal.request.HttpRequester.doRequest"
    "(HttpRequester.java:212)",
    "org.mule.extension.http.internal.request.HttpRequestOperations.request"
    "(HttpRequestOperations.java:140)",
    "org.mule.runtime.module.extension.internal.runtime.execution."
    "CompletableComponentExecutor.execute(CompletableComponentExecutor.java:64)",
    "org.mule.runtime.core.internal.processor.chain.AbstractMessageProcessorChain"
    ".process(AbstractMessageProcessorChain.java:318)",
    "com.mulesoft.mule.runtime.module.batch.internal.DefaultBatchStep.onRecord"
    "(DefaultBatchStep.java:395)",
)
_M3_HTTP_FRAMES = (
    "org.mule.module.http.internal.request.DefaultHttpRequester.validateResponse"
    "(DefaultHttpRequester.java:356)",
    "org.mule.module.http.internal.request.DefaultHttpRequester.innerProcess"
    "(DefaultHttpRequester.java:344)",
    "org.mule.processor.AbstractRequestResponseMessageProcessor.process"
    "(AbstractRequestResponseMessageProcessor.java:56)",
    "com.mulesoft.module.batch.DefaultBatchStep.processRecord"
    "(DefaultBatchStep.java:301)",
)
_DB_FRAMES = (
    "com.mysql.cj.jdbc.exceptions.SQLError.createSQLException(SQLError.java:117)",
    "com.mysql.cj.jdbc.ClientPreparedStatement.executeUpdateInternal"
    "(ClientPreparedStatement.java:1098)",
    "org.mule.db.commons.internal.domain.executor.UpdateExecutor.execute"
    "(UpdateExecutor.java:47)",
)


# Small helpers.


def _to_ms(moment: datetime) -> int:
    return (moment - _EPOCH) // timedelta(milliseconds=1)


def _from_ms(at_ms: int) -> datetime:
    return _EPOCH + timedelta(milliseconds=at_ms)


def _stamp(at_ms: int) -> str:
    moment = _from_ms(at_ms)
    return f"{moment:%Y-%m-%d %H:%M:%S},{at_ms % 1000:03d}"


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds")


def _time_uuid(at_ms: int, rng: np.random.Generator, node: int) -> str:
    """A version-1 style UUID for ``at_ms``, as Mule uses for instances and events."""
    ticks = at_ms * 10_000 + _UUID_EPOCH_TICKS + int(rng.integers(0, 10_000))
    low = ticks & 0xFFFFFFFF
    middle = (ticks >> 32) & 0xFFFF
    high = ((ticks >> 48) & 0x0FFF) | 0x1000
    sequence = int(rng.integers(0, 0x4000)) | 0x8000
    return f"{low:08x}-{middle:04x}-{high:04x}-{sequence:04x}-{int(node):012x}"


def _hash(*names: str) -> str:
    return f"{zlib.crc32('/'.join(names).encode('utf-8')):x}"


def _host(call: Call) -> str:
    name = (call.config_ref or "api").lower().replace("_", "-")
    return f"{name}.example.internal"
