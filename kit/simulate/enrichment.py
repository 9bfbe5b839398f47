"""Per-record lookups against a downstream API: the cache in front of it and
the rate limit on it, compiled for the simulation kernels.

Each lookup first asks the cache. A miss calls the API: the call waits for the
rate limit, takes ``latency_s``, and its answer enters the cache when it
returns. Policies:

- ``ttl``: an entry lives ``cache_ttl_s`` from its insert.
- ``ttl-reset``: every hit renews the entry's lifetime.
- ``lru``: at most ``cache_capacity`` entries, the least recently used is
  evicted; with ``cache_ttl_s`` > 0 entries also expire that long after insert.

The rate limit is a token bucket of ``rate_limit_per_s`` tokens a second
holding at most one second's worth (at least one token), written as the
generic cell rate algorithm: a call at time t is granted at
max(t, tat − τ), with τ = (burst − 1)/rate, and tat moves one emission interval
past the grant. A call granted later than asked counts as throttled. Calls of
different consumers may be asked slightly out of time order (each attempt's
calls are planned when it starts); the algorithm grants them in a consistent
order all the same.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numba
import numpy as np

from kit.scenario import Enrichment

POLICY_CODES = {"none": 0, "ttl": 1, "ttl-reset": 2, "lru": 3}
NONE, TTL, TTL_RESET, LRU = 0, 1, 2, 3

# Indexes into Enricher.settings.
POLICY, TTL_S, CAPACITY, LATENCY_S, INTERVAL_S, TOLERANCE_S = range(6)
# Indexes into Enricher.counts.
LOOKUPS, HITS, API_CALLS, THROTTLED = range(4)
# Indexes into Enricher.links: the LRU list's newest and oldest entry, its size.
NEWEST, OLDEST, SIZE = range(3)

MINUTE_S = 60.0


class Enricher(NamedTuple):
    """The cache, the rate limiter and their counters, as compiled code sees them.

    Kernels unpack the fields into locals once and pass them on as ``*enricher``:
    reading an array out of a tuple inside a hot loop costs an atomic reference
    count every time.
    """

    settings: np.ndarray  # POLICY … TOLERANCE_S
    expires: np.ndarray  # per key: when its entry expires; -inf when absent
    newer: np.ndarray  # per key: LRU link towards the newest entry, -1 for none
    older: np.ndarray  # per key: LRU link towards the oldest entry
    links: np.ndarray  # NEWEST, OLDEST, SIZE
    theoretical_arrival: np.ndarray  # one element: the rate limiter's tat
    counts: np.ndarray  # LOOKUPS, HITS, API_CALLS, THROTTLED
    calls_per_minute: np.ndarray  # API calls started in each simulated minute


def new_enricher(enrichment: Enrichment, minutes: int) -> Enricher:
    """Return an empty cache and a full rate limiter for one simulation run.

    ``minutes`` sizes the per-minute API call counts; later calls fall in the
    last minute.
    """
    rate = enrichment.rate_limit_per_s
    burst = max(1.0, rate)
    settings = np.array(
        [
            POLICY_CODES[enrichment.cache],
            enrichment.cache_ttl_s if enrichment.cache_ttl_s > 0 else math.inf,
            enrichment.cache_capacity,
            enrichment.latency_s,
            1.0 / rate if rate > 0 else 0.0,
            (burst - 1.0) / rate if rate > 0 else 0.0,
        ]
    )
    keys = enrichment.keys
    return Enricher(
        settings=settings,
        expires=np.full(keys, -np.inf),
        newer=np.full(keys, -1, dtype=np.int64),
        older=np.full(keys, -1, dtype=np.int64),
        links=np.array([-1, -1, 0], dtype=np.int64),
        theoretical_arrival=np.array([-np.inf]),
        counts=np.zeros(4, dtype=np.int64),
        calls_per_minute=np.zeros(max(1, minutes), dtype=np.int64),
    )


@numba.njit(cache=True)
def enrich(
    settings, expires, newer, older, links, tat, counts, per_minute, keys, start
):
    """Make one attempt's lookups from ``start``; return when the last returns.

    The first eight arguments are the fields of an ``Enricher``.
    """
    now = start
    policy = int(settings[POLICY])
    for key in keys:
        counts[LOOKUPS] += 1
        if policy != NONE and expires[key] > now:
            counts[HITS] += 1
            if policy == TTL_RESET:
                expires[key] = now + settings[TTL_S]
            elif policy == LRU:
                _unlink(newer, older, links, key)
                _link_newest(newer, older, links, key)
            continue

        now = _grant_call(settings, tat, counts, now)
        counts[API_CALLS] += 1
        per_minute[min(int(now / MINUTE_S), per_minute.size - 1)] += 1

        now += settings[LATENCY_S]
        if policy == LRU:
            _make_room(settings, expires, newer, older, links, key)
        if policy != NONE:
            expires[key] = now + settings[TTL_S]
    return now


@numba.njit(cache=True)
def _grant_call(settings, tat, counts, asked):
    """Return when the rate limit lets a call asked at ``asked`` go."""
    interval = settings[INTERVAL_S]
    if interval == 0.0:
        return asked
    granted = max(asked, tat[0] - settings[TOLERANCE_S])
    if granted > asked:
        counts[THROTTLED] += 1
    tat[0] = max(tat[0], granted) + interval
    return granted


@numba.njit(cache=True)
def _make_room(settings, expires, newer, older, links, key):
    """Put the key newest in the LRU list, evicting the oldest when full."""
    if expires[key] != -np.inf:
        _unlink(newer, older, links, key)
    elif links[SIZE] >= settings[CAPACITY]:
        oldest = links[OLDEST]
        _unlink(newer, older, links, oldest)
        expires[oldest] = -np.inf
    _link_newest(newer, older, links, key)


@numba.njit(cache=True)
def _unlink(newer, older, links, key):
    """Take a key out of the LRU list."""
    towards_newest, towards_oldest = newer[key], older[key]
    if towards_newest >= 0:
        older[towards_newest] = towards_oldest
    else:
        links[NEWEST] = towards_oldest
    if towards_oldest >= 0:
        newer[towards_oldest] = towards_newest
    else:
        links[OLDEST] = towards_newest
    newer[key] = -1
    older[key] = -1
    links[SIZE] -= 1


@numba.njit(cache=True)
def _link_newest(newer, older, links, key):
    """Put a key at the newest end of the LRU list."""
    previous = links[NEWEST]
    older[key] = previous
    newer[key] = -1
    if previous >= 0:
        newer[previous] = key
    else:
        links[OLDEST] = key
    links[NEWEST] = key
    links[SIZE] += 1
