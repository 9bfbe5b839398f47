"""The scenario file: defaults, TOML round trips, overrides and clear errors."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings

from kit.errors import InputError, ParseError
from kit.scenario import (
    Arrivals,
    Batch,
    Scenario,
    load_scenario,
    scenario_from_dict,
    scenario_to_dict,
    scenario_to_toml,
    with_overrides,
)
from tests.strategies import scenarios

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

DESIGN_EXAMPLE = """\
name = "orders"
seed = 7
slo_s = 60                # freshness objective for recommendations

[arrivals]
process = "poisson"       # poisson | profile | records
rate_per_s = 40.0         # poisson
count = 200000            # records to generate (or duration_s)

[service]                 # time a consumer spends on one record, all steps
distribution = "lognormal"
mean_s = 0.2
cv = 1.5                  # lognormal and gamma: coefficient of variation

[failures]
transient_rate = 0.0
invalid_rate = 0.0

[enrichment]
calls_per_record = 0
latency_s = 0.0
keys = 10000
zipf_alpha = 0.8
cache = "none"
cache_ttl_s = 300
cache_capacity = 0
rate_limit_per_s = 0

[streaming]
consumers = 10
queue = "standard"
message_groups = 1
ack_timeout_s = 120
max_deliveries = 10
prefetch = 30

[micro_batch]
interval_s = 300
limit = 1000
concurrency = 1

