"""The inventory end to end: the command, its JSON contract, tables and secrets."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import duckdb
import pytest

from kit.cli import main
from kit.portfolio import StrictStop, take_inventory
from tests.conftest import FIXTURES, ROOT

SAMPLE_APPS = ROOT / "data" / "apps"
PLACEHOLDERS = FIXTURES / "portfolio" / "placeholders" / "input"
BAD_INPUT = FIXTURES / "portfolio" / "bad-input" / "input"


def run_json(capsys: pytest.CaptureFixture[str], *arguments: str) -> tuple[int, dict]:
    status = main(["inventory", *arguments, "--json", "-"])
    return status, json.loads(capsys.readouterr().out)


def test_sample_portfolio_matches_the_hand_made_table() -> None:
    """The bundled apps give the 17 jobs and 47 calls counted by hand.

    Four calls sit in error handlers: the streaming flow's dead-letter publish,
    ack and nack, and the micro-batch's 'Mark failed' update.
    """
    inventory = take_inventory([SAMPLE_APPS])
    kinds = Counter(job.trigger.kind for job in inventory.jobs)
    pers = Counter(call.per for job in inventory.jobs for call in job.calls)
    assert len(inventory.apps) == 8 and len(inventory.jobs) == 17
    assert kinds == {
        "cron": 5,
        "fixed-frequency": 7,
        "listener": 1,
        "message": 3,
        "request": 1,
    }
    assert pers == {"record": 23, "block": 6, "run": 14, "failure": 4}
    assert not inventory.has_errors


def test_the_three_orders_shapes_have_their_modes() -> None:
    """Nightly batch, five-minute micro-batch and MQ streaming are told apart."""
    inventory = take_inventory([SAMPLE_APPS])
    modes = {
        job.app: job.mode for job in inventory.jobs if job.app.startswith("orders")
    }
    assert modes == {
        "orders-nightly-batch": "batch",
        "orders-micro-batch": "micro-batch",
        "orders-streaming": "streaming",
    }


def test_json_contract_has_the_documented_fields(capsys) -> None:
    """Every job, trigger, call and finding carries exactly the contract's keys."""
    status, document = run_json(capsys, str(SAMPLE_APPS))
    assert status == 0
    assert set(document) == {"jobs", "findings"}
    job = document["jobs"][0]
    assert set(job) == {
        "app", "file", "line", "flow", "batch_job", "mode", "trigger", "steps", "calls"
    }  # fmt: skip
    assert set(job["trigger"]) == {
        "kind", "source", "cron", "time_zone", "frequency_ms", "period_s",
        "description", "defaulted",
    }  # fmt: skip
    call = next(call for job in document["jobs"] for call in job["calls"])
    assert set(call) == {
        "component", "per", "step", "method", "path", "config_ref", "file", "line"
    }  # fmt: skip
    assert set(document["findings"][0]) == {
        "severity",
        "code",
        "file",
        "line",
        "message",
    }


def test_error_findings_exit_1_and_strict_exits_2(capsys) -> None:
    """Bad files give exit 1 with the rest assessed; --strict stops with exit 2."""
    status, document = run_json(capsys, str(BAD_INPUT))
    assert status == 1
    assert [job["flow"] for job in document["jobs"]] == [
        "stillAssessed",
        "badCron",
        "badZone",
    ]
    assert main(["inventory", str(BAD_INPUT), "--strict", "--json", "-"]) == 2
    assert "bomb.xml" in capsys.readouterr().err


def test_strict_mode_raises_at_the_first_error() -> None:
    """In strict mode the library raises StrictStop naming the file."""
    with pytest.raises(StrictStop, match=r"bomb\.xml"):
        take_inventory([BAD_INPUT], strict=True)


def test_missing_path_is_a_usage_error(capsys, tmp_path: Path) -> None:
    """A path that does not exist exits 2 with a message naming it."""
    assert main(["inventory", str(tmp_path / "nowhere")]) == 2
    assert "nowhere" in capsys.readouterr().err


def test_property_override_resolves_a_placeholder(capsys) -> None:
    """--property fills a key the files leave unresolved and clears its warning."""
    _, before = run_json(capsys, str(PLACEHOLDERS))
    _, after = run_json(capsys, str(PLACEHOLDERS), "--property", "api.version=v2")
    path_after = after["jobs"][0]["calls"][0]["path"]
    assert path_after == "/billing/invoices/v2?token=****"
    assert any(f["code"] == "unresolved-placeholder" for f in before["findings"])
    assert not any(f["code"] == "unresolved-placeholder" for f in after["findings"])


