"""Tests for kit.runlog.samples: the sample logs the demo ingests."""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import itertools
import re
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from kit.portfolio import Inventory, take_inventory
from kit.runlog.messages import BATCH_LOGGER_MARKS, PATTERNS, SCHEDULER_LOGGER_SUFFIX
from kit.runlog.samples import (
    FREQUENT_RUNS,
    HISTORY_COLUMNS,
    HISTORY_FILE,
    STALL_PERIODS,
    SamplePlan,
    plan_runs,
    write_sample_logs,
)
from tests.conftest import ROOT

SAMPLE_APPS = ROOT / "data" / "apps"
SIZE_LIMIT = 15 * 1024 * 1024

# The level-first layout of Mule 3 app logs and Mule 4 logs, with the optional
# processor/event bracket; a thread name may hold one level of brackets.
EVENT_LINE = re.compile(
    r"^(?:INFO|WARN|ERROR) +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} "
    r"\[((?:[^\[\]]|\[[^\[\]]*\])*)\] (?:\[processor: [^\]]*\] )?([\w.$]+): ?(.*)$"
)
REGEX_BY_KIND = {pattern.kind: re.compile(pattern.regex) for pattern in PATTERNS}
# Runs and skipped fires over ten days of the jobs that fire more than hourly,
# except the 1-second poll that falls behind. Counted by hand: the 1-second,
# 60-second, 5-minute and 10-minute jobs keep their last 1,000 fires; the
# 15-minute export fires 96 times a day for ten days, the 30-minute one 48.
FREQUENT_FIRES = {
    "reservation-expiry-flow": 1_000,
    "customers-changed-poll-flow": 1_000,
    "orders-micro-batch-flow": 1_000,
    "supplier-feed-flow": 1_000,
    "customers-export-flow": 960,
    "credit-notes-export-flow": 480,
}


@pytest.fixture(scope="module")
def inventory() -> Inventory:
    return take_inventory([SAMPLE_APPS])


@pytest.fixture(scope="module")
def ten_days(
    inventory: Inventory, tmp_path_factory: pytest.TempPathFactory
) -> tuple[list[Path], SamplePlan]:
    """Ten days rotated every four, so there are three files per app."""
    folder = tmp_path_factory.mktemp("ten-days")
    paths = write_sample_logs(inventory, folder, days=10, rotate_days=4)
    return paths, plan_runs(inventory, days=10)


@pytest.fixture(scope="module")
def full_sample(
    inventory: Inventory, tmp_path_factory: pytest.TempPathFactory
) -> tuple[list[Path], SamplePlan]:
    """The sample with its default arguments, as the demo writes it."""
    folder = tmp_path_factory.mktemp("full")
    return write_sample_logs(inventory, folder), plan_runs(inventory)


def read_text(path: Path) -> str:
    data = path.read_bytes()
    if path.suffix == ".gz":
        data = gzip.decompress(data)
    return data.decode("utf-8")


def log_files(paths: list[Path]) -> list[Path]:
    return [path for path in paths if path.name.startswith("mule-app-")]


def events(paths: list[Path]) -> list[tuple[Path, str, str, str]]:
    """Every event line of the logs as (file, thread, logger, message)."""
    found = []
    for path in log_files(paths):
        for line in read_text(path).splitlines():
            match = EVENT_LINE.match(line)
            if match:
                found.append((path, *match.groups()))
    return found


def kinds_of(message: str) -> list[str]:
    return [kind for kind, regex in REGEX_BY_KIND.items() if regex.search(message)]


def digests(paths: list[Path]) -> dict[str, str]:
    return {path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in paths}


def test_same_arguments_give_identical_files(
    inventory: Inventory, tmp_path: Path, ten_days: tuple[list[Path], SamplePlan]
) -> None:
    """Writing again with the same arguments gives the same bytes, gzip included."""
    paths, _ = ten_days

    again = write_sample_logs(inventory, tmp_path, days=10, rotate_days=4)

    assert digests(again) == digests(paths)
    assert any(path.suffix == ".gz" for path in again)


def test_another_seed_gives_other_files(
    inventory: Inventory, tmp_path: Path, ten_days: tuple[list[Path], SamplePlan]
) -> None:
    """A different seed changes the content of the logs and of the CSV history."""
    paths, _ = ten_days

    other = write_sample_logs(inventory, tmp_path, days=10, rotate_days=4, seed=8)

    before, after = digests(paths), digests(other)
    assert before.keys() == after.keys()
    assert before[HISTORY_FILE] != after[HISTORY_FILE]
    assert (
        before["mule-app-orders-nightly-batch.log"]
        != (after["mule-app-orders-nightly-batch.log"])
    )