[batch]
cron = "0 0 2 * * ?"
time_zone = "UTC"
concurrency = 4
commit = "end"
"""


def test_empty_dict_gives_the_documented_defaults() -> None:
    """An empty scenario takes every default that DESIGN.md shows."""
    scenario = scenario_from_dict({})

    assert scenario == Scenario()
    assert (scenario.seed, scenario.slo_s) == (7, 60.0)
    assert scenario.arrivals == Arrivals(
        process="poisson", rate_per_s=40.0, time_column="created_at", count=200000
    )
    assert scenario.service.distribution == "exponential"
    assert scenario.service.mean_s == 0.2
    assert scenario.enrichment.keys == 10000
    assert scenario.enrichment.zipf_alpha == 0.8
    assert scenario.enrichment.cache_ttl_s == 300.0
    assert (scenario.enrichment.calls_per_block, scenario.enrichment.block_size) == (
        0,
        100,
    )
    assert scenario.streaming.consumers == 10
    assert scenario.streaming.ack_timeout_s == 120.0
    assert scenario.streaming.max_deliveries == 10
    assert scenario.streaming.prefetch == 30
    assert (scenario.micro_batch.interval_s, scenario.micro_batch.limit) == (
        300.0,
        1000,
    )
    assert scenario.batch == Batch("0 0 2 * * ?", "UTC", 4, "end")


def test_documented_defaults_are_the_defaults() -> None:
    """The TOML in the module docstring parses to the defaults and names every key."""
    import kit.scenario as module

    block = module.__doc__.split("as TOML")[1].split(">>>")[0]
    text = "\n".join(line[4:] for line in block.splitlines()[1:])

    assert scenario_from_dict(tomllib.loads(text)) == Scenario()
    for cls in module.TABLES.values():
        for field in dataclasses.fields(cls):
            assert f"{field.name} = " in text, field.name


def test_design_example_round_trips_through_toml(tmp_path: Path) -> None:
    """The full DESIGN.md example loads, writes as TOML and loads back equal."""
    path = tmp_path / "orders.toml"
    path.write_text(DESIGN_EXAMPLE, encoding="utf-8")

    scenario = load_scenario(path)
    again = tmp_path / "again.toml"
    again.write_text(scenario_to_toml(scenario), encoding="utf-8")

    assert load_scenario(again) == scenario
    assert scenario.name == "orders"
    assert scenario.service.cv == 1.5
    assert tomllib.loads(scenario_to_toml(scenario)) == scenario_to_dict(scenario)


def test_profile_scenario_round_trips(tmp_path: Path) -> None:
    """Hourly rates and a duration survive the TOML round trip."""
    rates = [0.0] * 9 + [12.5] * 8 + [0.0] * 7
    scenario = scenario_from_dict(
        {"arrivals": {"process": "profile", "hourly_rates": rates, "duration_s": 86400}}
    )
    path = tmp_path / "profile.toml"
    path.write_text(scenario_to_toml(scenario), encoding="utf-8")

    loaded = load_scenario(path)
    assert dataclasses.replace(loaded, name="scenario") == scenario
    assert loaded.arrivals.hourly_rates == tuple(rates)
    assert loaded.arrivals.count is None


@settings(max_examples=100, deadline=None)
@given(scenario=scenarios())
def test_random_scenarios_round_trip(scenario: Scenario) -> None:
    """Any valid scenario, odd names included, reads back equal from its TOML."""
    assert scenario_from_dict(tomllib.loads(scenario_to_toml(scenario))) == scenario


def test_missing_name_takes_the_file_stem(tmp_path: Path) -> None:
    """A file without a name is named after the file."""
    path = tmp_path / "invoices.toml"
    path.write_text("[streaming]\nconsumers = 3\n", encoding="utf-8")

    assert load_scenario(path).name == "invoices"


def test_integers_are_accepted_where_floats_are_expected() -> None:
    """An integer for a float key becomes a float."""
    scenario = scenario_from_dict({"slo_s": 30, "service": {"mean_s": 1}})

    assert isinstance(scenario.slo_s, float) and scenario.slo_s == 30.0
    assert isinstance(scenario.service.mean_s, float)


def test_duration_alone_unsets_the_count() -> None:
    """Giving only duration_s generates by duration, with no record count."""
    scenario = scenario_from_dict({"arrivals": {"duration_s": 3600}})

    assert scenario.arrivals.count is None
    assert scenario.arrivals.duration_s == 3600.0


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"sla_s": 60}, "sla_s"),
        ({"kafka": {}}, "kafka"),
        ({"streaming": {"consumer": 4}}, "streaming.consumer"),
        ({"batch": {"cron_expression": "x"}}, "batch.cron_expression"),
    ],
)
def test_unknown_keys_are_named_with_the_allowed_ones(
    data: dict[str, object], key: str
) -> None:
    """An unknown key, top-level, table or inside a table, is named with the list."""
    with pytest.raises(InputError) as caught:
        scenario_from_dict(data, source="job.toml")

    message = str(caught.value)
    assert repr(key) in message
    assert "job.toml" in message
    assert "allowed keys" in message


def test_unknown_key_lists_the_tables_keys() -> None:
    """The allowed keys listed are those of the table the key sits in."""
    with pytest.raises(InputError, match="consumers, queue, message_groups"):
        scenario_from_dict({"streaming": {"consumer": 4}})


BAD_VALUES = [
    (
        {"arrivals": {"rate_per_s": -1.0}},
        "arrivals.rate_per_s",
        "-1.0",
        "between 0 and 1,000,000",
    ),
    (
        {"failures": {"transient_rate": 1.5}},
        "failures.transient_rate",
        "1.5",
        "0 and 1",
    ),
    ({"failures": {"invalid_rate": -0.1}}, "failures.invalid_rate", "-0.1", "0 and 1"),
    (
        {"streaming": {"consumers": 0}},
        "streaming.consumers",
        "0",
        "between 1 and 10,000",
    ),
    ({"streaming": {"consumers": 2.5}}, "streaming.consumers", "2.5", "whole number"),
    ({"streaming": {"consumers": "4"}}, "streaming.consumers", "'4'", "whole number"),
    (
        {"streaming": {"max_deliveries": 0}},
        "streaming.max_deliveries",
        "0",
        "1 and 1,000",
    ),
    ({"streaming": {"queue": "topic"}}, "streaming.queue", "'topic'", "standard, fifo"),
    ({"service": {"cv": 0}}, "service.cv", "0", "greater than 0"),
    ({"service": {"cv": -2.0}}, "service.cv", "-2.0", "greater than 0"),
    ({"service": {"mean_s": 0.0}}, "service.mean_s", "0.0", "greater than 0"),
    (
        {"service": {"distribution": "weibull"}},
        "service.distribution",
        "'weibull'",
        "one of",
    ),
    ({"arrivals": {"process": "bursty"}}, "arrivals.process", "'bursty'", "poisson"),
    (
        {"arrivals": {"hourly_rates": [1.0] * 12}},
        "arrivals.hourly_rates",
        "12 values",
        "24",
    ),
    (
        {"arrivals": {"hourly_rates": [-1.0] * 24}},
        "arrivals.hourly_rates",
        "-1.0",
        "between 0 and 1,000,000",
    ),
    ({"arrivals": {"hourly_rates": "busy"}}, "arrivals.hourly_rates", "'busy'", "24"),
    ({"arrivals": {"count": 0}}, "arrivals.count", "0", "between 1 and 20,000,000"),
    ({"enrichment": {"cache": "lfu"}}, "enrichment.cache", "'lfu'", "ttl-reset"),
    (
        {"enrichment": {"calls_per_record": -1}},
        "enrichment.calls_per_record",
        "-1",
        "0",
    ),
    (
        {"enrichment": {"calls_per_block": 1.5}},
        "enrichment.calls_per_block",
        "1.5",
        "whole number",
    ),
    ({"enrichment": {"block_size": 0}}, "enrichment.block_size", "0", "between 1 and"),
    (
        {"enrichment": {"zipf_alpha": float("nan")}},
        "enrichment.zipf_alpha",
        "nan",
        "finite",
    ),
    (
        {"micro_batch": {"interval_s": 0}},
        "micro_batch.interval_s",
        "0",
        "at least 0.001",
    ),
    ({"micro_batch": {"limit": 0}}, "micro_batch.limit", "0", "between 1 and"),
    ({"batch": {"cron": "0 0 25 * * ?"}}, "batch.cron", "'0 0 25 * * ?'", "hours"),
    ({"batch": {"cron": "0 2 * * *"}}, "batch.cron", "'0 2 * * *'", "5 fields"),
    ({"batch": {"cron": "0 0 2 ? * MON#6"}}, "batch.cron", "MON#6", "k = 6"),
    ({"batch": {"cron": "0 0/0 2 * * ?"}}, "batch.cron", "0/0", "step"),
    (
        {"batch": {"time_zone": "Mars/Olympus"}},
        "batch.time_zone",
        "Mars/Olympus",
        "IANA",
    ),
    ({"batch": {"commit": "sometimes"}}, "batch.commit", "'sometimes'", "progressive"),
    ({"batch": {"concurrency": True}}, "batch.concurrency", "True", "whole number"),
    ({"slo_s": 0}, "slo_s", "0", "greater than 0"),
    ({"seed": -1}, "seed", "-1", "between 0 and"),
    ({"name": ""}, "name", "''", "string"),
    ({"streaming": 4}, "streaming", "4", "table"),
]


@pytest.mark.parametrize(("data", "key", "value", "hint"), BAD_VALUES)
def test_bad_values_name_the_key_quote_the_value_and_say_the_range(
    data: dict[str, object], key: str, value: str, hint: str
) -> None:
    """Each kind of bad value is an InputError naming the key, value and range."""
    with pytest.raises(InputError) as caught:
        scenario_from_dict(data, source="orders.toml")

    message = str(caught.value)
    assert message.startswith("orders.toml: ")
    assert key in message
    assert value in message
    assert hint in message
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"arrivals": {"process": "profile"}}, "arrivals.hourly_rates"),
        ({"arrivals": {"process": "records"}}, "arrivals.file"),
        ({"enrichment": {"cache": "lru"}}, "enrichment.cache_capacity"),
        ({"enrichment": {"cache": "ttl", "cache_ttl_s": 0}}, "enrichment.cache_ttl_s"),
    ],
)
def test_keys_that_need_another_key_say_which(
    data: dict[str, object], key: str
) -> None:
    """A choice that needs a second key names the key to add or change."""
    with pytest.raises(InputError, match=key.replace(".", r"\.")):
        scenario_from_dict(data)


@pytest.mark.parametrize(
    "cron",
    [
        "0 0/5 * * * ?",
        "0 15 10 ? * MON-FRI",
        "0 0 12 L * ?",
        "0 0 12 L-3 * ?",
        "0 0 12 LW * ?",
        "0 0 12 15W * ?",
        "0 0 12 ? * 6L",
        "0 0 12 ? * 6#3",
        "0 0 2 * * ? 2030",
        "0 0 0 1 JAN-MAR,DEC ?",
        "0 0 22-2 * * ?",
        "*/10 * * * * ?",
    ],
)
def test_valid_quartz_expressions_are_accepted(cron: str) -> None:
    """Quartz syntax with ranges, lists, steps, L, W, # and a year passes."""
    assert scenario_from_dict({"batch": {"cron": cron}}).batch.cron == cron


