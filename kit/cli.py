"""The ``kit`` command: one subcommand per pipeline stage.

Exit status: 0 when all went well, 1 when the input has error findings, 2 on a
usage error or when ``--strict`` stops at the first error.

Each subcommand imports its stage when it runs, so that a command starts
without loading the others (the simulator alone pulls in numba).
"""

from __future__ import annotations

import argparse
import ast
import errno
import json
import logging
import math
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from kit import __version__
from kit.errors import InputError, KitError

if TYPE_CHECKING:
    from kit.portfolio import Inventory
    from kit.scenario import Scenario
    from kit.simulate import Simulation

log = logging.getLogger(__name__)

# The simulator's modes (kit.simulate.MODES, which a test keeps equal), spelt
# out so that building the parser does not import the simulator.
MODES = ("streaming", "micro-batch", "batch")

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2
EXIT_BROKEN_PIPE = 128 + 13  # what a shell reports for a command killed by SIGPIPE


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit status."""
    parser = _parser()
    arguments = parser.parse_args(argv)
    logging.basicConfig(format="kit: %(message)s", stream=sys.stderr)
    logging.getLogger("kit").setLevel(
        logging.DEBUG if arguments.verbose else logging.INFO
    )
    try:
        return arguments.run(arguments)
    except KitError as exc:
        print(f"kit: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        # The reader went away (`kit ... --json - | head`): stop quietly, as a
        # command killed by SIGPIPE would, without a traceback at exit.
        _silence_stdout()
        return EXIT_BROKEN_PIPE
    except OSError as exc:
        print(f"kit: error: {_file_problem(exc)}", file=sys.stderr)
        return EXIT_USAGE


def _file_problem(exc: OSError) -> str:
    """One line for a path the system refused: which path, why, what to do."""
    where = f" {exc.filename!r}" if exc.filename else ""
    reason = exc.strerror or str(exc)
    return f"cannot write or read{where}: {reason}; {_REMEDIES.get(exc.errno, _CHECK)}"


_CHECK = "check the path"
_REMEDIES = {
    errno.ENOSPC: "free some space or choose a path on another disk",
    errno.EACCES: "choose a folder you may write to",
    errno.EPERM: "choose a folder you may write to",
    errno.EROFS: "choose a folder on a disk that is not read-only",
    errno.EISDIR: "give a file's path, not a folder's",
    errno.EEXIST: "a file stands where a folder is needed; " + _CHECK,
    errno.ENOTDIR: "a file stands where a folder is needed; " + _CHECK,
}


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush cannot fail."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout is not a real file (captured in tests)
        pass


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kit",
        description="Assess MuleSoft batch jobs for a move to micro-batch or "
        "streaming.",
    )
    parser.add_argument("--version", action="version", version=__version__)
    parser.add_argument("-v", "--verbose", action="store_true", help="debug output")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    inventory = commands.add_parser(
        "inventory", help="parse Mule apps into jobs, schedules, steps and calls"
    )
    inventory.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    inventory.add_argument("--db", type=Path, help="assessment DuckDB file to write")
    inventory.add_argument("--json", metavar="FILE", help="write JSON; '-' for stdout")
    inventory.add_argument(
        "--strict", action="store_true", help="stop at the first error"
    )
    inventory.add_argument(
        "--property",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="set a placeholder value, overriding the property files",
    )
    inventory.add_argument(
        "--micro-batch-threshold",
        type=_positive_minutes,
        default=15.0,
        metavar="MINUTES",
        help="schedules at most this far apart count as micro-batch (default 15)",
    )
    inventory.set_defaults(run=run_inventory)

    logs = commands.add_parser(
        "logs", help="turn Mule runtime logs (and CSV run histories) into runs"
    )
    logs.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    logs.add_argument("--db", type=Path, required=True, help="assessment DuckDB file")
    logs.add_argument("--app", help="application name when the logs do not tell")
    logs.add_argument(
        "--log-time-zone",
        type=_time_zone,
        default="UTC",
        metavar="ZONE",
        help="zone the log timestamps are written in (default UTC)",
    )
    logs.add_argument(
        "--json", metavar="FILE", help="write a JSON summary; '-' for stdout"
    )
    logs.set_defaults(run=run_logs)

    samples = commands.add_parser(
        "samples", help="write deterministic sample run logs for a portfolio"
    )
    samples.add_argument(
        "--apps", type=Path, default=Path("data/apps"), help="the apps to log runs of"
    )
    samples.add_argument("--out", type=Path, default=Path("build/samples/logs"))
    samples.add_argument("--days", type=_whole_number(1), default=90)
    samples.add_argument("--seed", type=_whole_number(0), default=7)
    samples.set_defaults(run=run_samples)

    estimate = commands.add_parser(
        "estimate", help="freshness and API load under batch, micro-batch, streaming"
    )
    estimate.add_argument("scenario", type=Path, nargs="?", metavar="SCENARIO.toml")
    estimate.add_argument("--db", type=Path, help="estimate every job in this store")
    estimate.add_argument(
        "--scenario-defaults",
        type=Path,
        metavar="FILE",
        help="scenario TOML whose values fill what the store does not know",
    )
    estimate.add_argument("--json", metavar="FILE", help="write JSON; '-' for stdout")
    estimate.set_defaults(run=run_estimate)

    simulate = commands.add_parser(
        "simulate", help="replay records through streaming, micro-batch and batch"
    )
    simulate.add_argument("scenario", type=Path, nargs="?", metavar="SCENARIO.toml")
    simulate.add_argument(
        "--mode", choices=[*MODES, "all"], default="all", help="default: all"
    )
    simulate.add_argument(
        "--records",
        metavar="FILE",
        help="CSV or Parquet records to replay, or table:NAME in --db",
    )
    simulate.add_argument(
        "--db",
        type=Path,
        help="assessment DuckDB file to write; alone, simulate its stored jobs",
    )
    simulate.add_argument(
        "--job",
        action="append",
        default=[],
        metavar="NAME",
        help="with --db and no scenario: simulate only this job (repeatable)",
    )
    simulate.add_argument("--json", metavar="FILE", help="write JSON; '-' for stdout")
    simulate.set_defaults(run=run_simulate)

    report = commands.add_parser(
        "report",
        help="run every stage and render the notebooks into an offline HTML report",
        description="With no paths, assess the bundled sample portfolio in data/.",
    )
    report.add_argument("--apps", type=Path, metavar="DIR", help="Mule apps to assess")
    report.add_argument("--logs", type=Path, metavar="DIR", help="their runtime logs")
    report.add_argument(
        "--records", type=Path, metavar="FILE", help="CSV or Parquet records to replay"
    )
    report.add_argument(
        "--scenario-defaults",
        type=Path,
        metavar="FILE",
        help="scenario TOML whose values fill what the store does not know",
    )
    report.add_argument(
        "--out", type=Path, default=Path("reports"), help="default: reports"
    )
    report.add_argument(
        "--job",
        action="append",
        default=[],
        metavar="NAME",
        help="show and simulate only this job (repeatable)",
    )
    report.add_argument(
        "-p",
        "--parameter",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="notebook parameter; VALUE is read as a Python literal if it is one",
    )
    report.set_defaults(run=run_report)
    return parser


def run_inventory(arguments: argparse.Namespace) -> int:
    """``kit inventory``: take the inventory and write the table, JSON or summary."""
    from kit.portfolio import take_inventory, write_inventory
    from kit.store import open_store

    inventory = take_inventory(
        arguments.paths,
        properties=_key_values(arguments.property),
        micro_batch_threshold_min=arguments.micro_batch_threshold,
        strict=arguments.strict,
    )
    if arguments.db:
        with open_store(arguments.db) as con:
            write_inventory(con, inventory)
        log.info("inventory written to %s", arguments.db)
    if arguments.json:
        _write_json(inventory.to_json(), arguments.json)
    else:
        print(summarise_inventory(inventory))
    return EXIT_FINDINGS if inventory.has_errors else EXIT_OK


def run_logs(arguments: argparse.Namespace) -> int:
    """``kit logs``: ingest logs into the store and rebuild the runs."""
    from kit.runlog import ingest_logs
    from kit.store import open_store

    for path in arguments.paths:
        if not path.exists():
            raise InputError(f"no such file or folder: {str(path)!r}; check the path")
    with open_store(arguments.db) as con:
        summary = ingest_logs(
            con,
            arguments.paths,
            app=arguments.app,
            log_time_zone=arguments.log_time_zone,
        )
    if arguments.json:
        _write_json(summary.to_json(), arguments.json)
    else:
        document = summary.to_json()
        print(
            f"{document['files']} files, {document['lines']:,} lines: "
            f"{document['event_lines']:,} engine events, "
            f"{document['other_lines']:,} other, "
            f"{document['continuation_lines']:,} continuation, "
            f"{document['rejected_lines']:,} rejected; {document['runs']:,} runs"
        )
        for counts in summary.files:
            if counts.unread:
                reasons = "; ".join(counts.problems) or f"layout {counts.layout}"
                print(f"  not read as a log: {counts.path}: {reasons}")
    unread = any(counts.unread for counts in summary.files)
    return EXIT_FINDINGS if unread else EXIT_OK


def run_samples(arguments: argparse.Namespace) -> int:
    """``kit samples``: sample logs and a CSV run history for a portfolio's jobs."""
    from kit.portfolio import take_inventory
    from kit.runlog.samples import write_sample_logs

    inventory = take_inventory([arguments.apps])
    arguments.out.mkdir(parents=True, exist_ok=True)
    paths = write_sample_logs(
        inventory, arguments.out, days=arguments.days, seed=arguments.seed
    )
    log.info("samples: %d files written to %s", len(paths), arguments.out)
    return EXIT_OK