def test_micro_batch_threshold_moves_the_boundary(capsys) -> None:
    """A 30-minute threshold turns the half-hourly credit-notes job into micro-batch."""
    _, document = run_json(
        capsys, str(SAMPLE_APPS / "invoices-export"), "--micro-batch-threshold", "30"
    )
    modes = {job["flow"]: job["mode"] for job in document["jobs"]}
    assert modes["credit-notes-export-flow"] == "micro-batch"


def test_tables_hold_the_inventory_and_no_secret(tmp_path: Path, capsys) -> None:
    """--db writes every table; no property value of a credential reaches it."""
    database = tmp_path / "assessment.duckdb"
    main(["inventory", str(SAMPLE_APPS), str(PLACEHOLDERS), "--db", str(database)])
    capsys.readouterr()
    with duckdb.connect(str(database), read_only=True) as con:
        counts = {
            table: con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("apps", "flows", "jobs", "steps", "calls", "findings")
        }
        dump = " ".join(
            str(row)
            for table in counts
            for row in con.execute(f"SELECT * FROM {table}").fetchall()
        )
    assert counts["apps"] == 9 and counts["jobs"] == 18
    assert min(counts.values()) > 0
    for secret in ("changeit", "s3cr3t-token-value", "hunter2"):
        assert secret not in dump


