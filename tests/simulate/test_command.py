"""The kit simulate command: its JSON contract, its tables and its errors."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from kit.cli import main
from tests.conftest import ROOT

ORDERS = ROOT / "data" / "records" / "orders.csv"
MODE_KEYS = {
    "records", "loaded", "dead_lettered", "in_flight", "duplicates", "deliveries",
    "order_violations", "skipped_ticks", "latency_s", "wait_s", "api_calls",
    "cache_hit_ratio", "throttled_calls",
}  # fmt: skip


def _scenario(tmp_path, text: str = "") -> str:
    path = tmp_path / "orders.toml"
    path.write_text(
        'name = "orders"\n[arrivals]\ncount = 2000\n'
        "[enrichment]\ncalls_per_record = 1\nlatency_s = 0.05\n" + text,
        encoding="utf-8",
    )
    return str(path)


def test_json_has_every_contract_key(tmp_path, capsys) -> None:
    """--json - prints the scenario and, per mode, every documented figure."""
    assert main(["simulate", _scenario(tmp_path), "--json", "-"]) == 0
    document = json.loads(capsys.readouterr().out)

    assert document["scenario"] == "orders"
    assert set(document["modes"]) == {"streaming", "micro-batch", "batch"}
    for figures in document["modes"].values():
        assert set(figures) == MODE_KEYS
        assert set(figures["latency_s"]) == {"mean", "p50", "p95", "p99", "max"}
        assert set(figures["api_calls"]) == {"total", "per_s", "peak_per_min"}
        assert figures["records"] == 2000


def test_one_mode_and_the_tables(tmp_path, capsys) -> None:
    """--mode streaming --db writes one run, a row per record and a series."""
    database = tmp_path / "a.duckdb"
    arguments = ["simulate", _scenario(tmp_path), "--mode", "streaming"]
    assert main([*arguments, "--db", str(database)]) == 0
    assert "streaming" in capsys.readouterr().out

    con = duckdb.connect(str(database))
    runs = con.execute("SELECT mode, records, loaded FROM sim_runs").fetchall()
    records = con.execute(
        "SELECT count(*), count(loaded_s) FROM sim_records"
    ).fetchall()
    series = con.execute("SELECT sum(loaded) FROM sim_series").fetchall()

    assert runs == [("streaming", 2000, 2000)]
    assert records == [(2000, 2000)]
    assert series == [(2000,)]


def test_replaying_the_sample_orders_keeps_every_row(tmp_path) -> None:
    """--records: every row is loaded, dead-lettered with its reason, or rejected."""
    database = tmp_path / "a.duckdb"
    scenario = _scenario(tmp_path)
    arguments = ["simulate", scenario, "--records", str(ORDERS), "--db", str(database)]
    assert main([*arguments, "--mode", "streaming"]) == 0

    con = duckdb.connect(str(database))
    loaded, dead, rejected = (
        con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
        for table in ("sim_loaded", "sim_dead_letters", "sim_rejects")
    )
    lines = ORDERS.read_text(encoding="utf-8").count("\n") - 1
    reasons = con.execute(
        "SELECT DISTINCT split_part(reason, ' ', 1) FROM sim_dead_letters ORDER BY 1"
    ).fetchall()
    sample = con.execute(
        "SELECT record->>'order_id' FROM sim_loaded ORDER BY line LIMIT 1"
    ).fetchall()

    assert loaded + dead + rejected == lines
    assert rejected == 4
    assert reasons == [("amount",), ("customer_id",)]
    assert sample == [("ORD-0000001",)]


def test_a_bad_key_is_one_error_naming_it(tmp_path, capsys) -> None:
    """An unknown scenario key exits 2 with a message that names the key."""
    scenario = _scenario(tmp_path, "[streaming]\nconsumer = 3\n")

    assert main(["simulate", scenario]) == 2
    assert "streaming.consumer" in capsys.readouterr().err


def test_a_span_too_long_to_hold_is_refused(tmp_path, capsys) -> None:
    """Records spread over decades are refused with the keys to change."""
    text = Path(_scenario(tmp_path)).read_text(encoding="utf-8")
    path = tmp_path / "sparse.toml"
    path.write_text(text.replace("count = 2000", "count = 500\nrate_per_s = 1e-6"))

    assert main(["simulate", str(path), "--mode", "streaming"]) == 2
    assert "arrivals.count" in capsys.readouterr().err


def test_too_many_micro_batch_ticks_are_refused(tmp_path, capsys) -> None:
    """A one-second interval over most of a year names micro_batch.interval_s."""
    path = tmp_path / "ticks.toml"
    path.write_text(
        "[arrivals]\ncount = 2000\nrate_per_s = 1e-4\n[micro_batch]\ninterval_s = 1\n",
        encoding="utf-8",
    )

    assert main(["simulate", str(path), "--mode", "micro-batch"]) == 2
    assert "micro_batch.interval_s" in capsys.readouterr().err
