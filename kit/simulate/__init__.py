"""Replay records through streaming, micro-batch and batch with broker semantics.

``simulate_scenario`` runs the compiled kernels (``streaming`` and
``scheduled``) over generated or real records (``records``) with the cache and
rate limit of ``enrichment``; ``write_simulation`` stores what happened.
"""

from __future__ import annotations

from kit.simulate.records import Records, generate_records, read_records
from kit.simulate.simulation import MODES, ModeRun, Simulation, simulate_scenario
from kit.simulate.tables import write_simulation

__all__ = [
    "MODES",
    "ModeRun",
    "Records",
    "Simulation",
    "generate_records",
    "read_records",
    "simulate_scenario",
    "write_simulation",
]
