"""Streaming: each record is a message on a broker queue read by consumers.

What the kernel models, after Anypoint MQ with manual acknowledgement:

- A consumer holds at most max(1, ``prefetch``) unacknowledged messages and
  works through them one at a time, oldest first. The broker hands an
  available message to an idle consumer first, else to the one holding the
  fewest, and keeps it when every consumer is full.
- Every hand-over is a delivery: it locks the message for ``ack_timeout_s``
  from the fetch. While the message waits in the consumer's buffer the lock
  is renewed whenever 80% of it has passed (Anypoint MQ's auto-extension), so
  it can run out only during processing: at f + k·0.8T + T for a message
  fetched at f and started after k renewals. A lock that runs out before the
  acknowledgement makes the message available again, while the consumer
  still holding it goes on and processes it: a second successful processing
  of a record is a duplicate.
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

# A buffered message's lock is renewed when this share of it has passed.
RENEWED_AT = 0.8


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

    Speed: numba counts references to an array each time a variable starts or
    stops naming it. The loop never rebinds an array variable and calls only
    helpers it can inline without such counting (see ``kit.simulate.heap``);
    each count is an atomic operation, and they once took a third of the time.
    """
    np.random.seed(seed)
    count = arrived.size

    # Available messages, in the order they became available. A fifo queue
    # rings its group ids. A standard queue rings only the records that came
    # back (failed or timed out), each marked with the arrivals seen by then;
    # its arrivals wait in order from ``next_arrival`` without being copied.
    available = np.empty(max(count, groups, 1), dtype=np.int64)
    available_mark = np.empty(available.size if not fifo else 0, dtype=np.int64)
    available_span = np.zeros(2, dtype=np.int64)  # head, length
    next_arrival = 0
    # Whether a record's lock is held, always by its latest delivery: a record
    # is delivered again only once its lock is released.
    locked = np.zeros(count, dtype=np.bool_)

    held = np.zeros(consumers, dtype=np.int64)
    buffer_record = np.empty((consumers, holding), dtype=np.int64)
    buffer_delivery = np.empty((consumers, holding), dtype=np.int64)
    buffer_fetched = np.empty((consumers, holding))
    buffer_head = np.zeros(consumers, dtype=np.int64)
    working = np.full(consumers, -1, dtype=np.int64)  # record in work, or -1
    working_delivery = np.zeros(consumers, dtype=np.int64)
    working_ok = np.zeros(consumers, dtype=np.bool_)
    idle = np.arange(consumers - 1, -1, -1).astype(np.int64)  # stack
    idle_size = consumers
    free_places = consumers * holding
    to_start = np.empty(consumers, dtype=np.int64)  # stack of consumers to start
    to_start_size = 0

    # Lock expiries, by consumer: a lock can run out only while its message is
    # in work, and an expiry is made at the start of an attempt only when the
    # attempt will outlast the lock, so every entry is live and a consumer has
    # at most one.
    expiry_time = np.empty(consumers)
    expiry_consumer = np.empty(consumers, dtype=np.int64)
    expiry_size = np.zeros(1, dtype=np.int64)

    ends_time = np.empty(consumers)
    ends_consumer = np.empty(consumers, dtype=np.int64)
    ends_size = np.zeros(1, dtype=np.int64)

    arrivals_seen = 0
    while True:
        arrival_at = arrived[arrivals_seen] if arrivals_seen < count else math.inf
        expiry_at = expiry_time[0] if expiry_size[0] > 0 else math.inf
        end_at = ends_time[0] if ends_size[0] > 0 else math.inf
        now = min(arrival_at, expiry_at, end_at)
        if now == math.inf or now > horizon_s:
            break

        # One event; ``release`` is a record whose delivery failed or timed out.
        release = -1
        if end_at <= expiry_at and end_at <= arrival_at:
            consumer = heap_pop(ends_time, ends_consumer, ends_size)
            record = working[consumer]
            in_time = (
                locked[record] and deliveries[record] == working_delivery[consumer]
            )
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
                    locked[record] = False
                    if fifo:
                        _advance_group(
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
            consumer = heap_pop(expiry_time, expiry_consumer, expiry_size)
            release = working[consumer]  # in work and locked: see above
        else:
            record = arrivals_seen
            arrivals_seen += 1
            if fifo and members[group_next[group_of[record]]] == record:
                _push(available, available_span, group_of[record])

        if release >= 0:
            locked[release] = False
            if deliveries[release] >= max_deliveries:
                if outcome[release] != LOADED:
                    outcome[release] = DEAD_LETTERED
                    ended[release] = now
                if fifo:
                    _advance_group(
                        release,
                        group_of,
                        members,
                        group_next,
                        group_end,
                        arrivals_seen,
                        available,
                        available_span,
                    )
            elif fifo:
                _push(available, available_span, group_of[release])
            else:
                _push_returned(
                    available, available_mark, available_span, release, arrivals_seen
                )

        # Settle: hand over, then start; invalid records may free places again.
        while True:
            while free_places > 0:
                # The oldest available message: in a standard queue, the first
                # returned record unless an arrival became available before it.
                if available_span[1] > 0 and (
                    fifo or available_mark[available_span[0]] <= next_arrival
                ):
                    item = _pop(available, available_span)
                elif not fifo and next_arrival < arrivals_seen:
                    item = next_arrival
                    next_arrival += 1
                else:
                    break
                record = members[group_next[item]] if fifo else item
                starts_now = idle_size > 0
                if starts_now:
                    idle_size -= 1
                    consumer = idle[idle_size]
                    to_start[to_start_size] = consumer
                    to_start_size += 1
                else:  # the first consumer holding the fewest
                    consumer = 0
                    for other in range(1, consumers):
                        if held[other] < held[consumer]:
                            consumer = other

                deliveries[record] += 1
                locked[record] = True

                waiting = held[consumer] - (1 if working[consumer] >= 0 else 0)
                place = _wrap(buffer_head[consumer] + waiting, holding)
                buffer_record[consumer, place] = record
                buffer_delivery[consumer, place] = deliveries[record]
                buffer_fetched[consumer, place] = now
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
                        deadline = _lock_deadline(
                            buffer_fetched[consumer, head], now, ack_timeout_s
                        )
                        if end > deadline:
                            heap_push(
                                expiry_time, expiry_consumer, expiry_size,
                                deadline, consumer,
                            )  # fmt: skip
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
                    if locked[record] and deliveries[record] == delivery:
                        locked[record] = False
                        outcome[record] = DEAD_LETTERED
                        ended[record] = now
                        if fifo:
                            _advance_group(
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


@numba.njit(cache=True)
def _wrap(position, size):
    """A ring position below 2·size brought into [0, size) without a division."""
    return position - size if position >= size else position


@numba.njit(cache=True)
def _push(ring, span, item):
    """Append an item to a ring with room for it."""
    ring[_wrap(span[0] + span[1], ring.size)] = item
    span[1] += 1


@numba.njit(cache=True)
def _push_returned(
    ring: np.ndarray,
    marks: np.ndarray,
    span: np.ndarray,
    record: int,
    arrivals_seen: int,
) -> None:
    """Append a record that came back to a standard queue's ring: it goes after
    the ``arrivals_seen`` first arrivals and before the later ones."""
    slot = _wrap(span[0] + span[1], ring.size)
    ring[slot] = record
    marks[slot] = arrivals_seen
    span[1] += 1


@numba.njit(cache=True)
def _pop(ring, span):
    """Remove and return the ring's first item."""
    item = ring[span[0]]
    span[0] = _wrap(span[0] + 1, ring.size)
    span[1] -= 1
    return item


@numba.njit(cache=True)
def _lock_deadline(fetched: float, now: float, ack_timeout_s: float) -> float:
    """When the lock of a message fetched at ``fetched`` and started ``now`` runs out.

    While buffered it was renewed each time ``RENEWED_AT`` of it had passed, k
    times in all; from the last renewal it runs for the whole timeout.
    """
    renewal = RENEWED_AT * ack_timeout_s
    renewals = math.floor((now - fetched) / renewal)
    return fetched + renewals * renewal + ack_timeout_s


@numba.njit(cache=True)
def _advance_group(
    record, group_of, members, group_next, group_end, arrivals_seen,
    available, available_span,
):  # fmt: skip
    """A fifo group's head is settled: its next message becomes available once it
    has arrived (a later one becomes available on arrival)."""
    group = group_of[record]
    group_next[group] += 1
    position = group_next[group]
    if position < group_end[group] and members[position] < arrivals_seen:
        _push(available, available_span, group)
