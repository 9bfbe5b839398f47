"""Damaged and misnamed gzip files: read what can be read, count it, say so."""

from __future__ import annotations

import gzip
import logging
import zlib
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from kit.runlog import ingest_logs
from kit.runlog.ingest import IngestSummary
from kit.store import open_store

ENGINE = "com.mulesoft.mule.runtime.module.batch.internal.engine.DefaultBatchEngine"
THREAD = "[MuleRuntime].uber.01: [app].hourly.CPU_LITE @1"
COUNTS = ("event_lines", "other_lines", "continuation_lines", "rejected_lines")


def mule4_log(job: str, runs: int) -> bytes:
    """A Mule 4 log of ``runs`` runs of ``job``, one a minute, two lines each."""
    lines = []
    for number in range(runs):
        at = datetime(2026, 3, 2) + timedelta(minutes=number)
        stamp = f"INFO  {at:%Y-%m-%d %H:%M:%S},000 [{THREAD}] {ENGINE}:"
        lines.append(f"{stamp} Created instance 'r{number}' for batch job '{job}'")
        lines.append(
            f"{stamp} Finished execution for instance 'r{number}' of job '{job}'. "
            "Total Records processed: 10. Successful records: 10. Failed Records: 0"
        )
    return ("\n".join(lines) + "\n").encode()


def gzip_cut_after(data: bytes, keep: int) -> bytes:
    """A gzip stream of the first ``keep`` bytes of ``data`` that then stops dead."""
    compressor = zlib.compressobj(wbits=31)
    return compressor.compress(data[:keep]) + compressor.flush(zlib.Z_FULL_FLUSH)


def ingest_folder(folder: Path) -> tuple[IngestSummary, dict[str, int]]:
    """Ingest ``folder`` into a new store; return the summary and runs per job."""
    con = open_store()
    summary = ingest_logs(con, [folder])
    runs = dict(con.execute("SELECT job, count(*) FROM runs GROUP BY job").fetchall())
    return summary, runs


def counts_of(summary: IngestSummary, name: str) -> dict:
    """The summary's counts for the file called ``name``."""
    [counts] = [item for item in summary.files if Path(item.path).name == name]
    return counts.to_json()


def gzip_warnings(caplog: pytest.LogCaptureFixture, name: str) -> list[str]:
    """The warnings that name the file ``name`` and its gzip stream."""
    return [
        record.getMessage()
        for record in caplog.records
        if record.levelno == logging.WARNING
        and name in record.getMessage()
        and "gzip stream" in record.getMessage()
    ]


def test_a_gzip_log_cut_in_half_is_read_up_to_the_cut(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The lines before the cut are counted and parsed; the other file still is."""
    whole = gzip.compress(mule4_log("cutJob", 2_000), mtime=0)
    (tmp_path / "cut.log.gz").write_bytes(whole[: len(whole) // 2])
    (tmp_path / "whole.log").write_bytes(mule4_log("wholeJob", 50))
    # What zlib alone makes of the half file, to compare with.
    readable = zlib.decompressobj(wbits=31).decompress(whole[: len(whole) // 2])
    lines = readable.count(b"\n") + (not readable.endswith(b"\n"))

    summary, runs = ingest_folder(tmp_path)
    cut = counts_of(summary, "cut.log.gz")

    assert 0 < lines < 4_000
    assert cut["lines"] == lines == sum(cut[name] for name in COUNTS)
    assert cut["problems"][0].startswith(f"gzip stream broken after {len(readable):,}")
    assert runs == {"cutJob": readable.count(b"Created instance"), "wholeJob": 50}
    [warning] = gzip_warnings(caplog, "cut.log.gz")
    assert "Copy the file again" in warning


def test_the_problem_is_kept_in_log_files(tmp_path: Path) -> None:
    """log_files keeps the broken stream among the file's problems."""
    data = mule4_log("cutJob", 10)
    (tmp_path / "cut.log.gz").write_bytes(gzip_cut_after(data, len(data) // 2))
    con = open_store()

    ingest_logs(con, [tmp_path])
    [(path, problems)] = con.execute("SELECT path, problems FROM log_files").fetchall()

    assert path.endswith("cut.log.gz")
    assert any(problem.startswith("gzip stream broken") for problem in problems)


def test_a_gzip_run_history_cut_in_a_row_keeps_the_rows_before(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A CSV cut in row 101's start time gives 100 runs and rejects that row."""
    header = "app,job,instance,started_at,finished_at,records_total,records_failed\n"
    rows = [
        f"app,nightly,r{number},2026-03-02 01:{number % 60:02d}:00,"
        f"2026-03-02 02:{number % 60:02d}:00,10,0\n"
        for number in range(200)
    ]
    data = (header + "".join(rows)).encode()
    keep = (
        len(header) + sum(len(row) for row in rows[:100]) + len("app,nightly,r100,20")
    )
    (tmp_path / "history.csv.gz").write_bytes(gzip_cut_after(data, keep))

    summary, runs = ingest_folder(tmp_path)
    history = counts_of(summary, "history.csv.gz")

    assert runs == {"nightly": 100}
    assert (history["lines"], history["event_lines"]) == (102, 100)
    assert (history["rejected_lines"], history["other_lines"]) == (1, 1)
    assert len(gzip_warnings(caplog, "history.csv.gz")) == 1


def test_a_gzip_file_broken_from_its_start_reads_nothing_and_says_so(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A gzip header followed by garbage is an empty file with a problem; no abort."""
    header = gzip.compress(b"", mtime=0)[:10]
    (tmp_path / "garbage.log.gz").write_bytes(header + b"\xff not deflate" * 50)
    (tmp_path / "whole.log").write_bytes(mule4_log("wholeJob", 5))

    summary, runs = ingest_folder(tmp_path)
    garbage = counts_of(summary, "garbage.log.gz")

    assert (garbage["layout"], garbage["lines"]) == ("empty", 0)
    assert garbage["problems"][0].startswith("gzip stream broken after 0 bytes")
    assert runs == {"wholeJob": 5}
    assert len(gzip_warnings(caplog, "garbage.log.gz")) == 1


@pytest.mark.parametrize(
    ("name", "data", "runs"),
    [
        ("plain.log.gz", mule4_log("plainJob", 3), {"plainJob": 3}),
        (
            "plain.csv.gz",
            b"job,instance,started_at,finished_at,records_total,records_failed\n"
            b"nightly,r1,2026-03-02 01:00:00,2026-03-02 01:05:00,7,0\n",
            {"nightly": 1},
        ),
    ],
)
def test_plain_content_under_a_gz_name_is_read_as_plain(
    tmp_path: Path, name: str, data: bytes, runs: dict[str, int]
) -> None:
    """A .gz name on content without the gzip magic is read as it is."""
    (tmp_path / name).write_bytes(data)

    summary, found = ingest_folder(tmp_path)

    assert found == runs
    assert counts_of(summary, name)["problems"] == []


def test_a_zero_byte_gz_is_an_empty_file(tmp_path: Path) -> None:
    """An empty .gz file is counted as empty, with no lines and no runs."""
    (tmp_path / "empty.log.gz").write_bytes(b"")

    summary, runs = ingest_folder(tmp_path)

    assert counts_of(summary, "empty.log.gz")["layout"] == "empty"
    assert counts_of(summary, "empty.log.gz")["problems"] == ["empty file"]
    assert (summary.total("lines"), runs) == (0, {})
