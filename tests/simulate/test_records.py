"""Records generated from a scenario or read from files, tables and bad rows."""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pytest

from kit.errors import InputError
from kit.scenario import scenario_from_dict
from kit.simulate import generate_records, read_records
from kit.simulate.samples import SAMPLE_RECORDS, write_sample_records
from tests.conftest import ROOT

SCENARIO = scenario_from_dict({"arrivals": {"process": "records", "file": "x.csv"}})


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_generated_poisson_arrivals_have_the_rate() -> None:
    """A million Poisson arrivals at 40/s span 25,000 s, within half a per cent."""
    records = generate_records(scenario_from_dict({"arrivals": {"count": 1_000_000}}))

    assert records.arrived_s[-1] == pytest.approx(25_000.0, rel=0.005)
    assert (np.diff(records.arrived_s) >= 0).all()


def test_profile_arrivals_follow_the_hours() -> None:
    """A profile busy only from 09:00 to 10:00 puts every arrival in that hour."""
    rates = [0.0] * 24
    rates[9] = 2.0
    scenario = scenario_from_dict(
        {"arrivals": {"process": "profile", "hourly_rates": rates, "count": 20_000}}
    )
    hours = (generate_records(scenario).arrived_s // 3600) % 24

    assert set(hours.tolist()) == {9.0}


def test_duration_bounds_the_arrivals() -> None:
    """Arrivals by duration stop at the duration."""
    scenario = scenario_from_dict(
        {"arrivals": {"rate_per_s": 5.0, "duration_s": 100.0, "count": None}}
    )
    records = generate_records(scenario)

    assert records.arrived_s.max() <= 100.0
    assert 350 < len(records) < 650


def test_invalid_rows_are_simulated_and_unreadable_ones_rejected(tmp_path) -> None:
    """Bad amounts and empty keys are invalid; bad times and short lines are rejects."""
    path = _write(
        tmp_path / "orders.csv",
        "created_at,order_id,customer_id,amount\n"
        "2026-03-02 08:00:05,A1,C1,5.00\n"
        "2026-03-02 08:00:01,A2,,7.00\n"
        "yesterday,A3,C1,1.00\n"
        "2026-03-02 08:00:03,A4\n"
        "2026-03-02 08:00:04,A5,C2,-2\n",
    )
    records = read_records(SCENARIO, path)

    assert records.arrived_s.tolist() == [
        8 * 3600 + 1.0,
        8 * 3600 + 4.0,
        8 * 3600 + 5.0,
    ]
    assert records.invalid.tolist() == [True, True, False]
    assert records.invalid_reasons == [
        "customer_id is empty",
        "amount -2 is not a positive number",
        None,
    ]
    assert [(reject["line"], reject["text"]) for reject in records.rejects] == [
        (5, "2026-03-02 08:00:03,A4"),
        (4, "yesterday"),
    ]
    assert records.rows.column("_line").to_pylist() == [3, 6, 2]


def test_a_table_of_the_store_can_be_replayed() -> None:
    """Records read from ``table:NAME`` come out in time order with their keys."""
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE orders AS SELECT * FROM (VALUES "
        "(TIMESTAMP '2026-03-02 10:00:00', 'C9', 1.0), "
        "(TIMESTAMP '2026-03-02 09:00:00', 'C9', 2.0)) "
        "t(created_at, customer_id, amount)"
    )
    records = read_records(SCENARIO, "table:orders", con)

    assert records.arrived_s.tolist() == [9 * 3600.0, 10 * 3600.0]
    assert records.order_key.tolist() == [0, 0]


def test_a_missing_time_column_names_the_columns(tmp_path) -> None:
    """A file without the time column is one error that lists what it has."""
    path = _write(tmp_path / "r.csv", "when,order_id\n2026-03-02,A1\n")

    with pytest.raises(InputError, match=r"no column 'created_at'.*when, order_id"):
        read_records(SCENARIO, path)


def test_a_missing_file_is_one_clear_error(tmp_path) -> None:
    """A path that does not exist names itself."""
    with pytest.raises(InputError, match="no records file at"):
        read_records(SCENARIO, tmp_path / "absent.csv")


def test_empirical_service_needs_measured_times() -> None:
    """Generated records cannot use the empirical distribution, and say why."""
    scenario = scenario_from_dict({"service": {"distribution": "empirical"}})

    with pytest.raises(InputError, match="service_s column"):
        generate_records(scenario)


def test_empirical_service_replays_the_measured_times(tmp_path) -> None:
    """With a service_s column each record keeps its own measured time."""
    path = _write(
        tmp_path / "r.csv",
        "created_at,service_s\n2026-03-02 00:00:01,0.5\n2026-03-02 00:00:02,1.5\n",
    )
    scenario = scenario_from_dict({"service": {"distribution": "empirical"}})

    assert read_records(scenario, path).service_s.tolist() == [0.5, 1.5]


def test_the_bundled_sample_records_are_reproducible(tmp_path) -> None:
    """The committed sample orders are exactly what the samples module writes."""
    written = tmp_path / "orders.csv"
    write_sample_records(written)

    assert written.read_bytes() == (ROOT / SAMPLE_RECORDS).read_bytes()


def test_rejects_without_a_store_show_the_first_one(tmp_path, caplog) -> None:
    """With no --db to keep them, the warning shows the first reject and the fix."""
    path = _write(
        tmp_path / "orders.csv",
        "created_at,order_id\n2026-03-02 08:00:05,A1\nyesterday,A2\n",
    )

    read_records(SCENARIO, path)

    assert "the first, line 3: created_at 'yesterday' is not a timestamp" in (
        caplog.text
    )
    assert "give --db FILE" in caplog.text


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty file"),
        ("created_at,order_id\n", "no record to replay"),
        ("created_at,order_id\nsoon,A1\n", "no record to replay"),
    ],
)
def test_a_file_without_records_is_refused(tmp_path, text, message) -> None:
    """An empty, header-only or all-rejected file is an error, not a zero run."""
    path = _write(tmp_path / "orders.csv", text)

    with pytest.raises(InputError, match=message):
        read_records(SCENARIO, path)


def test_a_table_source_needs_the_store() -> None:
    """table:NAME without a store says to give --db, and a missing table is named."""
    with pytest.raises(InputError, match="give --db FILE"):
        read_records(SCENARIO, "table:orders")
    with pytest.raises(InputError, match="no table 'nope'"):
        read_records(SCENARIO, "table:nope", duckdb.connect())


def test_too_many_ticks_are_refused_before_memory_runs_out() -> None:
    """A millisecond interval over years of arrivals is an error, not a MemoryError."""
    from kit.simulate.scheduled import micro_batch_ticks

    with pytest.raises(InputError, match="ticks, more than"):
        micro_batch_ticks(0.001, 1e9)
