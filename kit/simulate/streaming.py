"""Streaming: each record is a message on a broker queue read by consumers.

What the kernel models, after Anypoint MQ with manual acknowledgement:

- A consumer holds at most max(1, ``prefetch``) unacknowledged messages and
  works through them one at a time, oldest first. The broker hands an
  available message to an idle consumer first, else to the one holding the
  fewest, and keeps it when every consumer is full.
- Every hand-over is a delivery: it locks the message for ``ack_timeout_s``.
  A lock that runs out before the acknowledgement makes the message available
  again, while the consumer still holding it goes on and processes it: a
  second successful processing of a record is a duplicate.
- An attempt takes the lookups (cache, rate limit, API latency) then the
  record's service time, and fails with chance ``transient_rate``: the message
  is available again at once. A delivery that fails or times out when the
  record has had ``max_deliveries`` goes to the dead letters; so does an
  invalid record, at the start of its first attempt, taking no time.
- ``fifo`` queues deliver each message group in arrival order with at most one
  message of a group locked at a time; ``standard`` queues deliver in the order
  messages become available.

A record is loaded at its first successful attempt's end.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numba
import numpy as np

from kit.simulate.enrichment import Enricher, enrich
from kit.simulate.heap import heap_pop, heap_push
from kit.simulate.outcomes import DEAD_LETTERED, LOADED, Outcomes

# How the expiry ring starts; it doubles when full.
FIRST_RING_SIZE = 1024


class Queue(NamedTuple):
    """Broker settings for the kernel, in the order it takes them."""

    consumers: int
    holding: int  # messages a consumer may hold, prefetch included
    fifo: bool
    groups: int
    ack_timeout_s: float
    max_deliveries: int
    transient_rate: float
    horizon_s: float
    seed: int


def simulate_streaming(
    arrived_s: np.ndarray,
    service_s: np.ndarray,
    invalid: np.ndarray,
    order_key: np.ndarray,
    call_keys: np.ndarray,
    queue: Queue,
    enricher: Enricher,
) -> Outcomes:
    """Run the queue over the records and return what happened to each.

    Records of one ``order_key`` share a message group (key modulo the groups).
    """
    outcomes = Outcomes.empty(arrived_s.size)
    groups = queue.groups if queue.fifo else 1
    group_of = order_key % groups if queue.fifo else np.zeros(1, dtype=np.int64)
    members = np.argsort(group_of, kind="stable") if queue.fifo else group_of
    group_end = np.cumsum(np.bincount(group_of, minlength=groups))
    group_first = np.concatenate(([0], group_end[:-1])).astype(np.int64)

    _run(
        arrived_s,
        service_s,
        invalid,
        call_keys,
        group_of,
        members,
        group_first,
        group_end,
        *queue,
        *outcomes,
        *enricher,
    )
    return outcomes


@numba.njit(cache=True)
def _run(
    arrived, service, invalid, call_keys, group_of, members, group_next, group_end,
    consumers, holding, fifo, groups, ack_timeout_s, max_deliveries, transient_rate,
    horizon_s, seed,
    started, ended, deliveries, loads, outcome,
    settings, expires, newer, older, links, tat, counts, per_minute,
):  # fmt: skip
    """The event loop: attempt ends, lock expiries and arrivals, in time order.

    Between events the broker settles: it hands available messages to
    consumers with room, and idle consumers start their oldest message.
    """
    np.random.seed(seed)
    count = arrived.size

    # Available messages: record ids (standard) or group ids (fifo), in order.
    available = np.empty(max(count, groups, 1), dtype=np.int64)
    available_span = np.zeros(2, dtype=np.int64)  # head, length
    locked_by = np.zeros(count, dtype=np.int64)  # delivery holding the lock

    held = np.zeros(consumers, dtype=np.int64)
    buffer_record = np.empty((consumers, holding), dtype=np.int64)
    buffer_delivery = np.empty((consumers, holding), dtype=np.int64)
    buffer_deferred = np.zeros((consumers, holding), dtype=np.bool_)
    buffer_head = np.zeros(consumers, dtype=np.int64)
    working = np.full(consumers, -1, dtype=np.int64)  # record in work, or -1
    working_delivery = np.zeros(consumers, dtype=np.int64)
    working_ok = np.zeros(consumers, dtype=np.bool_)
    idle = np.arange(consumers - 1, -1, -1).astype(np.int64)  # stack
    idle_size = consumers
    free_places = consumers * holding
    to_start = np.empty(consumers, dtype=np.int64)  # stack of consumers to start
    to_start_size = 0

    # Lock expiries come in delivery order, so a ring suffices; entries whose
    # delivery was settled in time are skipped when they come up. A message
    # started at once gets an entry only when its attempt outlasts the lock.
    expiry_time = np.empty(FIRST_RING_SIZE)
    expiry_record = np.empty(FIRST_RING_SIZE, dtype=np.int64)
    expiry_delivery = np.empty(FIRST_RING_SIZE, dtype=np.int64)
    expiry_head = 0
    expiry_length = 0

    ends_time = np.empty(consumers)
    ends_consumer = np.empty(consumers, dtype=np.int64)
    ends_size = np.zeros(1, dtype=np.int64)

    arrivals_seen = 0
    while True:
        arrival_at = arrived[arrivals_seen] if arrivals_seen < count else math.inf
        expiry_at = math.inf
        if expiry_length > 0:
            expiry_at = expiry_time[expiry_head]
        end_at = ends_time[0] if ends_size[0] > 0 else math.inf
        now = min(arrival_at, expiry_at, end_at)
        if now == math.inf or now > horizon_s:
            break

        # One event; ``release`` is a record whose delivery failed or timed out.
        release = -1
        if end_at <= expiry_at and end_at <= arrival_at:
            consumer = heap_pop(ends_time, ends_consumer, ends_size)
            record = working[consumer]
            in_time = locked_by[record] == working_delivery[consumer]
            working[consumer] = -1
            held[consumer] -= 1
            free_places += 1
            to_start[to_start_size] = consumer
            to_start_size += 1

            if working_ok[consumer]:
                loads[record] += 1
                if loads[record] == 1:
                    outcome[record] = LOADED
                    ended[record] = now
                if in_time:
                    locked_by[record] = 0
                    _advance_group(
                        fifo,
                        record,
                        group_of,
                        members,
                        group_next,
                        group_end,
                        arrivals_seen,
                        available,
                        available_span,
                    )
            elif in_time:
                release = record
        elif expiry_at <= arrival_at:
            slot = expiry_head
            expiry_head = _wrap(expiry_head + 1, expiry_time.size)
            expiry_length -= 1
            if locked_by[expiry_record[slot]] == expiry_delivery[slot]:
                release = expiry_record[slot]
        else:
            record = arrivals_seen
            arrivals_seen += 1
            if not fifo:
                _push(available, available_span, record)
            elif members[group_next[group_of[record]]] == record:
                _push(available, available_span, group_of[record])

        if release >= 0:
            locked_by[release] = 0
            if deliveries[release] >= max_deliveries:
                if outcome[release] != LOADED:
                    outcome[release] = DEAD_LETTERED
                    ended[release] = now
                _advance_group(
                    fifo,
                    release,
                    group_of,
                    members,
                    group_next,
                    group_end,
                    arrivals_seen,
                    available,
                    available_span,
                )
            else:
                _push(available, available_span, group_of[release] if fifo else release)

        # Settle: hand over, then start; invalid records may free places again.
        while True:
            if expiry_length + free_places > expiry_time.size:
                expiry_time, expiry_record, expiry_delivery = _grow_ring(
                    expiry_time,
                    expiry_record,
                    expiry_delivery,
                    expiry_head,
                    expiry_length + free_places,
                )
                expiry_head = 0

            while available_span[1] > 0 and free_places > 0:
                item = _pop(available, available_span)
                record = members[group_next[item]] if fifo else item
                # An idle consumer starts the message now, and its expiry is
                # only needed if the attempt outlasts the lock: decided at start.
                starts_now = idle_size > 0
                if starts_now:
                    idle_size -= 1
                    consumer = idle[idle_size]
                    to_start[to_start_size] = consumer
                    to_start_size += 1
                else:
                    consumer = np.argmin(held)

                deliveries[record] += 1
                locked_by[record] = deliveries[record]
                if not starts_now:
                    slot = _wrap(expiry_head + expiry_length, expiry_time.size)
                    expiry_time[slot] = now + ack_timeout_s
                    expiry_record[slot] = record
                    expiry_delivery[slot] = deliveries[record]
                    expiry_length += 1

                waiting = held[consumer] - (1 if working[consumer] >= 0 else 0)
                place = _wrap(buffer_head[consumer] + waiting, holding)
                buffer_record[consumer, place] = record
                buffer_delivery[consumer, place] = deliveries[record]
                buffer_deferred[consumer, place] = starts_now
                held[consumer] += 1
                free_places -= 1

            if to_start_size == 0:
                break
            while to_start_size > 0:
                to_start_size -= 1
                consumer = to_start[to_start_size]
                while held[consumer] > 0 and working[consumer] < 0:
                    head = buffer_head[consumer]
                    record = buffer_record[consumer, head]
                    delivery = buffer_delivery[consumer, head]
                    buffer_head[consumer] = _wrap(head + 1, holding)
                    if math.isnan(started[record]):
                        started[record] = now

                    if not invalid[record]:
                        start = now
                        if call_keys.shape[1] > 0:
                            start = enrich(
                                settings,
                                expires,
                                newer,
                                older,
                                links,
                                tat,
                                counts,
                                per_minute,
                                call_keys[record],
                                now,
                            )
                        end = start + service[record]
                        heap_push(ends_time, ends_consumer, ends_size, end, consumer)
                        if (
                            buffer_deferred[consumer, head]
                            and end > now + ack_timeout_s
                        ):
                            slot = _wrap(expiry_head + expiry_length, expiry_time.size)
                            expiry_time[slot] = now + ack_timeout_s
                            expiry_record[slot] = record
                            expiry_delivery[slot] = delivery
                            expiry_length += 1
                        working[consumer] = record
                        working_delivery[consumer] = delivery
                        working_ok[consumer] = (
                            transient_rate == 0.0
                            or np.random.random() >= transient_rate
                        )
                        continue

                    # Invalid: straight to the dead letters, taking no time.
                    held[consumer] -= 1
                    free_places += 1
                    if locked_by[record] == delivery:
                        locked_by[record] = 0
                        outcome[record] = DEAD_LETTERED
                        ended[record] = now
                        _advance_group(
                            fifo,
                            record,
                            group_of,
                            members,
                            group_next,
                            group_end,
                            arrivals_seen,
                            available,
                            available_span,
                        )
                if held[consumer] == 0:
                    idle[idle_size] = consumer
                    idle_size += 1


@numba.njit(cache=True, inline="always")
def _wrap(position, size):
    """A ring position below 2·size brought into [0, size) without a division."""
    return position - size if position >= size else position


@numba.njit(cache=True, inline="always")
def _push(ring, span, item):
    """Append an item to a ring with room for it."""
    ring[_wrap(span[0] + span[1], ring.size)] = item
    span[1] += 1


@numba.njit(cache=True, inline="always")
def _pop(ring, span):
    """Remove and return the ring's first item."""
    item = ring[span[0]]
    span[0] = _wrap(span[0] + 1, ring.size)
    span[1] -= 1
    return item


@numba.njit(cache=True, inline="always")
def _advance_group(
    fifo, record, group_of, members, group_next, group_end, arrivals_seen,
    available, available_span,
):  # fmt: skip
    """A fifo group's head is settled: its next message becomes available once it
    has arrived (a later one becomes available on arrival)."""
    if not fifo:
        return
    group = group_of[record]
    group_next[group] += 1
    position = group_next[group]
    if position < group_end[group] and members[position] < arrivals_seen:
        _push(available, available_span, group)


@numba.njit(cache=True)
def _grow_ring(times, records, deliveries, head, needed):
    """Return a larger expiry ring holding the same entries in order from 0."""
    size = times.size
    new_size = max(2 * size, 2 * needed)
    new_times = np.empty(new_size)
    new_records = np.empty(new_size, dtype=np.int64)
    new_deliveries = np.empty(new_size, dtype=np.int64)
    for offset in range(size):
        slot = (head + offset) % size
        new_times[offset] = times[slot]
        new_records[offset] = records[slot]
        new_deliveries[offset] = deliveries[slot]
    return new_times, new_records, new_deliveries
