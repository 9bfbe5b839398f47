"""Load, validate and default one job's what-if: the scenario file of DESIGN.md.

A scenario is a TOML file read by the estimates and the simulator alike, so both
answer the same question. Every key has a default; an unknown key or a value out
of range is an ``InputError`` that names the key and the file.

Every key with its default, as TOML (``# -`` marks a key that is unset by default):

    name = "scenario"          # label; load_scenario uses the file's stem if missing
    seed = 7                   # random seed, an integer >= 0
    slo_s = 60.0               # freshness objective in seconds, > 0

    [arrivals]
    process = "poisson"        # poisson | profile | records
    rate_per_s = 40.0          # poisson: records per second, >= 0
    # hourly_rates = [...]     # - profile: 24 rates per second >= 0, hour 0 first
    # file = "orders.csv"      # - records: CSV file, one row per record
    time_column = "created_at" # records: the column holding the creation time
    count = 200000             # records to generate, >= 1; unset when only
                               #   duration_s is given
    # duration_s = 3600.0      # - seconds of arrivals to generate, > 0; with
                               #   count too, generation stops at the first reached

    [service]
    distribution = "exponential"  # exponential | constant | lognormal | gamma |
                                  #   empirical
    mean_s = 0.2               # mean time on one record in seconds, > 0
    cv = 1.0                   # coefficient of variation, > 0: used by lognormal,
                               #   gamma and empirical (exponential is 1, constant 0)

    [failures]
    transient_rate = 0.0       # chance one delivery fails and is redelivered, [0, 1]
    invalid_rate = 0.0         # chance a record fails validation, [0, 1]

    [enrichment]
    calls_per_record = 0       # API lookups per record, integer >= 0
    latency_s = 0.0            # seconds added per cache miss, >= 0
    keys = 10000               # distinct lookup keys (Zipf), integer >= 1
    zipf_alpha = 0.8           # Zipf exponent of key popularity, >= 0
    cache = "none"             # none | ttl (from insert) | ttl-reset | lru
    cache_ttl_s = 300.0        # >= 0; > 0 for ttl and ttl-reset; 0 = no expiry (lru)
    cache_capacity = 0         # entries an lru holds, integer; >= 1 for lru
    rate_limit_per_s = 0.0     # API calls allowed per second, >= 0; 0 means none
    calls_per_block = 0        # calls made once per block of records, integer >= 0;
                               #   the estimates count calls_per_block / block_size
                               #   a record (the simulator does not make them yet)
    block_size = 100           # records per block call (a batch aggregator's size),
                               #   integer >= 1

    [streaming]
    consumers = 10             # replicas x concurrency, integer >= 1
    queue = "standard"         # standard | fifo
    message_groups = 1         # fifo: message groups, integer >= 1
    ack_timeout_s = 120.0      # acknowledgement timeout in seconds, > 0
    max_deliveries = 10        # deliveries before the dead letter queue, 1 to 1000
    prefetch = 30              # messages buffered per consumer, integer >= 0

    [micro_batch]
    interval_s = 300.0         # seconds between ticks, >= 0.001
    limit = 1000               # records taken per tick, integer >= 1
    concurrency = 1            # workers on one tick's slice, integer >= 1

    [batch]
    cron = "0 0 2 * * ?"       # Quartz cron, 6 or 7 fields, '?' in one day field
    time_zone = "UTC"          # IANA time zone of the cron
    concurrency = 4            # records processed at once, integer >= 1
    commit = "end"             # end | progressive (rows visible as written)

>>> scenario = scenario_from_dict({"streaming": {"consumers": 4}})
>>> scenario.streaming.consumers, scenario.arrivals.rate_per_s
(4, 40.0)
"""

from __future__ import annotations

import dataclasses
import math
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kit.errors import InputError, ParseError
from kit.schedule import check_cron, zone_or_utc

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib


@dataclass(frozen=True)
class Arrivals:
    """How records reach the job: a Poisson rate, a daily profile or a file."""

    process: str = "poisson"
    rate_per_s: float = 40.0
    hourly_rates: tuple[float, ...] | None = None
    file: str | None = None
    time_column: str = "created_at"
    count: int | None = 200000
    duration_s: float | None = None


@dataclass(frozen=True)
class Service:
    """Time one consumer spends on one record, all steps together."""

    distribution: str = "exponential"
    mean_s: float = 0.2
    cv: float = 1.0


@dataclass(frozen=True)
class Failures:
    """Chances that a delivery fails (and is redelivered) or a record is invalid."""

    transient_rate: float = 0.0
    invalid_rate: float = 0.0