def run_estimate(arguments: argparse.Namespace) -> int:
    """``kit estimate``: figures for one scenario, or for every job of a store."""
    from kit.estimate import estimate_scenario
    from kit.estimate.portfolio import estimate_portfolio
    from kit.scenario import load_scenario
    from kit.store import open_store

    if (arguments.scenario is None) == (arguments.db is None):
        raise InputError("give either SCENARIO.toml or --db FILE, not both or none")
    if arguments.scenario is not None:
        figures = estimate_scenario(load_scenario(arguments.scenario))
        if arguments.json:
            _write_json(figures, arguments.json)
        else:
            print(summarise_estimate(figures))
        return EXIT_OK

    defaults = (
        load_scenario(arguments.scenario_defaults)
        if arguments.scenario_defaults
        else None
    )
    if not arguments.db.exists():
        raise InputError(
            f"no assessment database at {str(arguments.db)!r}; run kit inventory "
            "and kit logs with --db on it first"
        )
    with open_store(arguments.db) as con:
        jobs = estimate_portfolio(con, defaults)
    if arguments.json:
        _write_json({"jobs": jobs}, arguments.json)
    else:
        print("\n\n".join(summarise_estimate(figures) for figures in jobs))
    return EXIT_OK


def run_simulate(arguments: argparse.Namespace) -> int:
    """``kit simulate``: replay one scenario's records, or every stored job's."""
    from kit.scenario import load_scenario
    from kit.simulate import read_records, simulate_scenario, write_simulation
    from kit.store import open_store

    if arguments.scenario is None:
        return _simulate_stored_jobs(arguments)
    if arguments.job:
        raise InputError("--job picks stored jobs; give --db FILE without a scenario")
    scenario = load_scenario(arguments.scenario)
    modes = MODES if arguments.mode == "all" else (arguments.mode,)
    source = arguments.records or _scenario_records(scenario, arguments.scenario)

    con = open_store(arguments.db) if arguments.db else None
    try:
        records = read_records(scenario, source, con) if source else None
        simulation = simulate_scenario(scenario, modes, records)
        if con is not None:
            write_simulation(con, simulation)
            log.info("simulation written to %s", arguments.db)
    finally:
        if con is not None:
            con.close()

    if arguments.json:
        _write_json(simulation.to_json(), arguments.json)
    else:
        print(summarise_simulation(simulation))
    return EXIT_OK


