"""The inventory's domain nouns: apps, jobs, their triggers, steps, calls, findings.

Each class turns into one JSON object of the ``kit inventory --json`` contract and
one row of the matching DuckDB table.
"""

from __future__ import annotations

from dataclasses import dataclass, field

SEVERITIES = ("error", "warning", "info")


@dataclass(frozen=True)
class Finding:
    """Something a user should know about one place in the portfolio."""

    severity: str
    code: str
    file: str | None
    line: int | None
    message: str
    app: str | None = None

    def to_json(self) -> dict:
        return {
            "severity": self.severity,
            "code": self.code,
            "file": self.file,
            "line": self.line,
            "message": self.message,
        }


@dataclass(frozen=True)
class Trigger:
    """What starts a job, with its schedule when it has one."""

    kind: str
    source: str
    cron: str | None = None
    time_zone: str | None = None
    frequency_ms: int | None = None
    period_s: float | None = None
    description: str | None = None
    defaulted: tuple[str, ...] = ()
    disallow_concurrent: bool = False

    @property
    def is_scheduled(self) -> bool:
        return self.cron is not None or self.frequency_ms is not None

    def to_json(self) -> dict:
        return {
            "kind": self.kind,
            "source": self.source,
            "cron": self.cron,
            "time_zone": self.time_zone,
            "frequency_ms": self.frequency_ms,
            "period_s": self.period_s,
            "description": self.description,
            "defaulted": list(self.defaulted),
        }


@dataclass(frozen=True)
class Call:
    """One outbound operation and how often it happens.

    ``per`` is ``record``, ``block`` or ``run``, or ``failure`` for a call in an
    error handler, which happens only when processing fails.
    """

    component: str
    per: str
    step: str | None
    method: str | None
    path: str | None
    config_ref: str | None
    file: str
    line: int | None

    def to_json(self) -> dict:
        return {
            "component": self.component,
            "per": self.per,
            "step": self.step,
            "method": self.method,
            "path": self.path,
            "config_ref": self.config_ref,
            "file": self.file,
            "line": self.line,
        }


@dataclass(frozen=True)
class Step:
    """One step of a batch job, in order."""

    position: int
    step: str
    accept_policy: str | None
    accept_expression: str | None
    aggregator_size: int | None
    file: str
    line: int | None


@dataclass(frozen=True)
class BatchSettings:
    """A batch job's tuning attributes, Mule 3 and Mule 4 spellings alike."""

    block_size: int | None = None
    max_concurrency: int | None = None
    max_failed_records: int | None = None
    scheduling_strategy: str | None = None


@dataclass(frozen=True)
class Job:
    """A flow with a trigger, and the batch job it runs if any."""

    app: str
    file: str
    line: int | None
    flow: str
    batch_job: str | None
    mode: str
    trigger: Trigger
    steps: tuple[Step, ...] = ()
    calls: tuple[Call, ...] = ()
    batch: BatchSettings = field(default_factory=BatchSettings)

    def calls_per(self, per: str) -> int:
        return sum(call.per == per for call in self.calls)

    def to_json(self) -> dict:
        return {
            "app": self.app,
            "file": self.file,
            "line": self.line,
            "flow": self.flow,
            "batch_job": self.batch_job,
            "mode": self.mode,
            "trigger": self.trigger.to_json(),
            "steps": [step.step for step in self.steps],
            "calls": [call.to_json() for call in self.calls],
        }


@dataclass(frozen=True)
class FlowInfo:
    """Any flow, sub-flow or top-level batch job, with or without a trigger."""

    app: str
    flow: str
    kind: str
    file: str
    line: int | None
    is_job: bool


@dataclass(frozen=True)
class App:
    """One Mule application folder (or a loose folder of configuration files)."""

    app: str
    path: str
    mule_version: int | None
    files: int
    property_files: int


@dataclass
class Inventory:
    """Everything the inventory found in a portfolio."""

    apps: list[App] = field(default_factory=list)
    flows: list[FlowInfo] = field(default_factory=list)
    jobs: list[Job] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def has_errors(self) -> bool:
        return any(finding.severity == "error" for finding in self.findings)

    def to_json(self) -> dict:
        return {
            "jobs": [job.to_json() for job in self.jobs],
            "findings": [finding.to_json() for finding in self.findings],
        }