@dataclass(frozen=True)
class Enrichment:
    """Per-record lookups against a downstream API, with an optional cache."""

    calls_per_record: int = 0
    latency_s: float = 0.0
    keys: int = 10000
    zipf_alpha: float = 0.8
    cache: str = "none"
    cache_ttl_s: float = 300.0
    cache_capacity: int = 0
    rate_limit_per_s: float = 0.0
    calls_per_block: int = 0
    block_size: int = 100


@dataclass(frozen=True)
class Streaming:
    """A broker queue and its consumers."""

    consumers: int = 10
    queue: str = "standard"
    message_groups: int = 1
    ack_timeout_s: float = 120.0
    max_deliveries: int = 10
    prefetch: int = 30


@dataclass(frozen=True)
class MicroBatch:
    """A scheduler that takes up to ``limit`` records every ``interval_s``."""

    interval_s: float = 300.0
    limit: int = 1000
    concurrency: int = 1


@dataclass(frozen=True)
class Batch:
    """The job as it runs today: a cron-triggered batch job."""

    cron: str = "0 0 2 * * ?"
    time_zone: str = "UTC"
    concurrency: int = 4
    commit: str = "end"


@dataclass(frozen=True)
class Scenario:
    """One job's what-if, shared by the estimates and the simulator."""

    name: str = "scenario"
    seed: int = 7
    slo_s: float = 60.0
    arrivals: Arrivals = Arrivals()
    service: Service = Service()
    failures: Failures = Failures()
    enrichment: Enrichment = Enrichment()
    streaming: Streaming = Streaming()
    micro_batch: MicroBatch = MicroBatch()
    batch: Batch = Batch()


TABLES: dict[str, type] = {
    "arrivals": Arrivals,
    "service": Service,
    "failures": Failures,
    "enrichment": Enrichment,
    "streaming": Streaming,
    "micro_batch": MicroBatch,
    "batch": Batch,
}
TOP_LEVEL_KEYS = ("name", "seed", "slo_s")
MAX_SCENARIO_BYTES = 1024 * 1024
# Bounds that keep a scenario within what one machine can hold and compute: a
# simulated record takes about 150 bytes, so 20 million take 3 GB.
MAX_RECORDS = 20_000_000
MAX_RATE_PER_S = 1_000_000.0
MAX_KEYS = 10_000_000
MAX_WORKERS = 10_000
MAX_CALLS = 1_000


@dataclass(frozen=True)
class _Rule:
    """What one key accepts: a kind of value and its allowed range or choices."""

    kind: str
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    choices: tuple[str, ...] = ()
    optional: bool = False


_RULES: dict[str, _Rule] = {
    "name": _Rule("text"),
    "seed": _Rule("int", low=0, high=2**63 - 1),
    "slo_s": _Rule("float", low=0, low_open=True),
    "arrivals.process": _Rule("choice", choices=("poisson", "profile", "records")),
    "arrivals.rate_per_s": _Rule("float", low=0, high=MAX_RATE_PER_S),
    "arrivals.hourly_rates": _Rule("rates", optional=True),
    "arrivals.file": _Rule("text", optional=True),
    "arrivals.time_column": _Rule("text"),
    "arrivals.count": _Rule("int", low=1, high=MAX_RECORDS, optional=True),
    "arrivals.duration_s": _Rule("float", low=0, low_open=True, optional=True),
    "service.distribution": _Rule(
        "choice",
        choices=("exponential", "constant", "lognormal", "gamma", "empirical"),
    ),
    "service.mean_s": _Rule("float", low=0, low_open=True),
    "service.cv": _Rule("float", low=0, low_open=True),
    "failures.transient_rate": _Rule("float", low=0, high=1),
    "failures.invalid_rate": _Rule("float", low=0, high=1),
    "enrichment.calls_per_record": _Rule("int", low=0, high=MAX_CALLS),
    "enrichment.latency_s": _Rule("float", low=0),
    "enrichment.keys": _Rule("int", low=1, high=MAX_KEYS),
    "enrichment.zipf_alpha": _Rule("float", low=0),
    "enrichment.cache": _Rule("choice", choices=("none", "ttl", "ttl-reset", "lru")),
    "enrichment.cache_ttl_s": _Rule("float", low=0),
    "enrichment.cache_capacity": _Rule("int", low=0, high=MAX_KEYS),
    "enrichment.rate_limit_per_s": _Rule("float", low=0, high=MAX_RATE_PER_S),
    "enrichment.calls_per_block": _Rule("int", low=0, high=MAX_CALLS),
    "enrichment.block_size": _Rule("int", low=1, high=MAX_RECORDS),
    "streaming.consumers": _Rule("int", low=1, high=MAX_WORKERS),
    "streaming.queue": _Rule("choice", choices=("standard", "fifo")),
    "streaming.message_groups": _Rule("int", low=1, high=MAX_KEYS),
    "streaming.ack_timeout_s": _Rule("float", low=0, low_open=True),
    "streaming.max_deliveries": _Rule("int", low=1, high=1000),
    "streaming.prefetch": _Rule("int", low=0, high=MAX_WORKERS),
    "micro_batch.interval_s": _Rule("float", low=0.001),
    "micro_batch.limit": _Rule("int", low=1, high=MAX_RECORDS),
    "micro_batch.concurrency": _Rule("int", low=1, high=MAX_WORKERS),
    "batch.cron": _Rule("cron"),
    "batch.time_zone": _Rule("zone"),
    "batch.concurrency": _Rule("int", low=1, high=MAX_WORKERS),
    "batch.commit": _Rule("choice", choices=("end", "progressive")),
}


