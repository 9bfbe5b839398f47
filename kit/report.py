"""Run the whole assessment and render it as a report that opens offline.

``build_report`` runs the stages into one DuckDB file, executes the notebooks
headless with papermill (two at a time, on a kernel pinned to this Python),
renders each to HTML without code and with the chart library inlined once per
page, and writes ``index.html`` linking them, with the summary's key figures
(see ``kit.figures``).
"""

from __future__ import annotations

import html
import json
import logging
import os
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
import papermill
import vl_convert
from jupyter_core.utils import ensure_event_loop
from nbconvert import HTMLExporter
from tqdm import tqdm

from kit.errors import InputError
from kit.estimate.portfolio import estimate_portfolio
from kit.figures import GLUE_MIMETYPE, read_glued
from kit.portfolio import take_inventory, write_inventory
from kit.runlog import ingest_logs
from kit.runlog.samples import write_sample_logs
from kit.scenario import load_scenario
from kit.simulate.portfolio import simulate_portfolio
from kit.store import open_store

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = (
    "00_summary",
    "01_inventory",
    "02_run_history",
    "03_latency_and_load",
    "04_simulation",
)
TEMPLATES = Path(__file__).resolve().parent / "templates"
KERNEL_NAME = "kit-report"
SAMPLE_DAYS = 90
SAMPLE_SEED = 7
# Notebooks run two at a time: one per core of the machine the kit targets.
PARALLEL_NOTEBOOKS = 2


@dataclass(frozen=True)
class Sources:
    """What one assessment reads: apps, and optionally logs, records, defaults.

    With ``sample_logs``, run logs are generated for the apps (the bundled
    demo has no real ones).
    """

    apps: Path
    logs: Path | None = None
    records: Path | None = None
    scenario_defaults: Path | None = None
    sample_logs: bool = False

    @classmethod
    def bundled(cls) -> Sources:
        """The sample portfolio in ``data/``, with generated logs."""
        defaults = DATA / "scenario-defaults.toml"
        return cls(
            apps=DATA / "apps",
            records=DATA / "records" / "orders.csv",
            scenario_defaults=defaults if defaults.is_file() else None,
            sample_logs=True,
        )


@dataclass
class NotebookRun:
    """One notebook's execution: where its HTML is, how long, what failed."""

    name: str
    html: Path | None
    seconds: float
    error: str | None = None


@dataclass
class Report:
    """Where the report and its database are, and how each notebook went."""

    index: Path
    database: Path
    notebooks: list[NotebookRun] = field(default_factory=list)

    @property
    def failed(self) -> list[NotebookRun]:
        """The notebooks that raised an error."""
        return [run for run in self.notebooks if run.error]


def build_report(
    sources: Sources,
    out: Path,
    jobs: Sequence[str] = (),
    parameters: Mapping[str, Any] | None = None,
    notebooks: Sequence[str] = NOTEBOOKS,
) -> Report:
    """Assess ``sources`` into ``out``: the database, the notebooks and the HTML.

    ``jobs`` limits the simulation and every notebook to those jobs;
    ``parameters`` go to every notebook that declares them.
    """
    out.mkdir(parents=True, exist_ok=True)
    database = out / "assessment.duckdb"
    chosen = [_notebook_path(name) for name in notebooks]
    given = _notebook_parameters(chosen, parameters or {})

    with tqdm(total=5, desc="report", unit="stage", file=sys.stderr) as progress:
        step = _stepper(progress)
        assess(sources, database, out, jobs, step)
        step("notebooks")
        base = {"db": str(database.resolve()), "jobs": list(jobs)}
        runs = run_notebooks(chosen, out, base, given)
        step(None)

    index = write_index(out, runs)
    log.info(
        "report: %d notebooks, %d failed, in %s",
        len(runs),
        len([run for run in runs if run.error]),
        index,
    )
    return Report(index=index, database=database, notebooks=runs)


def assess(
    sources: Sources,
    database: Path,
    out: Path,
    jobs: Sequence[str] = (),
    step: Callable[[str | None], None] | None = None,
) -> None:
    """Run inventory, run history, estimates and simulation into a new database.

    ``step`` is told the name of each stage as it starts. The database is
    built beside ``database`` and replaces it only when every stage succeeded,
    so a bad input leaves the previous assessment as it was.
    """
    building = database.with_name(database.name + ".building")
    _remove_database(building)
    try:
        _assess_into(sources, building, out, jobs, step or _stepper(None))
    except BaseException:
        _remove_database(building)
        raise
    _remove_database(database)
    building.replace(database)


def _remove_database(database: Path) -> None:
    """Delete a DuckDB file and its write-ahead log, if there."""
    for part in (database, database.with_name(database.name + ".wal")):
        part.unlink(missing_ok=True)


