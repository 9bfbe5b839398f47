"""Hit ratio of an enrichment cache under Zipf-distributed lookup keys.

Key i of N is looked up at rate λᵢ = Λ·pᵢ with pᵢ ∝ i^{−α}; the hit ratio is
H = Σ pᵢ·hᵢ, and the downstream API sees Λ·(1 − H) calls per second.

- ``none``: hᵢ = 0.
- ``ttl`` (fixed lifetime from insert): hᵢ = λᵢT/(1 + λᵢT), a renewal argument
  (Jung, Berger and Balakrishnan, INFOCOM 2003).
- ``ttl-reset`` (lifetime renewed by every hit): hᵢ = 1 − e^{−λᵢT} (Fofack, Nain,
  Neglia and Towsley, Computer Networks 65, 2014).
- ``lru`` with capacity C (Che, Tung and Wang, IEEE JSAC 20(7), 2002): solve
  Σ(1 − e^{−λᵢt_C}) = C for the characteristic time t_C, then
  hᵢ = 1 − e^{−λᵢt_C}. When entries also expire T after insert (as the
  simulator's do) and T < t_C, the lifetime runs out before eviction would,
  and the ``ttl`` formula applies instead. When C >= N every key fits: the
  steady state has no capacity misses, so t_C = ∞ and the hit ratio is 1
  without a TTL (cold-start misses are left out).

Every figure is a steady state; the first lookups of each key (cold misses)
are not counted.
"""

from __future__ import annotations

import math

import numpy as np

from kit.errors import InputError

POLICIES = ("none", "ttl", "ttl-reset", "lru")


def zipf_popularity(keys: int, alpha: float) -> np.ndarray:
    """Return pᵢ ∝ i^{−α}, i = 1…N, normalised to sum to 1.

    >>> [round(float(p), 4) for p in zipf_popularity(3, 1.0)]
    [0.5455, 0.2727, 0.1818]
    """
    if isinstance(keys, bool) or not isinstance(keys, int) or keys < 1:
        raise InputError(
            f"keys = {keys!r} is out of range; it must be a whole number >= 1."
        )
    if not (math.isfinite(alpha) and alpha >= 0):
        raise InputError(f"zipf_alpha = {alpha!r} is out of range; it must be >= 0.")

    weights = np.arange(1, keys + 1, dtype=float) ** -alpha
    return weights / weights.sum()


def hit_ratio(
    policy: str,
    keys: int,
    zipf_alpha: float,
    lookup_rate: float,
    ttl_s: float,
    capacity: int = 0,
) -> float:
    """Return the steady-state hit ratio of a cache policy.

    ``lookup_rate`` is Λ, lookups per second over all keys; ``ttl_s`` the entry
    lifetime (0 means no expiry, allowed only for ``lru`` and ``none``);
    ``capacity`` the entries an ``lru`` holds. No lookups means no hits: 0.

    >>> round(hit_ratio("ttl", 10_000, 0.8, 10.0, 300.0), 5)
    0.47458
    """
    _check_policy(policy, lookup_rate, ttl_s, capacity)
    if policy == "none" or lookup_rate == 0:
        return 0.0

    popularity = zipf_popularity(keys, zipf_alpha)
    rates = lookup_rate * popularity

    if policy == "ttl":
        per_key = rates * ttl_s / (1.0 + rates * ttl_s)
    elif policy == "ttl-reset":
        per_key = -np.expm1(-rates * ttl_s)
    else:
        horizon = lru_characteristic_time(rates, capacity)
        if 0 < ttl_s < horizon:
            # The lifetime runs out before eviction would: entries expire from
            # insert, as in a plain TTL cache.
            per_key = rates * ttl_s / (1.0 + rates * ttl_s)
        elif math.isinf(horizon):
            return 1.0
        else:
            per_key = -np.expm1(-rates * horizon)

    return float(popularity @ per_key)


def lru_characteristic_time(rates: np.ndarray, capacity: int) -> float:
    """Return Che's t_C with Σ(1 − e^{−λᵢt_C}) = C; inf when every key fits.

    >>> popularity = zipf_popularity(10_000, 0.8)
    >>> round(lru_characteristic_time(10.0 * popularity, 1000), 1)
    147.2
    """
    rates = np.asarray(rates, dtype=float)
    if capacity >= np.count_nonzero(rates):
        return math.inf
    if capacity <= 0:
        return 0.0

    def occupied(horizon: float) -> float:
        return float(-np.expm1(-rates * horizon).sum())

    low, high = 0.0, 1.0 / float(rates.max())
    while occupied(high) < capacity:
        low, high = high, high * 2.0

    for _ in range(200):
        middle = 0.5 * (low + high)
        if middle in (low, high) or high - low <= 1e-14 * high:
            break
        if occupied(middle) < capacity:
            low = middle
        else:
            high = middle
    return 0.5 * (low + high)


def _check_policy(policy: str, lookup_rate: float, ttl_s: float, capacity: int) -> None:
    """Raise for an unknown policy or a value out of range."""
    if policy not in POLICIES:
        raise InputError(
            f"cache = {policy!r} is not allowed; use one of {', '.join(POLICIES)}."
        )
    if not (math.isfinite(lookup_rate) and lookup_rate >= 0):
        raise InputError(
            f"lookup rate {lookup_rate!r} is out of range; it must be a number >= 0."
        )
    if not (math.isfinite(ttl_s) and ttl_s >= 0):
        raise InputError(f"cache_ttl_s = {ttl_s!r} is out of range; it must be >= 0.")
    if policy in ("ttl", "ttl-reset") and ttl_s == 0:
        raise InputError(
            f"cache_ttl_s = 0 is out of range for cache = {policy!r}; it must be > 0."
        )
    if isinstance(capacity, bool) or not isinstance(capacity, int) or capacity < 0:
        raise InputError(
            f"cache_capacity = {capacity!r} is out of range; it must be a whole "
            "number >= 0."
        )