def test_bad_value_in_a_file_names_the_file(tmp_path: Path) -> None:
    """A bad value read from a file names that file in the message."""
    path = tmp_path / "orders.toml"
    path.write_text("[streaming]\nconsumers = 0\n", encoding="utf-8")

    with pytest.raises(InputError, match=r"orders\.toml: streaming\.consumers = 0"):
        load_scenario(path)


def test_broken_toml_is_a_parse_error_with_the_file(tmp_path: Path) -> None:
    """A file that is not TOML raises ParseError naming the file."""
    path = tmp_path / "broken.toml"
    path.write_text("[streaming\nconsumers = 4\n", encoding="utf-8")

    with pytest.raises(ParseError, match=r"broken\.toml") as caught:
        load_scenario(path)
    assert isinstance(caught.value, InputError)


def test_a_file_that_is_not_utf8_names_the_file_line_and_fix(tmp_path: Path) -> None:
    """A Latin-1 file raises ParseError at the bad byte's line, asking for UTF-8."""
    path = tmp_path / "latin.toml"
    path.write_bytes('name = "orders"\n# caf\xe9\n'.encode("latin-1"))

    with pytest.raises(
        ParseError, match=r"latin\.toml:2: .*save it as UTF-8"
    ) as caught:
        load_scenario(path)
    assert caught.value.line == 2


