"""The app of a run: the one its lines name wins over the fallback for the whole run."""

from __future__ import annotations

from pathlib import Path

import pytest

from kit.runlog import ingest_logs
from kit.store import open_store
from tests.conftest import LOG_CORPUS

ENGINE = "com.mulesoft.module.batch.engine.DefaultBatchEngine"
SCHEDULER = "org.mule.runtime.module.scheduler.internal.DefaultSchedulerMessageSource"
WORKER = "[batch-job-pollBatch-work-manager.01]"
CONSOLE_69 = (
    "mule3-studio-console__pksinghgit__69-fixed-length-csv-db.batch-lines-only.log"
)


def console_line(second: int, thread: str, logger: str, message: str) -> str:
    """One Mule 3 Studio console line at 16:39:``second`` on 2017-12-04."""
    return f"2017-12-04 16:39:{second:02d},000 {thread} INFO  {logger} - {message}\n"


def created(second: int, thread: str, instance: str) -> str:
    """The line creating ``instance`` of ``pollBatch`` on ``thread``."""
    message = f"Created instance {instance} for batch job pollBatch"
    return console_line(second, thread, ENGINE, message)


def finished(second: int, instance: str) -> str:
    """The line of a clean finish of ``instance``, on a worker that names no app."""
    message = (
        f"Finished execution for instance '{instance}' of job 'pollBatch'. "
        "Total Records processed: 2. Successful records: 2. Failed Records: 0"
    )
    return console_line(second, WORKER, ENGINE, message)


def runs_by_instance(folder: Path, app: str | None) -> dict[str, str | None]:
    """Ingest ``folder`` with ``app`` as fallback; return each run's app."""
    con = open_store()
    ingest_logs(con, [folder], app=app)
    return dict(con.execute("SELECT instance, app FROM runs").fetchall())


def test_the_app_a_thread_names_wins_over_the_app_option(tmp_path: Path) -> None:
    """A run created on an app's thread and finished on a worker keeps that app."""
    (tmp_path / "studio.log").write_text(
        created(1, "[[orders].poll.stage1.02]", "a1")
        + finished(2, "a1")
        + created(3, "[pool-14-thread-1]", "b2")
        + finished(4, "b2")
    )

    assert runs_by_instance(tmp_path, app="polls") == {"a1": "orders", "b2": "polls"}


def test_the_app_of_a_file_name_is_only_a_fallback(tmp_path: Path) -> None:
    """A rotated file's name gives the app only to runs whose lines name none."""
    (tmp_path / "mule-app-zeta.log").write_text(
        created(1, "[[alpha].poll.stage1.02]", "a1")
        + finished(2, "a1")
        + finished(3, "b2")
    )

    assert runs_by_instance(tmp_path, app=None) == {"a1": "alpha", "b2": "zeta"}


def test_a_skipped_trigger_without_an_app_takes_the_fallback(tmp_path: Path) -> None:
    """A skip logged on a thread that names no app is filed under --app."""
    skipped = (
        "Flow 'poll' is already running and 'disallowConcurrentExecution' is set "
        "to 'true'. Execution skipped."
    )
    (tmp_path / "studio.log").write_text(
        console_line(1, "[pool-14-thread-1]", SCHEDULER, skipped)
        + console_line(2, "[[orders].poll.stage1.02]", SCHEDULER, skipped)
    )
    con = open_store()

    ingest_logs(con, [tmp_path], app="polls")
    rows = con.execute("SELECT app, flow FROM skipped_triggers ORDER BY ALL").fetchall()

    assert rows == [("orders", "poll"), ("polls", "poll")]


@pytest.mark.skipif(
    not (LOG_CORPUS / CONSOLE_69).is_file(), reason="public Mule log corpus not present"
)
def test_app_option_does_not_split_a_real_logs_runs() -> None:
    """All 8 runs of the real console log stay under the app its threads name."""
    con = open_store()

    ingest_logs(con, [LOG_CORPUS / CONSOLE_69], app="polls")
    rows = con.execute("SELECT app, job, runs FROM job_history").fetchall()

    assert rows == [("69-fixed-length-csv-db", "69-fixed-length-csv-dbBatch", 8)]