def test_rerunning_replaces_rather_than_appends(tmp_path: Path, capsys) -> None:
    """Taking the inventory twice into one file leaves one copy of each row."""
    database = tmp_path / "assessment.duckdb"
    for _ in range(2):
        main(["inventory", str(SAMPLE_APPS), "--db", str(database)])
    capsys.readouterr()
    with duckdb.connect(str(database), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM jobs").fetchone()[0] == 17


def test_oversized_file_is_refused(tmp_path: Path, monkeypatch) -> None:
    """A file above the size cap is an error finding, not a parse."""
    monkeypatch.setattr("kit.portfolio.xmlfile.MAX_FILE_BYTES", 100)
    big = tmp_path / "big.xml"
    big.write_text(
        "<mule xmlns='http://www.mulesoft.org/schema/mule/core'>"
        + " " * 200
        + "</mule>"
    )
    inventory = take_inventory([big])
    assert [f.code for f in inventory.findings] == ["xml-invalid"]
    assert "limit" in inventory.findings[0].message


def test_a_file_given_by_itself_keeps_its_whole_name(
    tmp_path: Path, monkeypatch, capsys
) -> None:
    """A bare file name in the current folder is shown whole, not cut short."""
    (tmp_path / "a.xml").write_text("<mule")
    monkeypatch.chdir(tmp_path)

    _, document = run_json(capsys, "a.xml")

    assert [finding["file"] for finding in document["findings"]] == ["a.xml"]


def test_the_text_summary_names_each_error_with_its_place(capsys) -> None:
    """Without --json the errors are listed with app, file and line."""
    assert main(["inventory", str(BAD_INPUT)]) == 1

    out = capsys.readouterr().out
    assert "error input/bomb.xml:" in out


def test_an_empty_folder_is_said_out_loud(tmp_path: Path, caplog) -> None:
    """A folder without Mule files gives a warning, not a silent empty inventory."""
    inventory = take_inventory([tmp_path])

    assert inventory.jobs == []
    assert "no Mule configuration files" in caplog.text


def test_a_placeholder_aggregator_size_is_resolved() -> None:
    """batch:commit size="${commit.size}" takes the property's value."""
    case = FIXTURES / "portfolio" / "m3-ee-and-annotations" / "input"
    inventory = take_inventory([case])

    batch = next(job for job in inventory.jobs if job.batch_job == "ordersBatch")

    assert [step.aggregator_size for step in batch.steps] == [50, None]


def test_apps_of_one_name_get_as_many_parents_as_it_takes(tmp_path: Path) -> None:
    """t1/svc/orders and t2/svc/orders stay two apps with two names."""
    for team in ("t1", "t2"):
        sources = tmp_path / team / "svc" / "orders" / "src" / "main" / "mule"
        sources.mkdir(parents=True)
        (sources / "a.xml").write_text(
            '<mule xmlns="http://www.mulesoft.org/schema/mule/core"/>'
        )

    inventory = take_inventory([tmp_path])

    assert sorted(app.app for app in inventory.apps) == [
        "t1/svc/orders",
        "t2/svc/orders",
    ]


def test_an_unresolved_time_unit_is_one_warning_not_an_error(tmp_path: Path) -> None:
    """timeUnit="${unit}" with no such property warns once and stops nothing."""
    (tmp_path / "a.xml").write_text(
        '<mule xmlns="http://www.mulesoft.org/schema/mule/core">'
        '<flow name="f"><scheduler><scheduling-strategy>'
        '<fixed-frequency frequency="5" timeUnit="${unit}"/>'
        "</scheduling-strategy></scheduler><logger/></flow></mule>"
    )

    inventory = take_inventory([tmp_path])

    assert [(f.severity, f.code) for f in inventory.findings] == [
        ("warning", "unresolved-placeholder")
    ]


def test_api_specifications_are_not_read_as_property_files(tmp_path: Path) -> None:
    """An OpenAPI spec under resources/api is no property file and no error."""
    app = tmp_path / "orders"
    (app / "src" / "main" / "mule").mkdir(parents=True)
    (app / "src" / "main" / "mule" / "a.xml").write_text(
        '<mule xmlns="http://www.mulesoft.org/schema/mule/core"/>'
    )
    spec = app / "src" / "main" / "resources" / "api"
    spec.mkdir(parents=True)
    (spec / "orders.yaml").write_text("openapi: 3.0.0\n---\nsecond: document\n")

    inventory = take_inventory([tmp_path])

    assert [app.property_files for app in inventory.apps] == [0]
    assert not inventory.has_errors


def test_a_job_deployed_stopped_is_kept_and_said(tmp_path: Path) -> None:
    """initialState="stopped" keeps the job and adds an info finding."""
    (tmp_path / "a.xml").write_text(
        '<mule xmlns="http://www.mulesoft.org/schema/mule/core">'
        '<flow name="f" initialState="stopped"><scheduler><scheduling-strategy>'
        '<fixed-frequency frequency="60000" timeUnit="MILLISECONDS"/>'
        "</scheduling-strategy></scheduler>"
        "<logger/></flow></mule>"
    )

    inventory = take_inventory([tmp_path])

    assert [job.flow for job in inventory.jobs] == ["f"]
    assert [f.code for f in inventory.findings] == ["flow-stopped"]


def test_a_secret_default_never_reaches_a_finding(tmp_path: Path) -> None:
    """${api.token:default} beside a missing key: the warning shows the mask."""
    (tmp_path / "a.xml").write_text(
        '<mule xmlns="http://www.mulesoft.org/schema/mule/core" '
        'xmlns:http="http://www.mulesoft.org/schema/mule/http">'
        '<flow name="f"><scheduler><scheduling-strategy>'
        '<fixed-frequency frequency="1" timeUnit="MINUTES"/>'
        "</scheduling-strategy></scheduler>"
        '<http:request config-ref="Api" method="GET" '
        'path="/o?token=${api.token:s3cr3t}&amp;region=${region}"/></flow></mule>'
    )

    inventory = take_inventory([tmp_path])

    assert all("s3cr3t" not in finding.message for finding in inventory.findings)
    assert "s3cr3t" not in json.dumps(inventory.to_json())


def test_one_folder_given_twice_is_one_app(tmp_path: Path) -> None:
    """The same app folder twice on the command line is assessed once, named plainly."""
    app = tmp_path / "orders"
    (app / "src" / "main" / "mule").mkdir(parents=True)
    (app / "src" / "main" / "mule" / "a.xml").write_text(
        '<mule xmlns="http://www.mulesoft.org/schema/mule/core"/>'
    )

    inventory = take_inventory([app, app])

    assert [found.app for found in inventory.apps] == ["orders"]


def test_files_of_one_folder_given_one_by_one_make_one_app(tmp_path: Path) -> None:
    """a.xml and b.xml given separately are one loose app with both files."""
    for name in ("a.xml", "b.xml"):
        (tmp_path / name).write_text(
            '<mule xmlns="http://www.mulesoft.org/schema/mule/core"/>'
        )

    inventory = take_inventory([tmp_path / "a.xml", tmp_path / "b.xml"])

    assert [found.files for found in inventory.apps] == [2]


def test_a_global_jms_endpoint_named_by_ref_is_a_subscription(tmp_path: Path) -> None:
    """<inbound-endpoint ref="q"/> to a <jms:endpoint> streams; it is not a poll."""
    (tmp_path / "a.xml").write_text(
        '<mule xmlns="http://www.mulesoft.org/schema/mule/core" '
        'xmlns:jms="http://www.mulesoft.org/schema/mule/jms">'
        '<jms:endpoint name="q" queue="orders"/>'
        '<flow name="f"><inbound-endpoint ref="q"/><logger/></flow></mule>'
    )

    [job] = take_inventory([tmp_path]).jobs

    assert (job.trigger.kind, job.mode) == ("message", "streaming")
