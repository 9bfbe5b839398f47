"""A binary min-heap on two arrays, for compiled event loops.

Entries are (time, id) pairs ordered by time, then id, so equal times pop in a
fixed order and a simulation repeats exactly. ``size`` is a one-element array
so that compiled callers can share it.

The comparison takes plain numbers, not the arrays: numba counts references to
every array a helper receives, and a helper with branches defeats its pruning,
which once cost the streaming kernel a third of its time in atomic increments.
"""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True)
def _before(time_a: float, id_a: int, time_b: float, id_b: int) -> bool:
    """Tell whether entry (time_a, id_a) pops before entry (time_b, id_b)."""
    return time_a < time_b or (time_a == time_b and id_a < id_b)


@numba.njit(cache=True)
def heap_push(
    times: np.ndarray, ids: np.ndarray, size: np.ndarray, time: float, item: int
) -> None:
    """Add (time, item); the arrays must have room for one more entry."""
    position = size[0]
    size[0] += 1
    while position > 0:
        parent = (position - 1) // 2
        if not _before(time, item, times[parent], ids[parent]):
            break
        times[position] = times[parent]
        ids[position] = ids[parent]
        position = parent
    times[position] = time
    ids[position] = item


@numba.njit(cache=True)
def heap_pop(times: np.ndarray, ids: np.ndarray, size: np.ndarray) -> int:
    """Remove the earliest entry and return its id; read its time first."""
    item = ids[0]
    size[0] -= 1
    last = size[0]
    time, moving = times[last], ids[last]

    # Sift the last entry down from the root, moving smaller children up.
    position = 0
    while True:
        child = 2 * position + 1
        if child >= last:
            break
        right = child + 1
        if right < last and _before(times[right], ids[right], times[child], ids[child]):
            child = right
        if not _before(times[child], ids[child], time, moving):
            break
        times[position] = times[child]
        ids[position] = ids[child]
        position = child
    times[position] = time
    ids[position] = moving
    return item
