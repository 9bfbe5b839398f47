"""The messages of Mule's batch engine and scheduler that a run is built from.

Each pattern has a cheap ``LIKE`` prefix that picks its kind and a regular
expression that takes its fields out. Instance ids and job names are quoted in
Mule 4 and bare in Mule 3, and ids may hold spaces and slashes.
"""

from __future__ import annotations

from dataclasses import dataclass

# Loggers whose every message must be understood: a line from one of them that
# matches no pattern below is kept as a reject. Mule 3 polling and watermark
# loggers are not among them; their lines count as other loggers' lines.
BATCH_LOGGER_MARKS = (
    "com.mulesoft.module.batch.",
    "com.mulesoft.mule.runtime.module.batch.",
    "com.mulesoft.ch.batch.",
)
SHORT_LOGGER_NAMES = (
    "DefaultBatchEngine",
    "BatchQueueLoader",
    "DefaultBatchStep",
    "DefaultBatchJob",
    "BatchCoreExtension",
    "DefaultSchedulerMessageSource",
)
SCHEDULER_LOGGER_SUFFIX = ".DefaultSchedulerMessageSource"

_ID = r"'?(.+?)'?"


@dataclass(frozen=True)
class MessagePattern:
    """One kind of engine message: how to spot it and which fields it carries."""

    kind: str
    prefix: str
    regex: str
    fields: tuple[str, ...] = ()


PATTERNS: tuple[MessagePattern, ...] = (
    MessagePattern(
        "created",
        "Created instance %",
        rf"^Created instance {_ID} for batch job {_ID}$",
        ("instance", "job"),
    ),
    MessagePattern(
        "loading-started",
        "Starting loading phase for instance %",
        rf"^Starting loading phase for instance {_ID} of job {_ID}$",
        ("instance", "job"),
    ),
    MessagePattern(
        "loaded",
        "Finished loading phase for instance %",
        rf"^Finished loading phase for instance {_ID} of job {_ID}\. (\d+) records? "
        r"(?:were|was) loaded",
        ("instance", "job", "records"),
    ),
    MessagePattern(
        "started",
        "Started execution of instance %",
        rf"^Started execution of instance {_ID} of job {_ID}$",
        ("instance", "job"),
    ),
    MessagePattern(
        "no-records",
        "Instance % has no records to process%",
        rf"^Instance {_ID} of job {_ID} has no records to process",
        ("instance", "job"),
    ),
    MessagePattern(
        "step-finished",
        "Step % finished processing all records for instance %",
        rf"^Step {_ID} finished processing all records for instance {_ID} "
        rf"of job {_ID}$",
        ("step", "instance", "job"),
    ),
    MessagePattern(
        "on-complete-started",
        "Starting execution of onComplete phase for instance %",
        rf"^Starting execution of onComplete phase for instance {_ID} of job {_ID}$",
        ("instance", "job"),
    ),
    MessagePattern(
        "on-complete-finished",
        "Finished execution of onComplete phase for instance %",
        rf"^Finished execution of onComplete phase for instance {_ID} of job {_ID}$",
        ("instance", "job"),
    ),
    MessagePattern(
        "finished",
        "Finished execution for instance %",
        rf"^Finished execution for instance {_ID} of job {_ID}\. Total Records "
        r"processed: (\d+)\. Successful records: (\d+)\. Failed Records: (\d+)",
        ("instance", "job", "total", "ok", "failed"),
    ),
    MessagePattern(
        "record-failed",
        "Found exception processing record on step %",
        rf"^Found exception processing record on step {_ID} for job instance {_ID} "
        rf"of job {_ID}\.?$",
        ("step", "instance", "job"),
    ),
    MessagePattern(
        "max-failed",
        "instance % has reached the max allowed number of failed records%",
        rf"^instance {_ID} of job {_ID} has reached the max allowed number of failed",
        ("instance", "job"),
    ),
    MessagePattern(
        "stopped",
        "instance % has been stopped%",
        rf"^instance {_ID} of job {_ID} has been stopped\. Instance status is (\w+)",
        ("instance", "job", "state"),
    ),
    MessagePattern(
        "skipped",
        "Flow % is already running and 'disallowConcurrentExecution' is set%",
        r"^Flow '(.+?)' is already running and 'disallowConcurrentExecution' is set "
        r"to 'true'\. Execution skipped",
        ("flow",),
    ),
    # Known messages that carry nothing a run needs.
    MessagePattern("input-started", "Starting input phase%", r"^Starting input phase"),
    MessagePattern(
        "input-completed", "Input phase completed%", r"^Input phase completed"
    ),
    MessagePattern("no-input-phase", "% has no input phase%", r"has no input phase"),
    MessagePattern("blank", "", r"^\s*$"),
    MessagePattern(
        "threading-profile", "You provided a Threading Profile%", r"^You provided"
    ),
    MessagePattern(
        "record-count-unknown",
        "Exception found while trying to get the record count%",
        r"^Exception found while trying to get the record count",
    ),
    MessagePattern(
        "persistent-queues", "Persistent queues is not enabled%", r"^Persistent queues"
    ),
)

FIELDS = (
    "instance",
    "job",
    "step",
    "flow",
    "records",
    "total",
    "ok",
    "failed",
    "state",
)
NUMERIC_FIELDS = frozenset({"records", "total", "ok", "failed"})