def load_scenario(path: str | Path) -> Scenario:
    """Read a scenario TOML file, fill in defaults and validate every key.

    The scenario's name defaults to the file's stem. A file that is not UTF-8
    or not valid TOML raises ``ParseError``; a file larger than 1 MiB, or a bad
    key or value, raises ``InputError``.
    """
    path = Path(path)
    text = _read_text(path)

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ParseError(
            f"not valid TOML ({error}); fix the syntax of the scenario file",
            file=str(path),
        ) from error

    if "name" not in data:
        data["name"] = path.stem
    return scenario_from_dict(data, source=str(path))


def scenario_from_dict(data: Mapping[str, Any], source: str = "<dict>") -> Scenario:
    """Build a validated scenario from nested mappings shaped like the TOML file.

    ``source`` names where the data came from in error messages.

    >>> scenario_from_dict({"slo_s": 30}).slo_s
    30.0
    """
    if not isinstance(data, Mapping):
        raise InputError(
            f"{source}: a scenario must be a table of keys, not {data!r}; "
            "see the scenario file in DESIGN.md."
        )
    allowed = (*TOP_LEVEL_KEYS, *TABLES)
    _reject_unknown(data, allowed, "", source)

    top = {key: _check(key, data[key], source) for key in TOP_LEVEL_KEYS if key in data}
    tables = {
        table: _build_table(table, cls, data.get(table, {}), source)
        for table, cls in TABLES.items()
    }
    scenario = Scenario(**top, **tables)

    _check_consistency(scenario, source)
    return scenario


def scenario_to_dict(scenario: Scenario) -> dict[str, Any]:
    """Return the scenario as nested dicts, leaving out keys that are unset.

    >>> scenario_to_dict(Scenario())["streaming"]["consumers"]
    10
    """
    result: dict[str, Any] = {key: getattr(scenario, key) for key in TOP_LEVEL_KEYS}

    for table in TABLES:
        values = {}
        for field in dataclasses.fields(getattr(scenario, table)):
            value = getattr(getattr(scenario, table), field.name)
            if value is None:
                continue
            values[field.name] = list(value) if isinstance(value, tuple) else value
        result[table] = values
    return result


def scenario_to_toml(scenario: Scenario) -> str:
    """Write the scenario as TOML text that ``load_scenario`` reads back equal.

    >>> print(scenario_to_toml(Scenario()).splitlines()[0])
    name = "scenario"
    """
    data = scenario_to_dict(scenario)
    lines = [f"{key} = {_toml_value(data[key])}" for key in TOP_LEVEL_KEYS]

    for table in TABLES:
        lines.append("")
        lines.append(f"[{table}]")
        lines.extend(
            f"{key} = {_toml_value(value)}" for key, value in data[table].items()
        )
    return "\n".join(lines) + "\n"