def test_a_file_over_one_mebibyte_is_refused_unread(tmp_path: Path) -> None:
    """A scenario file of 1 MiB and one byte is an input error giving the limit."""
    path = tmp_path / "huge.toml"
    path.write_bytes(b"#" * (1024 * 1024) + b"\n")

    with pytest.raises(InputError, match=r"huge\.toml: .*larger than 1 MiB"):
        load_scenario(path)


def test_a_file_of_exactly_one_mebibyte_is_read(tmp_path: Path) -> None:
    """A scenario file of exactly 1 MiB is still within the limit."""
    path = tmp_path / "big.toml"
    path.write_bytes(b"#" * (1024 * 1024 - 1) + b"\n")

    assert load_scenario(path) == Scenario(name="big")


def test_missing_file_is_an_input_error(tmp_path: Path) -> None:
    """A path that does not exist raises InputError naming it."""
    with pytest.raises(InputError, match=r"nowhere\.toml"):
        load_scenario(tmp_path / "nowhere.toml")


def test_overrides_replace_dotted_keys() -> None:
    """Dotted overrides change just those keys and are validated."""
    scenario = with_overrides(
        Scenario(),
        {"streaming.consumers": 4, "slo_s": 5, "batch.commit": "progressive"},
    )

    assert scenario.streaming.consumers == 4
    assert scenario.slo_s == 5.0
    assert scenario.batch.commit == "progressive"
    assert scenario.streaming.queue == "standard"


def test_override_to_none_restores_the_default() -> None:
    """Overriding a key with None returns it to its default."""
    changed = with_overrides(Scenario(), {"streaming.consumers": 4})

    assert with_overrides(changed, {"streaming.consumers": None}) == Scenario()


@pytest.mark.parametrize(
    ("overrides", "key"),
    [
        ({"streaming.consumer": 4}, "streaming.consumer"),
        ({"kafka.partitions": 4}, "kafka.partitions"),
        ({"streaming.consumers.max": 4}, "streaming.consumers.max"),
        ({"streaming.consumers": 0}, "streaming.consumers"),
    ],
)
def test_bad_overrides_name_the_key(overrides: dict[str, object], key: str) -> None:
    """An unknown dotted key or a bad value in an override names the key."""
    with pytest.raises(InputError, match=key.replace(".", r"\.")):
        with_overrides(Scenario(), overrides)


def test_scenarios_are_frozen() -> None:
    """A scenario cannot be changed in place; overrides make a copy."""
    scenario = Scenario()

    with pytest.raises(dataclasses.FrozenInstanceError):
        scenario.slo_s = 1.0  # type: ignore[misc]


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"arrivals.count": 10**20}, "between 1 and 20,000,000"),
        ({"enrichment.keys": 10**12}, "between 1 and 10,000,000"),
        ({"streaming.consumers": 10**9}, "between 1 and 10,000"),
        ({"seed": 2**64}, "between 0 and"),
        ({"arrivals.rate_per_s": 1e308}, "between 0 and 1,000,000"),
        (
            {"arrivals.count": None, "arrivals.duration_s": 1e9},
            "asks for 40,000,000,000 records",
        ),
    ],
)
def test_sizes_past_what_one_machine_holds_are_refused(override, message) -> None:
    """A scenario cannot ask for more records, keys or workers than memory holds."""
    with pytest.raises(InputError, match=message):
        with_overrides(scenario_from_dict({}), override)


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"arrivals.process": "profile", "arrivals.hourly_rates": [1e12] * 24}, "rate"),
        (
            {
                "arrivals.process": "profile",
                "arrivals.hourly_rates": [1.0] * 24,
                "arrivals.count": None,
                "arrivals.duration_s": 1e8,
            },
            "the mean of arrivals.hourly_rates",
        ),
        ({"micro_batch.interval_s": 1e-9}, "at least 0.001"),
    ],
)
def test_profiles_and_intervals_are_bounded_too(override, message) -> None:
    """Profile rates, a profile's duration and the tick interval have bounds."""
    with pytest.raises(InputError, match=message):
        with_overrides(scenario_from_dict({}), override)
