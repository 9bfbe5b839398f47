"""Find where a decreasing function of time falls to a target, by bisection."""

from __future__ import annotations

from collections.abc import Callable


def solve_decreasing(
    function: Callable[[float], float],
    target: float,
    start: float,
    relative_tolerance: float = 1e-12,
) -> float:
    """Return the smallest t >= 0 with ``function(t) <= target``, to a tolerance.

    ``function`` must not increase with t and must fall to the target somewhere;
    ``start`` is a first guess of the scale of t (any positive number).

    >>> round(solve_decreasing(lambda t: 1.0 / (1.0 + t), 0.25, 1.0), 9)
    3.0
    """
    if function(0.0) <= target:
        return 0.0

    low, high = 0.0, max(start, 1e-300)
    while function(high) > target:
        low, high = high, high * 2.0
        if high > 1e300:
            raise ArithmeticError("the function never falls to the target")

    for _ in range(2000):
        middle = 0.5 * (low + high)
        if middle in (low, high) or high - low <= relative_tolerance * high:
            break
        if function(middle) > target:
            low = middle
        else:
            high = middle
    return high
