"""Helpers that turn a mode's outcomes into figures and series."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from kit.simulate.simulation import _minute
from tests.strategies import finite_floats


@given(st.integers(-(10**9), 10**9), st.sampled_from([-1, 0, 1]))
def test_minute_at_the_edges_of_minutes(minute: int, step: int) -> None:
    """A time a hair either side of a whole minute falls where ``//`` puts it."""
    seconds = np.nextafter(minute * 60.0, step * np.inf) if step else minute * 60.0

    assert _minute(seconds) == int(seconds // 60.0)


@given(finite_floats(-1e12, 1e12))
def test_minute_of_any_time(seconds: float) -> None:
    """Any time falls in the minute ``int(seconds // 60)``."""
    assert _minute(seconds) == int(seconds // 60.0)