def _assess_into(
    sources: Sources,
    database: Path,
    out: Path,
    jobs: Sequence[str],
    step: Callable[[str | None], None],
) -> None:
    """The stages of :func:`assess`, into ``database``."""
    defaults = (
        load_scenario(sources.scenario_defaults) if sources.scenario_defaults else None
    )
    with open_store(database) as con:
        step("inventory")
        inventory = take_inventory([sources.apps])
        if not inventory.apps:
            raise InputError(
                f"no Mule apps under {str(sources.apps)!r}; point --apps at the "
                "folder that holds them"
            )
        write_inventory(con, inventory)

        step("run history")
        logs = sources.logs
        if logs is None and sources.sample_logs:
            logs = out / "samples" / "logs"
            shutil.rmtree(logs, ignore_errors=True)
            logs.mkdir(parents=True)
            write_sample_logs(inventory, logs, days=SAMPLE_DAYS, seed=SAMPLE_SEED)
        if logs is not None:
            ingest_logs(con, [logs])

        step("estimates")
        if not estimate_portfolio(con, defaults):
            raise InputError(
                f"none of the {len(inventory.jobs)} jobs under "
                f"{str(sources.apps)!r} runs on a schedule, so there is nothing to "
                f"estimate or simulate; 'kit inventory {sources.apps}' lists them"
            )

        step("simulation")
        simulate_portfolio(con, tuple(jobs), sources.records)


def _stepper(progress: tqdm | None) -> Callable[[str | None], None]:
    """A function that closes the previous stage and names the next (None: done)."""
    started = [False]

    def step(name: str | None) -> None:
        if progress is not None and started[0]:
            progress.update()
        started[0] = True
        if name is None:
            return
        if progress is not None:
            progress.set_postfix_str(name)
        log.info("report: %s", name)

    return step


# Notebooks -----------------------------------------------------------------


def run_notebooks(
    notebooks: Sequence[Path],
    out: Path,
    base: Mapping[str, Any],
    given: Mapping[Path, Mapping[str, Any]],
) -> list[NotebookRun]:
    """Execute the notebooks two at a time, then render each to HTML.

    A failing notebook is kept with its error and rendered all the same.
    """
    # Absolute, because papermill changes the working directory of the whole
    # process while a notebook runs, and two run at once.
    executed = (out / "notebooks").resolve()
    executed.mkdir(parents=True, exist_ok=True)
    with pinned_kernel(), ThreadPoolExecutor(PARALLEL_NOTEBOOKS) as pool:
        runs = list(
            pool.map(
                lambda path: execute_notebook(
                    path, executed / path.name, {**base, **given.get(path, {})}
                ),
                notebooks,
            )
        )

    bundle = chart_library()
    for run in runs:
        notebook = executed / f"{run.name}.ipynb"
        if notebook.is_file():
            run.html = out / f"{run.name}.html"
            render_html(notebook, run.html, bundle)
    return runs


def execute_notebook(
    source: Path, target: Path, parameters: Mapping[str, Any]
) -> NotebookRun:
    """Run one notebook with papermill; an error names the notebook and the cell."""
    start = time.perf_counter()
    error = None
    try:
        papermill.execute_notebook(
            str(source),
            str(target),
            parameters=dict(parameters),
            kernel_name=KERNEL_NAME,
            cwd=str(source.parent),
            progress_bar=False,
        )
    except papermill.PapermillExecutionError as exc:
        error = (
            f"{source.name}: cell {exc.exec_count} (cell index {exc.cell_index}) "
            f"raised {exc.ename}: {exc.evalue}"
        )
        log.warning("report: %s", error)
    except Exception as exc:  # a kernel that dies or a notebook it cannot read
        error = f"{source.name}: could not run: {type(exc).__name__}: {exc}"
        log.warning("report: %s", error)
    finally:
        # papermill leaves this thread's event loop open; close it here.
        ensure_event_loop().close()
    seconds = time.perf_counter() - start
    log.info("report: %s ran in %.1f s", source.stem, seconds)
    return NotebookRun(name=source.stem, html=None, seconds=seconds, error=error)


@contextmanager
def pinned_kernel() -> Iterator[str]:
    """Make the kernel ``kit-report`` run this very Python while the block runs.

    The kernel spec lives in a temporary folder put first on ``JUPYTER_PATH``,
    so no other kernel of that name, and no missing one, can get in the way.
    """
    previous = os.environ.get("JUPYTER_PATH")
    with tempfile.TemporaryDirectory(prefix="kit-kernel-") as folder:
        spec = Path(folder) / "kernels" / KERNEL_NAME
        spec.mkdir(parents=True)
        argv = [
            *(sys.executable, "-m", "ipykernel_launcher", "--log-level=CRITICAL"),
            *("-f", "{connection_file}"),
        ]
        document = {"argv": argv, "display_name": "kit report", "language": "python"}
        (spec / "kernel.json").write_text(json.dumps(document), encoding="utf-8")
        os.environ["JUPYTER_PATH"] = os.pathsep.join(filter(None, [folder, previous]))
        try:
            yield KERNEL_NAME
        finally:
            if previous is None:
                os.environ.pop("JUPYTER_PATH", None)
            else:
                os.environ["JUPYTER_PATH"] = previous


