"""The report: every notebook runs on the sample portfolio and its figures hold."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import duckdb
import nbformat
import pytest
from jupyter_client.kernelspec import KernelSpecManager

from kit import frames
from kit.cli import main
from kit.errors import InputError
from kit.figures import read_glued
from kit.plan.what_if import what_if_store
from kit.report import (
    NOTEBOOKS,
    Sources,
    assess,
    build_report,
    pinned_kernel,
    run_notebooks,
)
from tests.conftest import ROOT

pytestmark = pytest.mark.xdist_group("report")


def _glued(report, name: str) -> dict:
    return read_glued(report.index.parent / "notebooks" / f"{name}.ipynb")


def _one(con: duckdb.DuckDBPyConnection, sql: str) -> object:
    return con.execute(sql).fetchone()[0]


@pytest.fixture(scope="module")
def store(sample_report):
    con = duckdb.connect(str(sample_report.database), read_only=True)
    yield con
    con.close()


def test_every_notebook_runs_and_is_linked(sample_report) -> None:
    """All five notebooks run without error and index.html links each page."""
    index = sample_report.index.read_text(encoding="utf-8")

    assert [run.name for run in sample_report.notebooks] == list(NOTEBOOKS)
    assert sample_report.failed == []
    for name in NOTEBOOKS:
        assert (sample_report.index.parent / f"{name}.html").is_file()
        assert f'href="{name}.html"' in index


def test_pages_show_no_code_and_reference_nothing_remote(sample_report) -> None:
    """Rendered pages hold no code cells and load no script or style by URL."""
    for name in NOTEBOOKS:
        page = (sample_report.index.parent / f"{name}.html").read_text("utf-8")

        assert 'class="jp-CodeMirrorEditor' not in page
        assert not re.search(r"""<(script|link)[^>]+(src|href)=["']?https?:""", page)
        assert page.count('class="kit-chart"') >= 1


def test_inventory_figures_match_the_store(sample_report, store) -> None:
    """The inventory page counts 8 apps, 17 jobs and the stored calls and findings."""
    figures = _glued(sample_report, "01_inventory")

    assert (figures["apps"], figures["jobs"]) == (8, 17)
    assert figures["calls"] == _one(store, "SELECT count(*) FROM calls")
    for severity in ("error", "warning", "info"):
        stored = _one(
            store, f"SELECT count(*) FROM findings WHERE severity = '{severity}'"
        )
        assert figures[f"findings_{severity}"] == stored


def test_run_history_figures_match_the_store(sample_report, store) -> None:
    """Runs, failed and incomplete runs and rejected lines are the stored counts."""
    figures = _glued(sample_report, "02_run_history")

    assert figures["runs"] == _one(store, "SELECT count(*) FROM runs") > 0
    assert figures["failed_runs"] == _one(
        store, "SELECT count(*) FROM runs WHERE status = 'failed'"
    )
    assert figures["incomplete_runs"] == _one(
        store, "SELECT count(*) FROM runs WHERE status = 'incomplete'"
    )
    assert figures["rejected_lines"] == _one(store, "SELECT count(*) FROM log_rejects")


def test_estimate_figures_cover_every_scheduled_job(sample_report) -> None:
    """Thirteen scheduled jobs are estimated, each with exactly one recommendation."""
    figures = _glued(sample_report, "03_latency_and_load")

    recommended = sum(
        figures[f"recommended_{mode}"] for mode in ("streaming", "micro-batch", "batch")
    )
    assert figures["jobs_estimated"] == 13 == recommended


def test_simulation_figures_conserve_records(sample_report, store) -> None:
    """The busiest job is shown; each mode's records end loaded, dead or in flight."""
    figures = _glued(sample_report, "04_simulation")

    assert figures["job"] == frames.simulated_jobs(store)[0]
    for mode in ("streaming", "micro-batch", "batch"):
        ends = sum(
            figures[f"{mode}_{end}"] for end in ("loaded", "dead_lettered", "in_flight")
        )
        assert figures[f"{mode}_records"] == ends > 0


def test_summary_figures_agree_with_the_other_pages(sample_report) -> None:
    """The summary counts the inventory's jobs and moves no more than are estimated."""
    summary = _glued(sample_report, "00_summary")
    inventory = _glued(sample_report, "01_inventory")

    assert (summary["apps"], summary["jobs"]) == (inventory["apps"], inventory["jobs"])
    assert summary["scheduled_jobs"] == 13
    assert 0 < summary["jobs_to_move"] <= summary["scheduled_jobs"]
    assert (
        summary["to_streaming"] + summary["to_micro_batch"] == summary["jobs_to_move"]
    )
    assert summary["median_latency_after_s"] < summary["median_latency_today_s"]


def test_index_shows_the_headline_figures(sample_report) -> None:
    """The index page lists the summary's glued figures."""
    index = sample_report.index.read_text(encoding="utf-8")
    summary = _glued(sample_report, "00_summary")

    assert "<dt>jobs to move</dt>" in index
    assert f"<dd>{summary['jobs_to_move']}</dd>" in index


