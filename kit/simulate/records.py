"""The records a simulation replays: generated from the scenario's arrivals, or
read from a file of real records with their own timestamps.

Times are seconds from an origin: midnight at the start of the scenario's
reference Monday (``kit.schedule.PERIOD_WINDOW_START``) for generated records,
midnight before the first record for a file, both in the batch's time zone, so
that the batch's cron fires at the right moments.

A file (CSV or Parquet, or a table of the store) holds one row per record:

- a row whose time cannot be read, or a CSV line DuckDB cannot split into the
  header's columns, is a reject: kept with its file, line and reason, counted,
  and left out of the simulation;
- a row with an empty column, or an ``amount`` that is not a positive number,
  is invalid: it is simulated and goes to the dead letters at once, as
  ``failures.invalid_rate`` does for generated records;
- ``customer_id``, when present, is the first lookup key and the ordering key.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from pathlib import Path

import duckdb
import numba
import numpy as np
import pyarrow as pa

from kit.errors import InputError
from kit.scenario import Scenario, Service
from kit.schedule import PERIOD_WINDOW_START, zone_or_utc

log = logging.getLogger(__name__)

HOUR_S = 3600.0
DAY_S = 86400.0
KEY_COLUMN = "customer_id"
AMOUNT_COLUMN = "amount"
# Largest records file read, so a wrong path cannot exhaust the memory.
MAX_RECORDS_FILE_BYTES = 2 * 1024**3


@dataclass
class Records:
    """Records in arrival order, with what each needs to be simulated."""

    arrived_s: np.ndarray  # float64, sorted
    service_s: np.ndarray  # float64, time of one attempt without lookups
    invalid: np.ndarray  # bool
    order_key: np.ndarray  # int64: records of one key must load in order
    call_keys: np.ndarray  # int64 [records, calls per record]: lookup keys
    key_count: int
    origin: datetime
    source: str = "generated"
    rows: pa.Table | None = None  # the file's own columns, in arrival order
    invalid_reasons: list[str | None] = field(default_factory=list)
    rejects: list[dict] = field(default_factory=list)

    def __len__(self) -> int:
        return int(self.arrived_s.size)


def generate_records(scenario: Scenario) -> Records:
    """Draw arrivals, service times, validity and lookup keys from the scenario.

    The same scenario and seed give the same records.

    >>> from kit.scenario import scenario_from_dict
    >>> records = generate_records(scenario_from_dict({"arrivals": {"count": 5}}))
    >>> len(records), bool((records.arrived_s[1:] >= records.arrived_s[:-1]).all())
    (5, True)
    """
    rng = np.random.default_rng(scenario.seed)
    arrived = _arrival_times(scenario, rng)
    count = arrived.size

    enrichment = scenario.enrichment
    keys = _zipf_keys(enrichment.keys, enrichment.zipf_alpha, count, rng)
    call_keys = _call_keys(keys, enrichment.calls_per_record, scenario, rng)
    return Records(
        arrived_s=arrived,
        service_s=draw_service_times(scenario.service, count, rng),
        invalid=_invalid(scenario.failures.invalid_rate, count, rng),
        order_key=keys,
        call_keys=call_keys,
        key_count=enrichment.keys,
        origin=_generated_origin(scenario),
    )


def read_records(
    scenario: Scenario,
    source: str | Path,
    con: duckdb.DuckDBPyConnection | None = None,
) -> Records:
    """Read real records from a CSV or Parquet file, or ``table:NAME`` of ``con``.

    The scenario's ``arrivals.time_column`` holds each record's creation time;
    naive times are read as UTC. A source with no valid record is refused.
    """
    if str(source).startswith("table:") and con is None:
        raise InputError(
            f"{source}: table:NAME reads a table of the assessment database; "
            "give --db FILE as well"
        )
    reader = con.cursor() if con is not None else duckdb.connect()
    reader.execute("SET TimeZone = 'UTC'")
    column = scenario.arrivals.time_column
    label, rejects = _load_rows(reader, str(source))

    names = [row[0] for row in reader.execute("DESCRIBE _records").fetchall()]
    if column not in names:
        raise InputError(
            f"{label}: no column {column!r} for the records' creation time; the "
            f"columns are {', '.join(names[1:])}. Set arrivals.time_column."
        )

    rows = reader.sql(_ordered_rows_query(column, names)).to_arrow_table()
    rejects.extend(_time_rejects(reader, column, label))
    if rejects:
        log.warning(
            "%s: %d rows left out of the simulation; %s",
            label,
            len(rejects),
            _where_rejects_are(rejects, kept=con is not None),
        )
    if rows.num_rows == 0:
        raise InputError(
            f"{label}: no record to replay ({len(rejects)} rows left out); give "
            f"rows with a {column} timestamp"
        )
    return _records_from_rows(scenario, rows, label, rejects)


def _where_rejects_are(rejects: list[dict], kept: bool) -> str:
    """Point at the sim_rejects table, or show the first reject when none is kept."""
    if kept:
        return "see the sim_rejects table"
    first = min(rejects, key=lambda reject: reject["line"])
    return (
        f"the first, line {first['line']}: {first['reason']}; give --db FILE to "
        "keep them all in the sim_rejects table"
    )


def draw_service_times(service: Service, count: int, rng: np.random.Generator):
    """Draw one attempt's service time for each record.

    ``lognormal`` and ``gamma`` take ``service.mean_s`` and ``service.cv``;
    ``empirical`` needs measured times, which only a records file can carry.

    >>> rng = np.random.default_rng(1)
    >>> draw_service_times(Service(distribution="constant", mean_s=0.5), 2, rng)
    array([0.5, 0.5])
    """
    mean, cv = service.mean_s, service.cv
    if service.distribution == "exponential":
        return rng.exponential(mean, count)
    if service.distribution == "constant":
        return np.full(count, mean)
    if service.distribution == "lognormal":
        sigma2 = math.log1p(cv * cv)
        return rng.lognormal(math.log(mean) - sigma2 / 2, math.sqrt(sigma2), count)
    if service.distribution == "gamma":
        return rng.gamma(1.0 / (cv * cv), mean * cv * cv, count)
    raise InputError(
        "service.distribution = 'empirical' needs measured times per record; "
        "give a records file with a service_s column, or choose lognormal or gamma "
        "with service.cv."
    )


def _arrival_times(scenario: Scenario, rng: np.random.Generator) -> np.ndarray:
    """Poisson arrivals at a constant rate or with the 24-hour profile."""
    arrivals = scenario.arrivals
    if arrivals.process == "records":
        raise InputError(
            "arrivals.process = 'records' replays a file: pass it with --records "
            f"(arrivals.file = {arrivals.file!r})."
        )

    limit = arrivals.duration_s if arrivals.duration_s is not None else math.inf
    count = arrivals.count
    if arrivals.process == "poisson":
        times = _poisson_times(arrivals.rate_per_s, count, limit, rng)
    else:
        times = _profile_times(arrivals.hourly_rates or (), count, limit, rng)
    return times[times <= limit] if math.isfinite(limit) else times


def _poisson_times(
    rate: float, count: int | None, limit: float, rng: np.random.Generator
) -> np.ndarray:
    """Times of a Poisson process: ``count`` of them, or all before ``limit``."""
    if rate == 0:
        return np.zeros(0)
    if count is not None:
        gaps = rng.exponential(1.0 / rate, count)
        return np.cumsum(gaps, out=gaps)
    total = int(rng.poisson(rate * limit))
    return np.sort(rng.uniform(0.0, limit, total))


def _profile_times(
    hourly_rates: tuple[float, ...],
    count: int | None,
    limit: float,
    rng: np.random.Generator,
) -> np.ndarray:
    """A Poisson process whose rate follows the hourly profile, day after day."""
    per_day = sum(hourly_rates) * HOUR_S
    if per_day == 0:
        return np.zeros(0)

    days = math.ceil(limit / DAY_S) if count is None else math.ceil(count / per_day)
    days = max(1, days)
    while True:
        counts = rng.poisson(np.tile(hourly_rates, days) * HOUR_S)
        hours = np.repeat(np.arange(counts.size), counts)
        times = np.sort((hours + rng.random(hours.size)) * HOUR_S)
        if count is None or times.size >= count:
            return times if count is None else times[:count]
        days *= 2


def _zipf_keys(
    keys: int, alpha: float, count: int, rng: np.random.Generator
) -> np.ndarray:
    """Draw lookup keys 0…keys−1, key i with weight (i + 1)^−alpha.

    Walker's alias method: one uniform draw picks a column by its whole part
    and, by its fraction, the column's key or its alias.
    """
    weights = np.arange(1, keys + 1, dtype=float) ** -alpha
    keep, alias = _alias_table(weights / weights.sum())
    return _draw_alias(keep, alias, rng.random(count))


@numba.njit(cache=True)
def _alias_table(probabilities: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Vose's construction: per column, the chance to keep it and its alias.

    The small and large columns wait on two stacks, each taken from its top.
    """
    size = probabilities.size
    scaled = probabilities * size
    keep = np.ones(size)
    alias = np.arange(size)
    small = np.empty(size, dtype=np.int64)
    large = np.empty(size, dtype=np.int64)
    small_size = 0
    large_size = 0
    for index in range(size):
        if scaled[index] < 1.0:
            small[small_size] = index
            small_size += 1
        else:
            large[large_size] = index
            large_size += 1

    while small_size > 0 and large_size > 0:
        small_size -= 1
        large_size -= 1
        low, high = small[small_size], large[large_size]
        keep[low] = scaled[low]
        alias[low] = high
        scaled[high] -= 1.0 - scaled[low]
        if scaled[high] < 1.0:
            small[small_size] = high
            small_size += 1
        else:
            large[large_size] = high
            large_size += 1
    return keep, alias