def test_paths_are_sorted_and_named_after_apps(
    inventory: Inventory, ten_days: tuple[list[Path], SamplePlan]
) -> None:
    """Each app has a current log, a .1 log and a gzipped .2 log; paths come sorted."""
    paths, _ = ten_days

    names = {path.name for path in paths}

    assert paths == sorted(paths)
    for app in inventory.apps:
        assert f"mule-app-{app.app}.log" in names
        assert f"mule-app-{app.app}.1.log" in names
        assert f"mule-app-{app.app}.2.log.gz" in names
    assert HISTORY_FILE in names


def test_every_batch_line_matches_a_message_pattern(
    ten_days: tuple[list[Path], SamplePlan],
) -> None:
    """Each batch-engine or scheduler line, Mule 3 and Mule 4, is a known message."""
    paths, _ = ten_days
    unmatched = []
    seen: Counter[str] = Counter()

    for path, _, logger, message in events(paths):
        is_batch = any(mark in logger for mark in BATCH_LOGGER_MARKS)
        if is_batch or logger.endswith(SCHEDULER_LOGGER_SUFFIX):
            kinds = kinds_of(message)
            seen.update(kinds[:1])
            if not kinds:
                unmatched.append((path.name, message))

    assert not unmatched
    assert {"created", "loaded", "started", "step-finished", "finished"} <= set(seen)
    assert {"no-records", "no-input-phase", "blank", "on-complete-started"} <= set(seen)


def test_mule4_lines_carry_the_app_in_the_thread(
    ten_days: tuple[list[Path], SamplePlan],
) -> None:
    """Mule 4 engine lines run on [MuleRuntime] threads that name their app."""
    paths, _ = ten_days

    for path, thread, logger, _ in events(paths):
        if logger.startswith("com.mulesoft.mule.runtime.module.batch."):
            app = path.name.removeprefix("mule-app-").split(".")[0]
            assert thread.startswith("[MuleRuntime].uber.")
            assert f": [{app}]." in thread


def test_created_lines_match_the_planned_runs(
    ten_days: tuple[list[Path], SamplePlan],
) -> None:
    """There is one Created instance line per planned log run, across all files."""
    paths, plan = ten_days

    created = [
        REGEX_BY_KIND["created"].search(message).group(1)
        for _, _, _, message in events(paths)
        if message.startswith("Created instance ")
    ]

    assert len(created) == len(plan.log_runs)
    assert sorted(created) == sorted(run.instance for run in plan.log_runs)


def test_exactly_one_run_has_no_finish(
    ten_days: tuple[list[Path], SamplePlan],
) -> None:
    """One instance is created and started but never finishes: the planned one."""
    paths, plan = ten_days
    lines = events(paths)

    def instances(kind: str) -> set[str]:
        regex = REGEX_BY_KIND[kind]
        return {
            match.group(1)
            for _, _, _, message in lines
            if (match := regex.search(message))
        }

    open_runs = instances("created") - instances("finished")

    incomplete = [run for run in plan.log_runs if run.outcome == "incomplete"]
    assert [run.instance for run in incomplete] == sorted(open_runs)
    assert open_runs <= instances("started")


def test_failures_leave_stack_traces_and_stops(
    full_sample: tuple[list[Path], SamplePlan],
) -> None:
    """Failed records come with a multi-line trace; some runs stop at the limit."""
    paths, plan = full_sample
    text = "\n".join(read_text(path) for path in log_files(paths))

    assert re.search(r"Found exception processing record on step .*\n\S.*\n\tat ", text)
    assert "Instance status is FAILED_PROCESS_RECORDS" in text
    assert "has reached the max allowed number of failed records" in text
    assert {run.outcome for run in plan.log_runs} == {
        "ok",
        "empty",
        "failed-records",
        "stopped",
        "incomplete",
    }


def test_skipped_fires_are_logged_by_the_scheduler(
    full_sample: tuple[list[Path], SamplePlan],
) -> None:
    """Every planned skip of a non-concurrent flow is one scheduler line."""
    paths, plan = full_sample

    skipped = [
        message
        for _, _, logger, message in events(paths)
        if logger.endswith(SCHEDULER_LOGGER_SUFFIX)
    ]

    # The stalled run lasts three periods longer, so it overlaps three fires.
    assert len(plan.skips) == STALL_PERIODS == 3
    assert len(skipped) == len(plan.skips)
    assert all(REGEX_BY_KIND["skipped"].search(message) for message in skipped)


def test_one_run_spans_a_rotation_boundary(
    ten_days: tuple[list[Path], SamplePlan],
) -> None:
    """A run is created in an older file and finishes in the next newer one."""
    paths, _ = ten_days
    created_in: dict[str, str] = {}
    finished_in: dict[str, str] = {}

    for path, _, _, message in events(paths):
        if match := REGEX_BY_KIND["created"].search(message):
            created_in[match.group(1)] = path.name
        elif match := REGEX_BY_KIND["finished"].search(message):
            finished_in[match.group(1)] = path.name

    spanning = [
        instance
        for instance, name in finished_in.items()
        if created_in[instance] != name
    ]
    assert spanning


