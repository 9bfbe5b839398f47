"""A binary min-heap on two arrays, for compiled event loops.

Entries are (time, id) pairs ordered by time, then id, so equal times pop in a
fixed order and a simulation repeats exactly. ``size`` is a one-element array
so that compiled callers can share it.
"""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True, inline="always")
def _before(times: np.ndarray, ids: np.ndarray, a: int, b: int) -> bool:
    """Tell whether entry ``a`` pops before entry ``b``."""
    return times[a] < times[b] or (times[a] == times[b] and ids[a] < ids[b])


@numba.njit(cache=True, inline="always")
def heap_push(
    times: np.ndarray, ids: np.ndarray, size: np.ndarray, time: float, item: int
) -> None:
    """Add (time, item); the arrays must have room for one more entry."""
    position = size[0]
    size[0] += 1
    times[position] = time
    ids[position] = item

    while position > 0:
        parent = (position - 1) // 2
        if not _before(times, ids, position, parent):
            break
        times[position], times[parent] = times[parent], times[position]
        ids[position], ids[parent] = ids[parent], ids[position]
        position = parent


@numba.njit(cache=True, inline="always")
def heap_pop(times: np.ndarray, ids: np.ndarray, size: np.ndarray) -> int:
    """Remove the earliest entry and return its id; read its time first."""
    item = ids[0]
    size[0] -= 1
    last = size[0]
    times[0] = times[last]
    ids[0] = ids[last]

    position = 0
    while True:
        smallest = position
        for child in (2 * position + 1, 2 * position + 2):
            if child < last and _before(times, ids, child, smallest):
                smallest = child
        if smallest == position:
            return item
        times[position], times[smallest] = times[smallest], times[position]
        ids[position], ids[smallest] = ids[smallest], ids[position]
        position = smallest