@numba.njit(cache=True)
def _draw_alias(
    keep: np.ndarray, alias: np.ndarray, uniforms: np.ndarray
) -> np.ndarray:
    """Turn uniforms in [0, 1) into keys with the alias table."""
    size = keep.size
    # Each column's two outcomes side by side, picked by the comparison as an
    # index: a branch on it would be mispredicted about as often as it goes
    # either way, which made drawing the keys five times slower.
    outcomes = np.empty((size, 2), dtype=np.int64)
    for column in range(size):
        outcomes[column, 0] = column
        outcomes[column, 1] = alias[column]

    keys = np.empty(uniforms.size, dtype=np.int64)
    for index in range(uniforms.size):
        scaled = uniforms[index] * size
        column = min(int(scaled), size - 1)
        keys[index] = outcomes[column, int(scaled - column >= keep[column])]
    return keys


def _call_keys(
    first: np.ndarray, calls: int, scenario: Scenario, rng: np.random.Generator
) -> np.ndarray:
    """The keys of every lookup: the record's own key first, then fresh draws."""
    enrichment = scenario.enrichment
    columns = [first] if calls else []
    for _ in range(1, calls):
        columns.append(
            _zipf_keys(enrichment.keys, enrichment.zipf_alpha, first.size, rng)
        )
    if not columns:
        return np.zeros((first.size, 0), dtype=np.int64)
    return np.ascontiguousarray(np.stack(columns, axis=1))


