"""``kit estimate SCENARIO.toml``: the JSON contract and clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kit.cli import main
from tests.conftest import FIXTURES

ORDERS = FIXTURES / "scenarios" / "orders.toml"


def test_json_has_every_contract_key(capsys: pytest.CaptureFixture[str]) -> None:
    """The JSON object carries the documented sections and keys."""
    assert main(["estimate", str(ORDERS), "--json", "-"]) == 0
    figures = json.loads(capsys.readouterr().out)

    assert set(figures) == {
        "scenario", "streaming", "micro_batch", "batch", "enrichment", "recommendation"
    }  # fmt: skip
    assert set(figures["streaming"]) == {
        "utilisation", "stable", "p_wait", "wait_mean_s", "latency_mean_s",
        "latency_p95_s", "min_consumers_for_slo",
    }  # fmt: skip
    assert set(figures["micro_batch"]) == {
        "stable", "latency_mean_s", "latency_p95_s", "backlog_growth_per_h"
    }  # fmt: skip
    assert set(figures["batch"]) == {
        "run_duration_s",
        "latency_mean_s",
        "latency_max_s",
    }
    assert set(figures["enrichment"]["peak_calls_per_min"]) == {
        "streaming", "micro_batch", "batch"
    }  # fmt: skip
    assert figures["recommendation"]["mode"] == "streaming"


def test_erlang_c_figures_come_through_the_command(capsys) -> None:
    """40/s at 0.2 s on 10 consumers with no enrichment gives Erlang C's wait."""
    path = ORDERS.parent / "plain.toml"
    assert main(["estimate", str(path), "--json", "-"]) == 0
    streaming = json.loads(capsys.readouterr().out)["streaming"]

    assert streaming["utilisation"] == pytest.approx(0.8, rel=1e-9)
    assert streaming["p_wait"] == pytest.approx(0.40918, rel=1e-4)
    assert streaming["wait_mean_s"] == pytest.approx(0.040918, rel=1e-4)


def test_unknown_key_is_named(tmp_path: Path, capsys) -> None:
    """A misspelt key exits 2 with a message naming the key and the file."""
    bad = tmp_path / "bad.toml"
    bad.write_text("[streaming]\nconsumerz = 3\n")

    assert main(["estimate", str(bad)]) == 2
    message = capsys.readouterr().err
    assert "streaming.consumerz" in message and "bad.toml" in message


def test_a_file_that_is_not_utf8_exits_2_saying_what_to_do(
    tmp_path: Path, capsys
) -> None:
    """A non-UTF-8 scenario exits 2 with one message naming the file and line."""
    bad = tmp_path / "bad.toml"
    bad.write_bytes(b"[streaming]\nconsumers = 3 # \xff\n")

    assert main(["estimate", str(bad)]) == 2
    message = capsys.readouterr().err
    assert "bad.toml:2" in message and "UTF-8" in message
    assert "Traceback" not in message
