"""Classify what starts a flow and read its schedule, applying Mule's defaults.

Trigger kinds: ``cron``, ``fixed-frequency``, ``listener`` (a polling connector
source), ``message`` (a broker subscription) and ``request`` (an HTTP listener).
"""

from __future__ import annotations

from dataclasses import dataclass

from kit import schedule
from kit.errors import InputError
from kit.portfolio.index import AppIndex
from kit.portfolio.model import Trigger
from kit.portfolio.namespaces import (
    EVENT_SOURCE_NAMES,
    MESSAGING_PREFIXES,
    REQUEST_PREFIXES,
    is_annotation,
    is_source,
    name_of,
    qualified,
)

# Mule's documented defaults: fixed frequency 1000 in milliseconds, poll 1000 ms.
DEFAULT_FREQUENCY = 1000
DEFAULT_TIME_UNIT = "MILLISECONDS"
DEFAULT_POLLING_MS = 1000

_DEFAULT_MEANINGS = {
    "frequency": "frequency 1000",
    "timeUnit": "time unit MILLISECONDS",
    "pollingFrequency": "polling every 1000 ms",
    "scheduling-strategy": "fixed frequency every 1000 ms",
    "fixed-frequency": "fixed frequency every 1000 ms",
    "timeZone": "the server's zone, taken as UTC as on CloudHub",
}

MESSAGE_SCHEMES = ("vm", "jms", "amqp", "amqps", "wmq", "ajax")
# Polling interval attributes: Mule 3 endpoints and connectors, and the email
# connectors' own name for it.
_POLLING_ATTRIBUTES = ("pollingFrequency", "polling-frequency", "checkFrequency")
REQUEST_SCHEMES = ("http", "https", "ws", "wss")


@dataclass
class _Timing:
    """A schedule as written, before it is checked and measured."""

    cron: str | None = None
    time_zone: str | None = None
    frequency_ms: int | None = None
    start_delay_ms: int = 0
    defaulted: tuple[str, ...] = ()


def find_source(index: AppIndex, flow) -> tuple[object, str, str] | None:
    """Return the flow's message source element with its prefix and local name."""
    for child in flow:
        prefix, local = name_of(child)
        if not local or is_annotation(prefix, local):
            continue
        if (prefix, local) in (("batch", "input"), ("", "composite-source")):
            return find_source(index, child)
        if is_source(child, prefix, local):
            return child, prefix, local
        return None
    return None


def read_trigger(index: AppIndex, flow) -> Trigger | None:
    """Return the trigger of ``flow`` (or of a Mule 3 batch job's input), if any."""
    found = find_source(index, flow)
    if found is None:
        return None
    source, prefix, local = found
    kind = _kind_of(index, source, prefix, local)
    timing = _timing_of(index, source, prefix, local, kind)
    name = qualified(prefix, local)
    disallow = _disallows_concurrency(source, flow)
    if timing is None:
        return Trigger(kind=kind, source=name, disallow_concurrent=disallow)
    if kind in ("cron", "fixed-frequency"):
        kind = "fixed-frequency" if timing.cron is None else "cron"
    return _measure(
        index, source, Trigger(kind, name, disallow_concurrent=disallow), timing
    )


def _disallows_concurrency(source, flow) -> bool:
    value = source.get("disallowConcurrentExecution") or flow.get(
        "disallowConcurrentExecution"
    )
    return (value or "").strip().lower() == "true"


def _kind_of(index: AppIndex, source, prefix: str, local: str) -> str:
    """The trigger kind of a source: by its name, its namespace, or the address of
    the endpoint it is or names (``vm://``, ``jms://`` stream; ``http://`` serve)."""
    if (prefix == "" and local in ("scheduler", "poll")) or prefix == "quartz":
        return "cron"
    if prefix in MESSAGING_PREFIXES or local in EVENT_SOURCE_NAMES:
        return "message"
    if prefix in REQUEST_PREFIXES:
        return "request"
    if prefix == "" and local == "inbound-endpoint":
        endpoint = _referenced(index, source, "ref")
        if endpoint is None:
            endpoint = source
        elif name_of(endpoint)[0] in MESSAGING_PREFIXES:  # <jms:endpoint name=…>
            return "message"
        elif name_of(endpoint)[0] in REQUEST_PREFIXES:
            return "request"
        address = (index.attribute(endpoint, "address") or "").lower()
        scheme = address.split(":", 1)[0]
        if scheme in MESSAGE_SCHEMES:
            return "message"
        if scheme in REQUEST_SCHEMES:
            return "request"
    return "listener"