def _invalid(rate: float, count: int, rng: np.random.Generator) -> np.ndarray:
    """Mark each record invalid with chance ``rate``."""
    if rate == 0:
        return np.zeros(count, dtype=bool)
    return rng.random(count) < rate


def _generated_origin(scenario: Scenario) -> datetime:
    """Midnight at the start of the reference Monday in the batch's zone."""
    zone, _ = zone_or_utc(scenario.batch.time_zone)
    return datetime.combine(PERIOD_WINDOW_START, time(), zone)


def _load_rows(reader: duckdb.DuckDBPyConnection, source: str) -> tuple[str, list]:
    """Load the source into the temporary table ``_records`` with line numbers."""
    if source.startswith("table:"):
        table = source.removeprefix("table:")
        try:
            reader.execute(
                "CREATE OR REPLACE TEMP TABLE _records AS SELECT "
                f"row_number() OVER () AS _line, * FROM {_quoted(table)}"
            )
        except duckdb.CatalogException as error:
            raise InputError(
                f"no table {table!r} in the assessment database; check the name "
                "(SHOW TABLES lists them)"
            ) from error
        except duckdb.Error as error:
            raise InputError(
                f"cannot read the records table {table!r}: {error}; check the name"
            ) from error
        return f"table {table}", []

    path = Path(source)
    if not path.is_file():
        raise InputError(f"no records file at {source!r}; check the path.")
    if path.stat().st_size == 0:
        raise InputError(
            f"{source}: empty file; give a header row and one row per record"
        )
    if path.stat().st_size > MAX_RECORDS_FILE_BYTES:
        raise InputError(
            f"{source}: larger than {MAX_RECORDS_FILE_BYTES // 1024**3} GiB; split "
            "it or load it into a table of the store and pass table:NAME."
        )
    if path.suffix.lower() == ".parquet":
        reader.execute(
            "CREATE OR REPLACE TEMP TABLE _records AS SELECT "
            "row_number() OVER () AS _line, * FROM read_parquet(?)",
            [source],
        )
        return source, []
    return source, _load_csv(reader, source)


