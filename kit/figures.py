"""Key figures out of a notebook: glued in the kernel, read back after the run.

A glued figure is a display output of its own media type, so it travels in
the executed notebook for tests and the report's index, and the rendered page
leaves it out.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import nbformat
import numpy as np
from IPython.display import display

GLUE_MIMETYPE = "application/vnd.kit.figure+json"


def glue(name: str, value: Any) -> None:
    """Record a key figure in the notebook's output, for tests and the index."""
    display({GLUE_MIMETYPE: {"name": name, "value": _plain(value)}}, raw=True)


def read_glued(notebook: Path) -> dict[str, Any]:
    """Every figure a notebook glued, by name."""
    figures = {}
    for cell in nbformat.read(notebook, as_version=4).cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if GLUE_MIMETYPE in data:
                figures[data[GLUE_MIMETYPE]["name"]] = data[GLUE_MIMETYPE]["value"]
    return figures


def _plain(value: Any) -> Any:
    """The value with numpy scalars and NaN made JSON-friendly.

    >>> _plain(np.int64(3)), _plain(float("nan")), _plain((np.float64(0.5),))
    (3, None, [0.5])
    """
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value