def with_overrides(scenario: Scenario, overrides: Mapping[str, object]) -> Scenario:
    """Return a copy with dotted keys replaced, validated like a file.

    A value of ``None`` removes the key, so it takes its default again; to
    generate arrivals by duration only, set ``arrivals.count`` to None as well as
    ``arrivals.duration_s``.

    >>> with_overrides(Scenario(), {"streaming.consumers": 4}).streaming.consumers
    4
    """
    data = scenario_to_dict(scenario)

    for dotted, value in overrides.items():
        parts = dotted.split(".")
        if len(parts) == 1 and parts[0] in TOP_LEVEL_KEYS:
            target, key = data, parts[0]
        elif len(parts) == 2 and parts[0] in TABLES:
            target, key = data[parts[0]], parts[1]
        else:
            allowed = [*TOP_LEVEL_KEYS, *(f"{table}.<key>" for table in TABLES)]
            raise InputError(
                f"<overrides>: unknown key {dotted!r}; allowed keys: "
                f"{', '.join(allowed)}. Write a top-level key or table.key."
            )

        if value is None:
            target.pop(key, None)
        else:
            target[key] = value
    return scenario_from_dict(data, source="<overrides>")


def _read_text(path: Path) -> str:
    """Read at most ``MAX_SCENARIO_BYTES`` of UTF-8 text, or raise saying what to do."""
    try:
        with path.open("rb") as file:
            data = file.read(MAX_SCENARIO_BYTES + 1)
    except OSError as error:
        raise InputError(
            f"{path}: cannot read the scenario file ({error.strerror or error}); "
            "check the path."
        ) from error

    if len(data) > MAX_SCENARIO_BYTES:
        raise InputError(
            f"{path}: the scenario file is larger than 1 MiB; a scenario is a few "
            "lines of TOML, so check that this is the right file."
        )

    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise ParseError(
            f"byte 0x{data[error.start]:02x} is not UTF-8 text; save it as UTF-8 "
            "in your editor and try again",
            file=str(path),
            line=line,
        ) from error


def _build_table(table: str, cls: type, values: object, source: str) -> Any:
    """Validate one table's keys and values and build its dataclass."""
    if not isinstance(values, Mapping):
        raise InputError(
            f"{source}: {table} = {values!r} is not a table; write it as "
            f"[{table}] with its keys below."
        )
    allowed = [field.name for field in dataclasses.fields(cls)]
    _reject_unknown(values, allowed, table, source)

    checked = {
        key: _check(f"{table}.{key}", value, source) for key, value in values.items()
    }
    if table == "arrivals" and "duration_s" in values and "count" not in values:
        checked["count"] = None
    return cls(**checked)


def _reject_unknown(
    values: Mapping[str, Any],
    allowed: tuple[str, ...] | list[str],
    table: str,
    source: str,
) -> None:
    """Raise for the first key that is not in ``allowed``."""
    for key in values:
        if key in allowed:
            continue
        where = f"in [{table}]" if table else "at the top level"
        dotted = f"{table}.{key}" if table else str(key)
        raise InputError(
            f"{source}: unknown key {dotted!r} {where}; allowed keys: "
            f"{', '.join(allowed)}. Check the spelling or remove it."
        )


def _check(dotted: str, value: object, source: str) -> Any:
    """Return the value converted to its field's type, or raise naming the key."""
    rule = _RULES[dotted]
    where = f"{source}: {dotted} = {value!r}"

    if value is None and rule.optional:
        return None
    if rule.kind == "text":
        if not isinstance(value, str) or not value.strip():
            raise InputError(f"{where} is not a non-empty string; write it in quotes.")
        return value
    if rule.kind == "choice":
        if value not in rule.choices:
            raise InputError(
                f"{where} is not allowed; use one of {', '.join(rule.choices)}."
            )
        return value
    if rule.kind == "cron":
        if not isinstance(value, str):
            raise InputError(f"{where} is not a string; write the cron in quotes.")
        try:
            check_cron(value)
        except InputError as exc:
            raise InputError(f"{where}: {exc}") from None
        return value
    if rule.kind == "zone":
        if not _is_time_zone(value):
            raise InputError(
                f"{where} is not a known time zone; use an IANA name such as "
                "'UTC' or 'Europe/Paris'."
            )
        return value
    if rule.kind == "rates":
        return _check_rates(where, value)
    number = _as_int(where, value) if rule.kind == "int" else _as_float(where, value)

    _check_range(where, number, rule)
    return number


def _as_int(where: str, value: object) -> int:
    """Accept an integer, or a float with no fractional part."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InputError(f"{where} is not a whole number; write it without quotes.")
    if isinstance(value, float) and not value.is_integer():
        raise InputError(f"{where} is not a whole number; write an integer.")
    return int(value)


def _as_float(where: str, value: object) -> float:
    """Accept an integer or a finite float."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InputError(f"{where} is not a number; write it without quotes.")
    if not math.isfinite(value):
        raise InputError(f"{where} is not a finite number; write a finite number.")
    return float(value)