def _load_csv(reader: duckdb.DuckDBPyConnection, source: str) -> list[dict]:
    """Load a CSV as text columns; return its unsplittable lines as rejects.

    Line numbers count the header as line 1 and assume no quoted field spans
    lines (DuckDB reports the lines it rejects, not those it keeps).
    """
    try:
        reader.execute(
            "CREATE OR REPLACE TEMP TABLE _csv AS SELECT * FROM read_csv(?, "
            "all_varchar = true, header = true, store_rejects = true, "
            "rejects_table = '_csv_rejects', rejects_scan = '_csv_scans')",
            [source],
        )
    except duckdb.Error as error:
        raise InputError(
            f"{source}: not a readable CSV file ({error}); check the file"
        ) from error

    bad = reader.execute(
        "SELECT DISTINCT line, csv_line, error_type FROM _csv_rejects ORDER BY line"
    ).fetchall()
    bad_lines = np.array([int(line) for line, _, _ in bad], dtype=np.int64)
    reader.execute(
        "CREATE OR REPLACE TEMP TABLE _csv_numbered AS "
        "SELECT row_number() OVER () AS _row, * FROM _csv"
    )
    count = reader.execute("SELECT count(*) FROM _csv").fetchall()[0][0]
    lines = _kept_line_numbers(count, bad_lines)
    reader.register(
        "_csv_lines", pa.table({"_row": np.arange(1, count + 1), "_line": lines})
    )
    reader.execute(
        "CREATE OR REPLACE TEMP TABLE _records AS SELECT l._line, c.* EXCLUDE (_row) "
        "FROM _csv_numbered c JOIN _csv_lines l USING (_row) ORDER BY _row"
    )
    reader.unregister("_csv_lines")
    return [
        {
            "file": source,
            "line": int(line),
            "text": text,
            "reason": f"the line does not split into the header's columns ({kind})",
        }
        for line, text, kind in bad
    ]


def _kept_line_numbers(count: int, bad_lines: np.ndarray) -> np.ndarray:
    """Number the kept rows' lines: data starts on line 2, rejected lines skipped."""
    total = count + bad_lines.size
    every = np.arange(2, total + 2, dtype=np.int64)
    return every[~np.isin(every, bad_lines)][:count]


def _ordered_rows_query(column: str, names: list[str]) -> str:
    """Select valid-timed rows in time order, with epoch seconds and validity."""
    time_value = f"try_cast({_quoted(column)} AS TIMESTAMPTZ)"
    empties = [
        f"CASE WHEN trim(CAST({_quoted(name)} AS VARCHAR)) = '' OR {_quoted(name)} "
        f"IS NULL THEN '{name} is empty' END"
        for name in names
        if name not in ("_line", column)
    ]
    if AMOUNT_COLUMN in names:
        amount = _quoted(AMOUNT_COLUMN)
        empties.append(
            f"CASE WHEN coalesce(try_cast({amount} AS DOUBLE) <= 0, "
            f"{amount} IS NOT NULL AND trim(CAST({amount} AS VARCHAR)) <> '') "
            f"THEN 'amount ' || CAST({amount} AS VARCHAR) || ' is not a positive "
            "number' END"
        )
    reason = f"coalesce({', '.join(empties)})" if empties else "NULL"
    return (
        f"SELECT epoch({time_value}) AS _epoch_s, {reason} AS _invalid_reason, * "
        f"FROM _records WHERE {time_value} IS NOT NULL ORDER BY _epoch_s, _line"
    )


