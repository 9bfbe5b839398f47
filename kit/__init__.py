"""Assess MuleSoft batch jobs for a move to micro-batch or streaming, with numbers.

The stages run in pipeline order (see DESIGN.md): ``portfolio`` (inventory),
``runlog`` (run history), ``estimate``, ``simulate``, ``plan``; each writes
tables into one DuckDB file opened through ``kit.store``.
"""

from __future__ import annotations

import logging

__version__ = "0.1.0"

logging.getLogger("kit").addHandler(logging.NullHandler())
