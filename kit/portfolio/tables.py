"""Write the inventory into the assessment database, one Arrow table per table.

Columns are read straight off the inventory's objects and handed to DuckDB in
one insert per table: building a dict per row would cost more than the insert.
"""

from __future__ import annotations

from collections.abc import Sequence
from operator import attrgetter
from typing import TYPE_CHECKING

import duckdb

from kit.portfolio.model import Inventory, Job
from kit.store import replace_rows

if TYPE_CHECKING:
    import pyarrow as pa

_KEY_COLUMNS = ("app", "flow", "batch_job")
_APP_COLUMNS = ("app", "path", "mule_version", "files", "property_files")
_FLOW_COLUMNS = ("app", "flow", "kind", "file", "line", "is_job")
_JOB_COLUMNS = (*_KEY_COLUMNS, "file", "line", "mode")
_TRIGGER_COLUMNS = {
    "trigger_kind": "kind",
    "trigger_source": "source",
    "cron": "cron",
    "time_zone": "time_zone",
    "frequency_ms": "frequency_ms",
    "period_s": "period_s",
    "description": "description",
    "defaulted": "defaulted",
    "disallow_concurrent": "disallow_concurrent",
}
_BATCH_COLUMNS = (
    "block_size",
    "max_concurrency",
    "max_failed_records",
    "scheduling_strategy",
)
_STEP_COLUMNS = (
    "position",
    "step",
    "accept_policy",
    "accept_expression",
    "aggregator_size",
    "file",
    "line",
)
_CALL_COLUMNS = (
    "component",
    "per",
    "step",
    "method",
    "path",
    "config_ref",
    "file",
    "line",
)
_FINDING_COLUMNS = ("severity", "code", "app", "file", "line", "message")
_MULTIPLICITIES = ("record", "block", "run")


def write_inventory(con: duckdb.DuckDBPyConnection, inventory: Inventory) -> None:
    """Replace the inventory tables in the assessment database with ``inventory``."""
    jobs = inventory.jobs
    findings = _columns(inventory.findings, _FINDING_COLUMNS)
    findings["stage"] = ["inventory"] * len(inventory.findings)

    replace_rows(con, "apps", _arrow(_columns(inventory.apps, _APP_COLUMNS)))
    replace_rows(con, "flows", _arrow(_columns(inventory.flows, _FLOW_COLUMNS)))
    replace_rows(con, "jobs", _arrow(_job_columns(jobs)))
    replace_rows(con, "steps", _arrow(_part_columns(jobs, "steps", _STEP_COLUMNS)))
    replace_rows(con, "calls", _arrow(_part_columns(jobs, "calls", _CALL_COLUMNS)))
    replace_rows(con, "findings", _arrow(findings), where="stage = 'inventory'")


def _arrow(columns: dict[str, list]) -> pa.Table:
    """An Arrow table of the columns; DuckDB casts each to its column's type."""
    import pyarrow as pa  # only when writing: importing Arrow takes a while

    return pa.table(columns)


def _columns(objects: Sequence[object], names: Sequence[str]) -> dict[str, list]:
    """One column per attribute in ``names``, read off every object."""
    return {name: list(map(attrgetter(name), objects)) for name in names}


def _job_columns(jobs: Sequence[Job]) -> dict[str, list]:
    """The ``jobs`` columns: key, trigger, batch settings, calls per multiplicity."""
    triggers = [job.trigger for job in jobs]
    trigger_columns = {
        column: list(map(attrgetter(name), triggers))
        for column, name in _TRIGGER_COLUMNS.items()
    }
    trigger_columns["defaulted"] = list(map(list, trigger_columns["defaulted"]))
    return {
        **_columns(jobs, _JOB_COLUMNS),
        **trigger_columns,
        **_columns([job.batch for job in jobs], _BATCH_COLUMNS),
        **_call_counts(jobs),
    }


def _call_counts(jobs: Sequence[Job]) -> dict[str, list[int]]:
    """How many calls each job makes per record, per block and per run."""
    pers = [[call.per for call in job.calls] for job in jobs]
    return {
        f"calls_per_{per}": [each.count(per) for each in pers]
        for per in _MULTIPLICITIES
    }


def _part_columns(
    jobs: Sequence[Job], part: str, names: Sequence[str]
) -> dict[str, list]:
    """The steps or calls of every job, each keyed by its job's app, flow, batch job."""
    owners = [job for job in jobs for _ in getattr(job, part)]
    items = [item for job in jobs for item in getattr(job, part)]
    return {**_columns(owners, _KEY_COLUMNS), **_columns(items, names)}