def _notebook(path: Path, source: str) -> Path:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_code_cell(
            'db = ""\njobs = []', metadata={"tags": ["parameters"]}
        ),
        nbformat.v4.new_markdown_cell("# A page"),
        nbformat.v4.new_code_cell(source),
    ]
    notebook.metadata["kernelspec"] = {
        "name": "kit",
        "language": "python",
        "display_name": "kit",
    }
    nbformat.write(notebook, path)
    return path


def test_a_failing_notebook_is_named_and_the_others_still_render(tmp_path) -> None:
    """The error names the notebook, the cell and the exception; both pages render."""
    good = _notebook(tmp_path / "good.ipynb", "print('fine')")
    broken = _notebook(tmp_path / "broken.ipynb", "1 / 0")
    out = tmp_path / "out"

    runs = run_notebooks([good, broken], out, {"db": "", "jobs": []}, {})

    assert runs[0].error is None
    assert re.fullmatch(
        r"broken\.ipynb: cell \d+ \(cell index \d+\) raised ZeroDivisionError: .*",
        runs[1].error,
    )
    assert "ZeroDivisionError" in (out / "broken.html").read_text("utf-8")
    assert "fine" in (out / "good.html").read_text("utf-8")


def test_a_notebook_that_cannot_start_is_reported_too(tmp_path) -> None:
    """A notebook papermill cannot run is an error naming it, with no page."""
    unreadable = tmp_path / "bad.ipynb"
    unreadable.write_text("{not json", encoding="utf-8")

    [run] = run_notebooks([unreadable], tmp_path / "out", {}, {})

    assert run.error.startswith("bad.ipynb: could not run: ")
    assert run.html is None


def test_an_unknown_parameter_is_refused_before_any_work(tmp_path) -> None:
    """A -p key that no notebook declares is an error listing the ones they take."""
    with pytest.raises(InputError, match=r"'nope'.*they take .*max_consumers"):
        build_report(Sources.bundled(), tmp_path, parameters={"nope": 1})

    assert not (tmp_path / "assessment.duckdb").exists()


def test_the_pinned_kernel_runs_this_python() -> None:
    """While pinned, the report's kernel spec names this interpreter."""
    with pinned_kernel() as name:
        spec = KernelSpecManager().get_kernel_spec(name)

    assert spec.argv[0] == sys.executable


def test_what_if_store_reestimates_and_resimulates_one_job(
    sample_report, store
) -> None:
    """Overrides give a new estimate and simulation in memory; the file is unchanged."""
    name = frames.simulated_jobs(store)[0]
    before = _one(store, "SELECT count(*) FROM sim_runs")

    memory = what_if_store(store, name, {"streaming.consumers": 2, "seed": 11})

    consumers = _one(memory, "SELECT consumers FROM estimates WHERE mode = 'streaming'")
    assert consumers == 2
    assert _one(memory, "SELECT count(*) FROM sim_runs") == 3
    assert _one(memory, "SELECT DISTINCT seed FROM sim_runs") == 11
    assert _one(store, "SELECT count(*) FROM sim_runs") == before


def test_command_checks_its_paths_first(tmp_path, capsys) -> None:
    """kit report --apps on a missing folder is a usage error naming it."""
    missing = tmp_path / "nowhere"

    assert main(["report", "--apps", str(missing), "--out", str(tmp_path)]) == 2
    assert "nowhere" in capsys.readouterr().err


def test_command_reads_parameters_as_literals(tmp_path, capsys) -> None:
    """-p KEY=VALUE must be KEY=VALUE; a bad pair is a usage error."""
    assert main(["report", "-p", "max_consumers", "--out", str(tmp_path)]) == 2
    assert "-p 'max_consumers' is not KEY=VALUE" in capsys.readouterr().err


@pytest.mark.parametrize("failing", ["defaults", "stage"])
def test_a_failed_assessment_leaves_the_previous_database(tmp_path, failing) -> None:
    """Bad defaults, or a stage that fails, keep the last good database as it was."""
    database = tmp_path / "assessment.duckdb"
    database.write_bytes(b"the previous assessment")
    bad_defaults = tmp_path / "defaults.toml"
    bad_defaults.write_text("[streaming\n", encoding="utf-8")
    sources = Sources(
        apps=ROOT / "data" / "apps" / "orders-streaming",
        scenario_defaults=bad_defaults if failing == "defaults" else None,
    )

    with pytest.raises(InputError, match=r"toml|runs on a schedule"):
        assess(sources, database, tmp_path, jobs=("no-such-job",))

    assert database.read_bytes() == b"the previous assessment"
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(
        ["assessment.duckdb", "defaults.toml"]
    )


def test_a_folder_without_apps_says_so(tmp_path) -> None:
    """--apps on a folder with no Mule files is named, not sent on to the estimates."""
    with pytest.raises(InputError, match="no Mule apps under"):
        assess(Sources(apps=tmp_path), tmp_path / "assessment.duckdb", tmp_path)