def test_frequent_jobs_log_every_fire_of_their_last_window(
    ten_days: tuple[list[Path], SamplePlan],
) -> None:
    """A job firing more than hourly has a run or a skip for each of its last fires."""
    _, plan = ten_days
    fires = Counter(run.flow for run in plan.runs) + Counter(
        skip.flow for skip in plan.skips
    )

    assert FREQUENT_RUNS == 1_000
    assert {flow: fires[flow] for flow in FREQUENT_FIRES} == FREQUENT_FIRES


def test_frequent_fires_are_one_period_apart_up_to_the_end(
    ten_days: tuple[list[Path], SamplePlan],
) -> None:
    """The 1-second job's 1,000 runs are 1 s apart, the last in the last second."""
    _, plan = ten_days
    end = datetime(2026, 9, 11, tzinfo=timezone.utc)

    fired = [run.fired_at for run in plan.runs if run.flow == "reservation-expiry-flow"]
    gaps = {later - earlier for earlier, later in itertools.pairwise(fired)}

    assert len(fired) == 1_000
    assert gaps == {timedelta(seconds=1)}
    assert end - timedelta(seconds=1) <= fired[-1] < end


def test_a_job_slower_than_its_period_falls_behind_within_the_sample(
    ten_days: tuple[list[Path], SamplePlan],
) -> None:
    """The 1-second poll's runs outlast a second: they queue, yet begin in time."""
    _, plan = ten_days
    end = datetime(2026, 9, 11, tzinfo=timezone.utc)

    runs = [run for run in plan.runs if run.flow == "customersPurgeBatch"]
    fired = [run.fired_at for run in runs]
    gaps = {later - earlier for earlier, later in itertools.pairwise(fired)}

    assert 1 < len(runs) < FREQUENT_RUNS
    assert gaps == {timedelta(seconds=1)}
    assert all(run.started_at < end for run in runs)
    assert runs[-1].started_at - runs[-1].fired_at > timedelta(minutes=5)


def test_history_holds_the_jobs_without_batch_and_one_bad_row(
    inventory: Inventory, ten_days: tuple[list[Path], SamplePlan]
) -> None:
    """The CSV has one row per history run, for jobs without a batch job only."""
    paths, plan = ten_days
    path = next(path for path in paths if path.name == HISTORY_FILE)

    rows = list(csv.DictReader(io.StringIO(read_text(path))))
    backwards = [
        row
        for row in rows
        if datetime.fromisoformat(row["finished_at"])
        < datetime.fromisoformat(row["started_at"])
    ]

    without_batch = {
        job.flow
        for job in inventory.jobs
        if job.trigger.is_scheduled and not job.batch_job
    }
    assert tuple(rows[0]) == HISTORY_COLUMNS
    assert len(rows) == len(plan.history_runs)
    assert {row["job"] for row in rows} == without_batch
    assert [row["instance"] for row in backwards] == [plan.malformed_instance]


def test_the_full_sample_stays_under_15_mb(
    full_sample: tuple[list[Path], SamplePlan],
) -> None:
    """Ninety days of logs and history take less than 15 MB uncompressed."""
    paths, _ = full_sample

    sizes = {path.name: len(read_text(path).encode("utf-8")) for path in paths}

    assert sum(sizes.values()) < SIZE_LIMIT
    assert len(paths) == 8 * 3 + 1


def test_gzipped_file_starts_with_the_startup_banner(
    ten_days: tuple[list[Path], SamplePlan],
) -> None:
    """The oldest file is valid gzip and opens with the app's deployment lines."""
    paths, _ = ten_days

    oldest = [path for path in paths if path.suffix == ".gz"]
    heads = [read_text(path).splitlines()[:3] for path in oldest]

    assert len(oldest) == 8
    for path, head in zip(oldest, heads, strict=True):
        app = path.name.removeprefix("mule-app-").removesuffix(".2.log.gz")
        assert EVENT_LINE.match(head[0])
        assert f"Started app '{app}'" in "\n".join(head)


def test_a_shorter_sample_removes_older_rotations(
    inventory: Inventory, tmp_path: Path
) -> None:
    """Writing three days over a ten-day sample leaves no rotated file behind."""
    write_sample_logs(inventory, tmp_path, days=10, rotate_days=4)

    paths = write_sample_logs(inventory, tmp_path, days=3, rotate_days=4)

    assert sorted(tmp_path.iterdir()) == paths
    assert len(paths) == len(inventory.apps) + 1
