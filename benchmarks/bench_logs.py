"""Run-history speed: the whole ``kit logs`` process against DuckDB's own line count.

Writes a 1,000,000-line Mule 4 log (one line in ten from the batch engine,
runs of a hundred records), then times, each as a fresh process in the same
run, ``kit logs`` on it and a bare DuckDB ``count(*)`` of its lines, and prints
the ratio. In-process figures for the parsing alone follow, with the content
hash alone: work the issue requires that the baseline does not do.

    python benchmarks/bench_logs.py [--lines 1000000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from kit.runlog import ingest_logs
from kit.store import open_store

THREAD = "[MuleRuntime].uber.04: [orders].orders-flow.CPU_LITE @5a1b2c3d"
ENGINE = "com.mulesoft.mule.runtime.module.batch.internal.engine.DefaultBatchEngine"
OTHER = "org.mule.runtime.core.internal.processor.LoggerMessageProcessor"
COUNT_SQL = (
    "SELECT count(*) FROM read_csv('{path}', columns={{'line': 'VARCHAR'}}, "
    "delim=chr(10), quote='', escape='', header=false, auto_detect=false)"
)
COUNT_PROCESS = (
    "import duckdb, sys; duckdb.sql(sys.argv[1].format(path=sys.argv[2])).fetchall()"
)


def write_log(path: Path, lines: int) -> None:
    """A Mule 4 log: each run is 10 engine lines among 90 others."""
    with open(path, "w", encoding="utf-8") as out:
        for number in range(lines):
            run, position = divmod(number, 100)
            second = number // 50
            stamp = f"2026-03-{1 + second // 86400 % 28:02d} " + (
                f"{second // 3600 % 24:02d}:{second // 60 % 60:02d}:{second % 60:02d}"
                f",{number % 1000:03d}"
            )
            prefix = f"INFO  {stamp} [{THREAD}] [processor: f/1; event: e{run}] "
            instance = f"'run-{run:06d}'"
            if position == 0:
                message = (
                    f"{ENGINE}: Created instance {instance} for batch job 'ordersBatch'"
                )
            elif position == 99:
                message = (
                    f"{ENGINE}: Finished execution for instance {instance} of job "
                    "'ordersBatch'. Total Records processed: 100. Successful records: "
                    "99. Failed Records: 1"
                )
            elif position % 10 == 0:
                message = (
                    f"{ENGINE}: Started execution of instance {instance} of job "
                    "'ordersBatch'"
                )
            else:
                message = (
                    f"{OTHER}: order {number} enriched with customer {number % 977}"
                )
            out.write(prefix + message + "\n")


def timed_process(arguments: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(arguments, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    arguments = parser.parse_args()
    kit = str(Path(sys.executable).with_name("kit"))

    with tempfile.TemporaryDirectory() as folder:
        log = Path(folder) / "mule_ee.log"
        write_log(log, arguments.lines)
        size_mb = log.stat().st_size / 1e6
        baseline, whole = [], []
        for attempt in range(arguments.repeat):
            baseline.append(
                timed_process(
                    [sys.executable, "-c", COUNT_PROCESS, COUNT_SQL, str(log)]
                )
            )
            database = Path(folder) / f"run{attempt}.duckdb"
            whole.append(timed_process([kit, "logs", str(log), "--db", str(database)]))

        con = open_store()
        start = time.perf_counter()
        summary = ingest_logs(con, [log])
        parse_s = time.perf_counter() - start
        start = time.perf_counter()
        duckdb.sql(COUNT_SQL.format(path=log)).fetchall()
        count_s = time.perf_counter() - start
        start = time.perf_counter()
        digest = hashlib.sha256()
        with open(log, "rb") as stream:
            while chunk := stream.read(4 * 1024 * 1024):
                digest.update(chunk)
        hash_s = time.perf_counter() - start

    base, kit_s = statistics.median(baseline), statistics.median(whole)
    print(f"log: {arguments.lines:,} lines, {size_mb:.0f} MB, {summary.runs:,} runs")
    print(f"duckdb count(*) process : {base:6.2f} s")
    print(f"kit logs process        : {kit_s:6.2f} s")
    print(f"ratio (processes)       : {kit_s / base:6.2f}x  (aim: within 2x)")
    print(
        f"in process: ingest {parse_s:.2f} s vs count {count_s:.2f} s "
        f"({parse_s / count_s:.1f}x; {arguments.lines / parse_s / 1e6:.2f} M lines/s)"
    )
    print(f"sha-256 of the file alone: {hash_s:.2f} s")


if __name__ == "__main__":
    main()