def _timing_of(
    index: AppIndex, source, prefix: str, local: str, kind: str
) -> _Timing | None:
    """The schedule a source fires on, as written, with Mule's defaults applied;
    None for sources that wait for messages or requests."""
    if prefix == "" and local == "scheduler":
        strategy = _child(source, "scheduling-strategy")
        if strategy is None:
            return _Timing(
                frequency_ms=DEFAULT_FREQUENCY, defaulted=("scheduling-strategy",)
            )
        return _strategy_timing(index, strategy)
    if prefix == "" and local == "poll":
        return _poll_timing(index, source)
    if prefix == "quartz":
        return _quartz_timing(index, source)
    if kind != "listener":
        return None
    strategy = _child(source, "scheduling-strategy")
    if strategy is not None:
        return _strategy_timing(index, strategy)
    for element in _polling_settings(index, source):
        polling = index.attribute(element, *_POLLING_ATTRIBUTES)
        if polling is not None:
            return _Timing(
                frequency_ms=_milliseconds(index, element, polling, "MILLISECONDS")
            )
    # Mule 3 endpoints poll by pollingFrequency; Mule 4 sources by a strategy.
    unset = "pollingFrequency" if local == "inbound-endpoint" else "scheduling-strategy"
    return _Timing(frequency_ms=DEFAULT_POLLING_MS, defaulted=(unset,))


def _polling_settings(index: AppIndex, source) -> list:
    """Where a Mule 3 source's polling interval may be set, nearest first.

    The endpoint itself, the global endpoint it names with ``ref``, and the
    connector that either names with ``connector-ref``.
    """
    endpoint = _referenced(index, source, "ref")
    places = [source, endpoint]
    for element in (source, endpoint):
        if element is not None:
            places.append(_referenced(index, element, "connector-ref"))
    return [place for place in places if place is not None]


def _referenced(index: AppIndex, element, attribute: str):
    """The app's global element that ``element`` names in ``attribute``, if any."""
    name = index.attribute(element, attribute)
    return index.globals.get(name) if name else None


def _strategy_timing(index: AppIndex, strategy) -> _Timing:
    """Read a Mule 4 ``<scheduling-strategy>``: ``<fixed-frequency>`` or ``<cron>``."""
    for child in strategy:
        _, local = name_of(child)
        if not local:
            continue
        if local == "cron":
            return _cron_timing(index, child, "expression")
        if local == "fixed-frequency":
            return _frequency_timing(index, child)
    return _Timing(frequency_ms=DEFAULT_FREQUENCY, defaulted=("fixed-frequency",))


def _poll_timing(index: AppIndex, poll) -> _Timing:
    """Read a Mule 3 ``<poll>``: ``frequency``, or a fixed-frequency or cron child."""
    for child in poll:
        _, local = name_of(child)
        if not local:
            continue
        if local == "cron-scheduler":
            return _cron_timing(index, child, "expression")
        if local == "fixed-frequency-scheduler":
            return _frequency_timing(index, child)
    frequency = index.attribute(poll, "frequency")
    if frequency is None:
        return _Timing(frequency_ms=DEFAULT_POLLING_MS, defaulted=("frequency",))
    return _Timing(frequency_ms=_milliseconds(index, poll, frequency, "MILLISECONDS"))


def _quartz_timing(index: AppIndex, endpoint) -> _Timing | None:
    """Read a Quartz endpoint inline or through ``ref`` to a global endpoint."""
    reference = endpoint.get("ref")
    if reference:
        target = index.endpoints.get(reference)
        if target is None:
            index.finding(
                "error",
                "unknown-endpoint",
                endpoint,
                f"quartz:inbound-endpoint ref={reference!r} names no global "
                "quartz:endpoint in this app; add the endpoint or fix the name",
            )
            return None
        endpoint = target
    if endpoint.get("cronExpression") is not None:
        return _cron_timing(index, endpoint, "cronExpression")
    delay = index.attribute(endpoint, "startDelay")
    if (index.attribute(endpoint, "repeatCount") or "").strip() == "0":
        # Quartz repeats a simple trigger repeatCount more times: 0 fires once.
        index.finding(
            "info",
            "fires-once",
            endpoint,
            "quartz endpoint has repeatCount='0', so it fires once after its start "
            "delay and never again: there is no period to assess. Give it "
            "repeatCount='-1' or a cronExpression if it should repeat",
        )
        return _Timing(
            start_delay_ms=_milliseconds(
                index, endpoint, delay or "0", "MILLISECONDS", "start delay"
            )
        )
    interval = index.attribute(endpoint, "repeatInterval")
    if interval is None:
        index.finding(
            "error",
            "missing-schedule",
            endpoint,
            "quartz endpoint has neither cronExpression nor repeatInterval; "
            "give it one",
        )
        return None
    return _Timing(
        frequency_ms=_milliseconds(index, endpoint, interval, "MILLISECONDS"),
        start_delay_ms=_milliseconds(
            index, endpoint, delay or "0", "MILLISECONDS", "start delay"
        ),
    )