def _time_rejects(
    reader: duckdb.DuckDBPyConnection, column: str, label: str
) -> list[dict]:
    """Rows whose creation time is missing or not a timestamp."""
    quoted = _quoted(column)
    rows = reader.execute(
        f"SELECT _line, CAST({quoted} AS VARCHAR) FROM _records "
        f"WHERE try_cast({quoted} AS TIMESTAMPTZ) IS NULL ORDER BY _line"
    ).fetchall()
    return [
        {
            "file": label,
            "line": int(line),
            "text": value,
            "reason": f"{column} {value!r} is not a timestamp",
        }
        for line, value in rows
    ]


def _records_from_rows(
    scenario: Scenario, rows: pa.Table, label: str, rejects: list[dict]
) -> Records:
    """Turn the time-ordered rows into simulation inputs."""
    zone, _ = zone_or_utc(scenario.batch.time_zone)
    epoch = np.asarray(
        rows.column("_epoch_s").to_numpy(zero_copy_only=False), dtype=float
    )
    origin = _file_origin(epoch, zone)
    rng = np.random.default_rng(scenario.seed)
    count = epoch.size

    enrichment = scenario.enrichment
    if KEY_COLUMN in rows.column_names:
        values = rows.column(KEY_COLUMN).to_pylist()
        _, keys = np.unique(
            np.array(values, dtype=object).astype(str), return_inverse=True
        )
        keys = keys.astype(np.int64)
        key_count = max(enrichment.keys, int(keys.max(initial=-1)) + 1)
    else:
        keys = _zipf_keys(enrichment.keys, enrichment.zipf_alpha, count, rng)
        key_count = enrichment.keys

    reasons = rows.column("_invalid_reason").to_pylist()
    service = _file_service_times(scenario, rows, rng)
    return Records(
        arrived_s=epoch - origin.timestamp(),
        service_s=service,
        invalid=np.array([reason is not None for reason in reasons], dtype=bool),
        order_key=keys,
        call_keys=_call_keys(keys, enrichment.calls_per_record, scenario, rng),
        key_count=key_count,
        origin=origin,
        source=label,
        rows=rows.drop_columns(["_epoch_s", "_invalid_reason"]),
        invalid_reasons=reasons,
        rejects=rejects,
    )


def _file_service_times(
    scenario: Scenario, rows: pa.Table, rng: np.random.Generator
) -> np.ndarray:
    """Service times from a ``service_s`` column for ``empirical``, else drawn."""
    if scenario.service.distribution != "empirical":
        return draw_service_times(scenario.service, rows.num_rows, rng)
    if "service_s" not in rows.column_names:
        return draw_service_times(scenario.service, rows.num_rows, rng)
    values = [
        _positive_or_none(value) for value in rows.column("service_s").to_pylist()
    ]
    measured = np.array([value for value in values if value is not None])
    if measured.size == 0:
        raise InputError(
            "the records' service_s column holds no positive number; fill it or "
            "choose another service.distribution."
        )
    fill = rng.choice(measured, len(values))
    return np.array(
        [fill[index] if value is None else value for index, value in enumerate(values)]
    )


def _positive_or_none(value: object) -> float | None:
    """Read a positive number, or None."""
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) and number > 0 else None


def _file_origin(epoch: np.ndarray, zone) -> datetime:
    """Midnight before the first record, in the batch's zone."""
    if epoch.size == 0:
        return datetime.combine(PERIOD_WINDOW_START, time(), zone)
    first = datetime.fromtimestamp(float(epoch.min()), zone)
    midnight = datetime.combine(first.date(), time(), zone)
    return midnight if midnight <= first else midnight - timedelta(days=1)


def _quoted(name: str) -> str:
    """Quote an SQL identifier."""
    return '"' + name.replace('"', '""') + '"'
