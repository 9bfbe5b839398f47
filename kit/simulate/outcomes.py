"""What happened to each record in one simulated mode, as the kernels write it."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

# Values of Outcomes.outcome; every record ends in exactly one of them.
IN_FLIGHT, LOADED, DEAD_LETTERED = 0, 1, 2
OUTCOME_NAMES = ("in_flight", "loaded", "dead_lettered")


class Outcomes(NamedTuple):
    """Per-record results, in arrival order; times in seconds from the origin."""

    started_s: np.ndarray  # first attempt's start, NaN if never started
    ended_s: np.ndarray  # load (or dead-letter) time, NaN while in flight
    deliveries: np.ndarray  # attempts handed to a worker
    loads: np.ndarray  # successful attempts; more than one is a duplicate
    outcome: np.ndarray  # IN_FLIGHT, LOADED or DEAD_LETTERED

    @classmethod
    def empty(cls, count: int) -> Outcomes:
        """Every record in flight, nothing started."""
        return cls(
            started_s=np.full(count, np.nan),
            ended_s=np.full(count, np.nan),
            deliveries=np.zeros(count, dtype=np.int64),
            loads=np.zeros(count, dtype=np.int64),
            outcome=np.zeros(count, dtype=np.int8),
        )