def _cron_timing(index: AppIndex, element, attribute: str) -> _Timing:
    expression = index.attribute(element, attribute)
    zone = index.attribute(element, "timeZone")
    return _Timing(
        cron=(expression or "").strip() or None,
        time_zone=zone,
        defaulted=() if zone else ("timeZone",),
    )


def _frequency_timing(index: AppIndex, element) -> _Timing:
    frequency = index.attribute(element, "frequency")
    unit = index.attribute(element, "timeUnit")
    delay = index.attribute(element, "startDelay")
    defaulted = tuple(
        name
        for name, value in (("frequency", frequency), ("timeUnit", unit))
        if value is None
    )
    unit = DEFAULT_TIME_UNIT if unit is None else unit
    if frequency is None:
        frequency = str(DEFAULT_FREQUENCY)
    return _Timing(
        frequency_ms=_milliseconds(index, element, frequency, unit),
        start_delay_ms=_milliseconds(index, element, delay or "0", unit, "start delay"),
        defaulted=defaulted,
    )


def _milliseconds(
    index: AppIndex, element, value: str, unit: str, what: str = "frequency"
) -> int | None:
    """Convert a frequency or delay to milliseconds; None when it cannot be known.

    A value or unit still holding an unresolved placeholder was already
    reported as such, so it gives no second finding.
    """
    try:
        return schedule.to_milliseconds(float(value), unit)
    except (InputError, ValueError):
        if "${" in value or "${" in unit:
            return None
        index.finding(
            "error",
            "invalid-frequency",
            element,
            f"{what} {value!r} {unit} is not a number of a known time unit; "
            "use a number and MILLISECONDS, SECONDS, MINUTES, HOURS or DAYS",
        )
        return None


def _measure(index: AppIndex, source, trigger: Trigger, timing: _Timing) -> Trigger:
    """Check the schedule; return the trigger with its period and description."""
    zone_name = timing.time_zone or "UTC"
    if not schedule.zone_or_utc(zone_name)[1]:
        index.finding(
            "warning",
            "invalid-time-zone",
            source,
            f"time zone {zone_name!r} is unknown; UTC is assumed. Use a Java or "
            "IANA zone id such as 'Europe/Paris'",
        )
        zone_name = "UTC"
    if timing.defaulted:
        assumed = "; ".join(_DEFAULT_MEANINGS[name] for name in timing.defaulted)
        index.finding(
            "info",
            "default-schedule",
            source,
            f"{trigger.source} leaves {', '.join(timing.defaulted)} unset, so "
            f"Mule's default is assumed: {assumed}. Set it explicitly to be sure",
        )
    if timing.cron is not None:
        timing.time_zone = zone_name
    plan = _schedule_of(index, source, timing)
    return Trigger(
        kind=trigger.kind,
        source=trigger.source,
        cron=timing.cron,
        time_zone=timing.time_zone if timing.cron else None,
        frequency_ms=timing.frequency_ms,
        period_s=schedule.period_seconds(plan) if plan else None,
        description=schedule.describe(plan) if plan else None,
        defaulted=timing.defaulted,
        disallow_concurrent=trigger.disallow_concurrent,
    )


def _schedule_of(index: AppIndex, source, timing: _Timing) -> schedule.Schedule | None:
    if timing.cron is not None:
        if "${" in timing.cron:
            return None
        try:
            schedule.check_cron(timing.cron)
        except InputError as exc:
            index.finding("error", "invalid-cron", source, str(exc))
            return None
        return schedule.Schedule(
            "cron", cron=timing.cron, time_zone=timing.time_zone or "UTC"
        )
    if timing.frequency_ms is None or timing.frequency_ms <= 0:
        if timing.frequency_ms is not None:
            index.finding(
                "error",
                "invalid-frequency",
                source,
                f"frequency of {timing.frequency_ms} ms never fires; use a "
                "positive frequency",
            )
        return None
    delay = timing.start_delay_ms or 0
    if delay < 0:
        index.finding(
            "warning",
            "invalid-frequency",
            source,
            f"start delay of {delay} ms is negative; no delay is assumed",
        )
    return schedule.Schedule(
        "fixed-frequency",
        frequency_ms=timing.frequency_ms,
        start_delay_ms=max(delay, 0),
    )


def mode_of(trigger: Trigger, micro_batch_threshold_s: float) -> str:
    """How records reach processing today under this trigger.

    >>> mode_of(Trigger("fixed-frequency", "scheduler", period_s=300.0), 900)
    'micro-batch'
    >>> mode_of(Trigger("message", "anypoint-mq:subscriber"), 900)
    'streaming'
    """
    if trigger.kind == "message":
        return "streaming"
    if trigger.kind == "request":
        return "request"
    if trigger.period_s is not None and trigger.period_s <= micro_batch_threshold_s:
        return "micro-batch"
    return "batch"


def _child(element, local_name: str):
    for child in element:
        if name_of(child)[1] == local_name:
            return child
    return None