def _notebook_path(name: str) -> Path:
    path = NOTEBOOK_DIR / f"{name}.ipynb"
    if not path.is_file():
        raise InputError(
            f"notebook {str(path)!r} is missing; the report needs the notebooks/ "
            "folder of a checkout of the kit"
        )
    return path


def _notebook_parameters(
    notebooks: Sequence[Path], parameters: Mapping[str, Any]
) -> dict[Path, dict[str, Any]]:
    """Each notebook's share of ``parameters``: the ones it declares."""
    declared = {path: set(papermill.inspect_notebook(str(path))) for path in notebooks}
    known = set().union(*declared.values())
    unknown = sorted(set(parameters) - known)
    if unknown:
        raise InputError(
            f"no notebook takes the parameter {', '.join(map(repr, unknown))}; "
            f"they take {', '.join(sorted(known))}"
        )
    return {
        path: {key: value for key, value in parameters.items() if key in names}
        for path, names in declared.items()
    }


# Rendering -----------------------------------------------------------------


def chart_library() -> str:
    """Vega, Vega-Lite and vega-embed as one script body, safe inside <script>."""
    bundle = vl_convert.javascript_bundle()
    safe = re.sub(r"</(script)", r"<\\/\1", bundle, flags=re.IGNORECASE)
    return "(function () {\n" + safe + "\n})();"


def render_html(notebook: Path, target: Path, chart_script: str) -> None:
    """Render an executed notebook to one HTML page with no code and no fetches."""
    exporter = HTMLExporter(
        template_name="kit-report",
        extra_template_basedirs=[str(TEMPLATES)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    exporter.register_preprocessor(_drop_hidden_outputs, enabled=True)
    body, _ = exporter.from_filename(
        str(notebook), resources={"kit_chart_script": chart_script}
    )
    target.write_text(body, encoding="utf-8")


def _drop_hidden_outputs(
    notebook: nbformat.NotebookNode, resources: dict
) -> tuple[nbformat.NotebookNode, dict]:
    """Leave out glued figures and stderr chatter; keep errors and everything else."""
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        cell.outputs = [
            output
            for output in cell.outputs
            if not (output.get("output_type") == "stream" and output.name == "stderr")
            and GLUE_MIMETYPE not in output.get("data", {})
        ]
    return notebook, resources


def write_index(out: Path, runs: Sequence[NotebookRun]) -> Path:
    """Write ``index.html``: the notebooks in order, their state and key figures."""
    figures = {}
    summary = out / "notebooks" / "00_summary.ipynb"
    if summary.is_file():
        figures = read_glued(summary)

    items = []
    for run in runs:
        title = html.escape(_title(out / "notebooks" / f"{run.name}.ipynb"))
        state = (
            f'<p class="error">{html.escape(run.error)}</p>'
            if run.error
            else f'<p class="ok">ran in {run.seconds:.1f} s</p>'
        )
        link = (
            f'<a href="{html.escape(run.html.name)}">{title}</a>' if run.html else title
        )
        items.append(f"<li>{link}{state}</li>")

    facts = "".join(
        f"<dt>{html.escape(key.replace('_', ' '))}</dt>"
        f"<dd>{html.escape(_plain_text(value))}</dd>"
        for key, value in figures.items()
        if not isinstance(value, (list, dict))
    )
    page = _INDEX.format(items="\n".join(items), facts=facts)
    index = out / "index.html"
    index.write_text(page, encoding="utf-8")
    return index


def _title(notebook: Path) -> str:
    """The first heading of a notebook, or its file name."""
    if notebook.is_file():
        for cell in nbformat.read(notebook, as_version=4).cells:
            if cell.cell_type == "markdown" and cell.source.startswith("#"):
                return cell.source.splitlines()[0].lstrip("# ").strip()
    return notebook.stem


def _plain_text(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


_INDEX = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Batch-to-stream assessment</title>
<style>
body {{ font: 16px/1.5 system-ui, sans-serif; max-width: 52rem; margin: 2rem auto;
       padding: 0 1rem; color: #222; }}
h1 {{ font-weight: 600; }}
li {{ margin: 0.6rem 0; }}
.ok {{ color: #2e7d32; margin: 0; }}
.error {{ color: #c0392b; margin: 0; }}
dl {{ display: grid; grid-template-columns: max-content auto; gap: 0.2rem 1rem; }}
dt {{ color: #555; }}
</style>
</head>
<body>
<h1>Batch-to-stream assessment</h1>
<p>Each page below is a notebook run on the assessment database beside this
file (<code>assessment.duckdb</code>); every figure comes from a table there.</p>
<dl>{facts}</dl>
<ol>
{items}
</ol>
</body>
</html>
"""