def _simulate_stored_jobs(arguments: argparse.Namespace) -> int:
    """``kit simulate --db FILE``: every scenario the estimates stored."""
    from kit.simulate.portfolio import simulate_portfolio
    from kit.store import open_store

    if arguments.db is None:
        raise InputError("give SCENARIO.toml, or --db FILE to simulate its jobs")
    if not arguments.db.exists():
        raise InputError(
            f"no assessment database at {str(arguments.db)!r}; run kit inventory, "
            "kit logs and kit estimate --db on it first"
        )
    modes = MODES if arguments.mode == "all" else (arguments.mode,)
    with open_store(arguments.db) as con:
        jobs = simulate_portfolio(
            con, tuple(arguments.job), arguments.records, modes=modes
        )
    if arguments.json:
        _write_json({"jobs": jobs}, arguments.json)
    else:
        for job in jobs:
            modes_seen = job["modes"]
            print(
                f"{job['scenario']}: "
                + "; ".join(
                    f"{mode} p95 {_seconds(figures['latency_s']['p95'])}"
                    for mode, figures in modes_seen.items()
                )
            )
    return EXIT_OK


def run_report(arguments: argparse.Namespace) -> int:
    """``kit report``: the whole assessment, rendered; 1 if a notebook failed."""
    from kit.report import Sources, build_report

    if arguments.apps is None:
        if arguments.logs or arguments.records:
            raise InputError("--logs and --records go with --apps DIR")
        sources = Sources.bundled()
    else:
        sources = Sources(
            apps=arguments.apps, logs=arguments.logs, records=arguments.records
        )
    if arguments.scenario_defaults:
        sources = replace(sources, scenario_defaults=arguments.scenario_defaults)
    given = (sources.apps, sources.logs, sources.records, sources.scenario_defaults)
    for path in given:
        if path is not None and not path.exists():
            raise InputError(f"no such file or folder: {str(path)!r}; check the path")

    report = build_report(
        sources,
        arguments.out,
        jobs=arguments.job,
        parameters=_literal_values(arguments.parameter),
    )
    for run in report.failed:
        print(f"kit: notebook failed: {run.error}", file=sys.stderr)
    print(f"report: {report.index}")
    return EXIT_FINDINGS if report.failed else EXIT_OK


