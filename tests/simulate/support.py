"""Shared helpers for the simulator tests: hand-made records and batch means."""

from __future__ import annotations

import math
from datetime import datetime, timezone

import numpy as np

from kit.simulate.records import Records


def hand_records(
    arrived_s: list[float],
    service_s: list[float] | float,
    invalid: list[bool] | None = None,
    keys: list[int] | None = None,
    calls: int = 0,
) -> Records:
    """Records with the given arrival and service times, all of one key by default."""
    count = len(arrived_s)
    service = (
        np.full(count, float(service_s))
        if isinstance(service_s, (int, float))
        else np.array(service_s, dtype=float)
    )
    order_key = np.array(keys if keys is not None else [0] * count, dtype=np.int64)
    return Records(
        arrived_s=np.array(arrived_s, dtype=float),
        service_s=service,
        invalid=np.array(invalid or [False] * count, dtype=bool),
        order_key=order_key,
        call_keys=np.repeat(order_key[:, None], calls, axis=1),
        key_count=int(order_key.max(initial=0)) + 1,
        origin=datetime(2026, 1, 5, tzinfo=timezone.utc),
    )


def batch_means_error(values: np.ndarray, batches: int = 20) -> float:
    """Standard error of the mean from the means of consecutive batches.

    Consecutive records' waits are correlated; batches long enough to be nearly
    independent give an honest error for the mean of one run.
    """
    usable = values[: values.size - values.size % batches]
    means = usable.reshape(batches, -1).mean(axis=1)
    return float(means.std(ddof=1) / math.sqrt(batches))
