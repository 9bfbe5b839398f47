"""The committed notebooks: clean, parameterised, and calling the package."""

from __future__ import annotations

import ast

import nbformat
import pytest

from kit.report import NOTEBOOK_DIR, NOTEBOOKS

PATHS = [NOTEBOOK_DIR / f"{name}.ipynb" for name in NOTEBOOKS]


def test_every_notebook_of_the_report_is_there() -> None:
    """The folder holds exactly the report's notebooks, in pipeline order."""
    assert sorted(path.stem for path in NOTEBOOK_DIR.glob("*.ipynb")) == list(NOTEBOOKS)


@pytest.mark.parametrize("path", PATHS, ids=lambda path: path.stem)
def test_committed_without_outputs(path) -> None:
    """No cell carries outputs or an execution count."""
    notebook = nbformat.read(path, as_version=4)

    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None


@pytest.mark.parametrize("path", PATHS, ids=lambda path: path.stem)
def test_has_one_parameters_cell_with_the_database(path) -> None:
    """One cell is tagged parameters and sets db and jobs."""
    notebook = nbformat.read(path, as_version=4)

    [cell] = [c for c in notebook.cells if "parameters" in c.metadata.get("tags", [])]
    names = {
        target.id
        for node in ast.parse(cell.source).body
        if isinstance(node, ast.Assign)
        for target in node.targets
    }
    assert {"db", "jobs"} <= names


@pytest.mark.parametrize("path", PATHS, ids=lambda path: path.stem)
def test_cells_stay_thin(path) -> None:
    """Cells define no functions or classes and loop at most over glued figures."""
    notebook = nbformat.read(path, as_version=4)

    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        for node in ast.walk(ast.parse(cell.source)):
            assert not isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.Lambda))
            if isinstance(node, ast.For):
                assert "glue" in ast.unparse(node), ast.unparse(node)


@pytest.mark.parametrize("path", PATHS, ids=lambda path: path.stem)
def test_pinned_to_the_kit_kernel_and_valid(path) -> None:
    """Each notebook names the kit kernel that make installs, and validates."""
    notebook = nbformat.read(path, as_version=4)

    nbformat.validate(notebook)
    assert notebook.metadata.kernelspec.name == "kit"
    assert notebook.cells[0].cell_type == "markdown"
    assert notebook.cells[0].source.startswith("# ")