def _check_range(where: str, number: float, rule: _Rule) -> None:
    """Raise when the number lies outside the rule's range, saying the range."""
    too_low = rule.low is not None and (
        number < rule.low or (rule.low_open and number == rule.low)
    )
    too_high = rule.high is not None and number > rule.high
    if not (too_low or too_high):
        return

    if rule.low is not None and rule.high is not None:
        allowed = f"between {_number(rule.low)} and {_number(rule.high)}"
    elif rule.low_open:
        allowed = f"greater than {_number(rule.low)}"
    else:
        allowed = f"at least {_number(rule.low)}"
    raise InputError(f"{where} is out of range; it must be {allowed}.")


def _number(value: float) -> str:
    """A bound as people write it: 20,000,000 rather than 2e+07.

    >>> _number(20_000_000), _number(0.5), _number(1)
    ('20,000,000', '0.5', '1')
    """
    if isinstance(value, int) or float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:g}"


def _check_rates(where: str, value: object) -> tuple[float, ...]:
    """Accept a list of 24 non-negative finite rates per second."""
    if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
        raise InputError(
            f"{where} is not a list; write 24 rates per second, hour 0 first."
        )
    if len(value) != 24:
        raise InputError(
            f"{where} has {len(value)} values; it needs exactly 24, one rate per "
            "second for each hour of the day, hour 0 first."
        )

    rates = tuple(_as_float(where, rate) for rate in value)
    if any(rate < 0 or rate > MAX_RATE_PER_S for rate in rates):
        raise InputError(
            f"{where} holds a rate out of range; every rate must be between 0 and "
            f"{_number(MAX_RATE_PER_S)}."
        )
    return rates


def _check_generated_count(arrivals: Arrivals, source: str) -> None:
    """Raise when a duration alone asks for more records than one machine holds."""
    if arrivals.process == "records" or arrivals.count is not None:
        return
    if arrivals.duration_s is None:
        return
    if arrivals.process == "profile" and arrivals.hourly_rates:
        rate, keys = (
            sum(arrivals.hourly_rates) / 24,
            "the mean of arrivals.hourly_rates",
        )
    else:
        rate, keys = arrivals.rate_per_s, "arrivals.rate_per_s"
    if rate * arrivals.duration_s > MAX_RECORDS:
        raise InputError(
            f"{source}: {keys} x arrivals.duration_s asks for "
            f"{rate * arrivals.duration_s:,.0f} records, more than {MAX_RECORDS:,}; "
            "shorten the duration or set arrivals.count."
        )


def _check_consistency(scenario: Scenario, source: str) -> None:
    """Raise for keys that are valid alone but not together."""
    arrivals = scenario.arrivals
    enrichment = scenario.enrichment

    if arrivals.process == "profile" and arrivals.hourly_rates is None:
        raise InputError(
            f"{source}: arrivals.process = 'profile' needs arrivals.hourly_rates; "
            "add 24 rates per second, hour 0 first."
        )
    _check_generated_count(arrivals, source)
    if arrivals.process == "records" and arrivals.file is None:
        raise InputError(
            f"{source}: arrivals.process = 'records' needs arrivals.file; add the "
            "path of a CSV file with one row per record."
        )
    if enrichment.cache in ("ttl", "ttl-reset") and enrichment.cache_ttl_s == 0:
        raise InputError(
            f"{source}: enrichment.cache_ttl_s = 0 is out of range for cache = "
            f"{enrichment.cache!r}; it must be greater than 0."
        )
    if enrichment.cache == "lru" and enrichment.cache_capacity < 1:
        raise InputError(
            f"{source}: enrichment.cache_capacity = {enrichment.cache_capacity!r} is "
            "out of range for cache = 'lru'; it must be at least 1 (the entries the "
            "cache holds)."
        )


def _is_time_zone(value: object) -> bool:
    """Tell whether the value names a time zone this machine knows."""
    return isinstance(value, str) and zone_or_utc(value)[1]


def _toml_value(value: object) -> str:
    """Write one scalar or list as TOML."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return _toml_string(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    raise TypeError(f"cannot write {value!r} as TOML")


def _toml_string(text: str) -> str:
    """Quote a string as a TOML basic string, escaping what TOML requires."""
    escaped = []
    for character in text:
        if character in ('"', "\\"):
            escaped.append("\\" + character)
        elif ord(character) < 0x20 or ord(character) == 0x7F:
            escaped.append(f"\\u{ord(character):04x}")
        else:
            escaped.append(character)
    return '"' + "".join(escaped) + '"'
