"""Percentiles by radix select against NumPy's, bit for bit."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from kit.simulate.percentiles import order_statistics, percentiles
from tests.strategies import finite_floats

SHARES = st.lists(finite_floats(0.0, 100.0), min_size=1, max_size=6)


def _same_floats(ours: list[float], numpy_values: np.ndarray) -> bool:
    """Tell whether two lists of floats hold the same bits."""
    return np.array(ours).tobytes() == np.asarray(numpy_values, float).tobytes()


@settings(max_examples=200, deadline=None)
@given(st.lists(finite_floats(-1e9, 1e9), min_size=1, max_size=300), SHARES)
def test_small_arrays_match_numpy(values: list[float], shares: list[float]) -> None:
    """Any percentiles of a short array are NumPy's, to the last bit."""
    array = np.array(values) + 0.0  # no negative zeros: their order is NumPy's own

    assert _same_floats(percentiles(array, shares), np.percentile(array, shares))


@settings(max_examples=25, deadline=None)
@given(
    st.integers(4_097, 60_000),
    st.sampled_from(["exponential", "few values", "one value", "wide", "clustered"]),
    st.integers(0, 2**32 - 1),
    SHARES,
)
def test_large_arrays_match_numpy(
    count: int, shape: str, seed: int, shares: list[float]
) -> None:
    """Arrays long enough to be narrowed bucket by bucket still match NumPy."""
    rng = np.random.default_rng(seed)
    array = {
        "exponential": lambda: rng.exponential(0.2, count),
        "few values": lambda: rng.integers(0, 4, count) * 0.35,
        "one value": lambda: np.full(count, 0.35),
        "wide": lambda: (
            rng.normal(0.0, 1.0, count) * 10.0 ** rng.integers(-5, 5, count)
        ),
        "clustered": lambda: 0.2 + rng.random(count) * 1e-12,
    }[shape]()

    assert _same_floats(percentiles(array, shares), np.percentile(array, shares))


def test_values_are_kept_unless_overwrite_is_asked() -> None:
    """Without ``overwrite`` the array is untouched; with it, it is scratch."""
    values = np.random.default_rng(1).exponential(1.0, 10_000)
    kept = values.copy()

    first = percentiles(values, [50, 99])
    assert np.array_equal(values, kept)
    assert percentiles(values, [50, 99], overwrite=True) == first


def test_order_statistics_are_the_sorted_values() -> None:
    """The values at given ranks are those a full sort puts there."""
    values = np.random.default_rng(2).normal(size=50_000)
    ranks = np.array([0, 1, 24_999, 25_000, 49_999])

    assert np.array_equal(order_statistics(values, ranks), np.sort(values)[ranks])