def _literal_values(pairs: Sequence[str]) -> dict[str, object]:
    """KEY=VALUE pairs, each value a Python literal where it reads as one."""
    values: dict[str, object] = {}
    for key, text in _key_values(pairs, "-p").items():
        try:
            values[key] = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            values[key] = text
    return values


def _scenario_records(scenario: Scenario, scenario_path: Path) -> str | None:
    """The scenario's own records file, found beside the scenario if relative."""
    if scenario.arrivals.process != "records" or scenario.arrivals.file is None:
        return None
    path = Path(scenario.arrivals.file)
    beside = scenario_path.parent / path
    return str(path if path.is_absolute() or path.exists() else beside)


def summarise_simulation(simulation: Simulation) -> str:
    """A few plain lines per mode: outcomes, latency and API calls."""
    lines = [
        f"simulation {simulation.scenario.name}: {len(simulation.records):,} "
        f"records from {simulation.records.source}"
    ]
    for mode, run in simulation.runs.items():
        figures = run.figures
        latency = figures["latency_s"]
        lines.append(
            f"  {mode:<12} loaded {figures['loaded']:,}, dead letters "
            f"{figures['dead_lettered']:,}, in flight {figures['in_flight']:,}; "
            f"latency p50 {_seconds(latency['p50'])}, p95 {_seconds(latency['p95'])}; "
            f"API peak {figures['api_calls']['peak_per_min']:,}/min"
        )
    return "\n".join(lines)


def summarise_estimate(figures: dict) -> str:
    """A few plain lines: latency per mode, API peaks and the recommendation."""
    streaming, micro, batch = (
        figures["streaming"],
        figures["micro_batch"],
        figures["batch"],
    )
    peaks = figures["enrichment"]["peak_calls_per_min"]
    lines = [
        f"scenario {figures['scenario']}",
        f"  streaming    p95 {_seconds(streaming['latency_p95_s'])}, "
        f"utilisation {streaming['utilisation']:.2f}, "
        f"API peak {peaks['streaming']:.0f}/min",
        f"  micro-batch  p95 {_seconds(micro['latency_p95_s'])}, "
        f"API peak {peaks['micro_batch']:.0f}/min",
        f"  batch        max {_seconds(batch['latency_max_s'])}, "
        f"run {_seconds(batch['run_duration_s'])}, API peak {peaks['batch']:.0f}/min",
        f"recommendation: {figures['recommendation']['mode']}: "
        f"{figures['recommendation']['reason']}",
    ]
    return "\n".join(lines)


def _seconds(value: float | None) -> str:
    return "unbounded" if value is None else f"{value:,.1f} s"


def summarise_inventory(inventory: Inventory) -> str:
    """A plain-text table of jobs and a count of findings, for a terminal."""
    rows = [("app", "flow", "batch job", "mode", "trigger", "schedule", "calls/rec")]
    for job in inventory.jobs:
        rows.append(
            (
                job.app,
                job.flow,
                job.batch_job or "-",
                job.mode,
                job.trigger.source,
                job.trigger.description or "-",
                str(job.calls_per("record")),
            )
        )
    widths = [min(max(len(row[i]) for row in rows), 40) for i in range(len(rows[0]))]
    lines = [
        "  ".join(
            cell[:40].ljust(width) for cell, width in zip(row, widths, strict=True)
        )
        for row in rows
    ]
    counts = {
        severity: sum(f.severity == severity for f in inventory.findings)
        for severity in ("error", "warning", "info")
    }
    lines.append("")
    lines.append(
        f"{len(inventory.apps)} apps, {len(inventory.jobs)} jobs; findings: "
        + ", ".join(f"{n} {severity}" for severity, n in counts.items())
    )
    lines.extend(_error_lines(inventory))
    return "\n".join(line.rstrip() for line in lines)


def _error_lines(inventory: Inventory, most: int = 10) -> list[str]:
    """The first error findings as app/file:line: message, and how to see all."""
    errors = [f for f in inventory.findings if f.severity == "error"]
    lines = [
        f"  error {finding.app}/{finding.file}:{finding.line or '-'}: {finding.message}"
        for finding in errors[:most]
    ]
    if len(errors) > most:
        lines.append(
            f"  … and {len(errors) - most} more errors; --json - or the findings "
            "table lists them all"
        )
    return lines


def _positive_minutes(text: str) -> float:
    """A number of minutes above zero, for argparse."""
    try:
        minutes = float(text)
    except ValueError:
        minutes = math.nan
    if not (math.isfinite(minutes) and minutes > 0):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a number of minutes above 0; give one such as 15"
        )
    return minutes


def _time_zone(text: str) -> str:
    """A time zone id the system knows, for argparse."""
    from kit.schedule import zone_or_utc

    if not zone_or_utc(text)[1]:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a known time zone; give an IANA id such as "
            "'Europe/Paris' or 'UTC'"
        )
    return text.strip()


def _whole_number(least: int) -> Callable[[str], int]:
    """An argparse type: a whole number of at least ``least``."""

    def whole_number(text: str) -> int:
        try:
            number = int(text)
        except ValueError:
            number = least - 1
        if number < least:
            raise argparse.ArgumentTypeError(
                f"{text!r} is not a whole number of at least {least}"
            )
        return number

    return whole_number


def _key_values(pairs: Sequence[str], option: str = "--property") -> dict[str, str]:
    values = {}
    for pair in pairs:
        key, separator, value = pair.partition("=")
        if not separator or not key:
            raise InputError(f"{option} {pair!r} is not KEY=VALUE; write it so")
        values[key.strip()] = value
    return values


def _write_json(document: dict, target: str) -> None:
    text = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    if target == "-":
        print(text)
    else:
        Path(target).parent.mkdir(parents=True, exist_ok=True)
        Path(target).write_text(text + "\n", encoding="utf-8")
