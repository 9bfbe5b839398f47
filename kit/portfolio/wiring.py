"""Follow a job from its trigger through flow-refs and batch jobs to every call.

Each call gets its multiplicity from where it sits: ``record`` inside a batch
step, a foreach, or any message or request flow; ``block`` inside a batch
aggregator (Mule 3 ``batch:commit``), but ``run`` inside a streaming one, which
sees the whole run at once; ``run`` elsewhere in a scheduled flow and in a batch
job's input and on-complete phases; ``failure`` inside an error handler
(Mule 3 exception strategies), which runs only when processing fails.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from kit.portfolio.calls import call_target, is_operation
from kit.portfolio.index import AppIndex, Definition
from kit.portfolio.model import BatchSettings, Call, Step
from kit.portfolio.namespaces import is_annotation, is_source, name_of, qualified

_PER_RECORD_SCOPES = frozenset({"foreach", "parallel-foreach"})
_ERROR_HANDLERS = frozenset(
    {
        "error-handler",
        "catch-exception-strategy",
        "rollback-exception-strategy",
        "choice-exception-strategy",
    }
)

# What the walk does with an element, decided once per tag.
_COMMENT = "comment"
_CONTAINER = "container"
_OPERATION = "operation"
_FLOW_REF = "flow-ref"
_PER_RECORD_SCOPE = "per-record-scope"
_BATCH_JOB = "batch-job"
_BATCH_EXECUTE = "batch-execute"
_POLL = "poll"
_ERROR_HANDLER = "error-handler"
_ROLES: dict[object, tuple[str, str, str]] = {}

# Bounds on one job's walk, so that untrusted XML cannot make it run for ever
# or overflow the stack: every flow-ref is followed again where it occurs, and
# sub-flows that each call the next twice double the work at every level.
MAX_FLOW_REF_DEPTH = 32
MAX_FLOW_REFS_FOLLOWED = 20_000
MAX_CALLS_PER_JOB = 50_000


def _role_of(element) -> tuple[str, str, str]:
    """Return the element's prefix, local name and role in the walk."""
    known = _ROLES.get(element.tag)
    if known is not None:
        return known
    prefix, local = name_of(element)
    if not local:
        role = _COMMENT
    elif prefix == "" and local == "flow-ref":
        role = _FLOW_REF
    elif prefix == "" and local == "poll":
        role = _POLL
    elif prefix == "" and local in _PER_RECORD_SCOPES:
        role = _PER_RECORD_SCOPE
    elif prefix == "" and local in _ERROR_HANDLERS:
        role = _ERROR_HANDLER
    elif prefix == "batch" and local in ("job", "execute"):
        role = _BATCH_JOB if local == "job" else _BATCH_EXECUTE
    elif is_operation(prefix, local):
        role = _OPERATION
    else:
        role = _CONTAINER
    _ROLES[element.tag] = (prefix, local, role)
    return prefix, local, role


@dataclass
class ReachedBatchJob:
    """A batch job that a job runs, with its settings and steps."""

    name: str
    settings: BatchSettings
    steps: list[Step] = field(default_factory=list)


@dataclass
class Reach:
    """What one job reaches: its batch jobs in order and its calls.

    ``stopped`` says why the walk gave up early on an input too large to
    follow (see the limits above); the calls counted until then are kept.
    """

    batch_jobs: list[ReachedBatchJob] = field(default_factory=list)
    calls: list[tuple[Call, str | None]] = field(default_factory=list)
    flow_refs_followed: int = 0
    stopped: str | None = None


class _Place(NamedTuple):
    """Where the walk stands: file, multiplicity, step, batch job, flows on the path.

    ``file`` is the app-relative file of the definition being walked, which holds
    every element the walk meets until it follows a reference into another.
    """

    file: str
    per: str
    step: str | None = None
    batch_job: str | None = None
    path: frozenset[str] = frozenset()


class Walker:
    """Walks jobs of one app; remembers which definitions any job reached.

    ``reached`` holds the lxml elements themselves: holding them keeps each
    element's Python proxy alive, so membership by identity stays reliable.
    """

    def __init__(self, index: AppIndex) -> None:
        self.index = index
        self.reached: set = set()

    def walk_flow(self, definition: Definition, per: str) -> Reach:
        """Walk a triggered flow (or a Mule 3 batch job with its own input)."""
        reach = Reach()
        place = _Place(definition.file, per, path=frozenset({definition.name}))
        self.reached.add(definition.element)
        try:
            if definition.kind == "batch-job":
                self._batch_job(definition.element, definition.name, place, reach)
            else:
                self._children(definition.element, place, reach, skip_source=True)
        except RecursionError:
            reach.stopped = "its elements nest too deeply to follow"
        if reach.stopped:
            self.index.finding(
                "warning",
                "job-too-large",
                definition.element,
                f"flow {definition.name!r}: {reach.stopped}; only the calls found "
                "before that are counted, so its load is a lower bound. Look for "
                "sub-flows that call each other over and over",
                file=definition.file,
            )
        return reach

    def _children(self, parent, place: _Place, reach: Reach, skip_source=False):
        children = iter(parent)
        if skip_source:
            for child in children:
                prefix, local, role = _role_of(child)
                if role == _COMMENT or is_annotation(prefix, local):
                    continue
                if not is_source(child, prefix, local):
                    self._element(child, prefix, local, role, place, reach)
                elif role == _POLL:
                    self._children(child, place, reach)
                break
        for child in children:
            # The walk's innermost loop: plain containers are entered here,
            # without a call per element.
            prefix, local, role = _ROLES.get(child.tag) or _role_of(child)
            if role == _CONTAINER:
                if len(child):
                    self._children(child, place, reach)
            elif role != _COMMENT:
                self._element(child, prefix, local, role, place, reach)

    def _element(self, element, prefix, local, role, place, reach) -> None:
        if role in (_CONTAINER, _POLL):
            if len(element):
                self._children(element, place, reach)
        elif role == _OPERATION:
            self._call(element, prefix, local, place, reach)
        elif role == _FLOW_REF:
            self._flow_ref(element, place, reach)
        elif role == _PER_RECORD_SCOPE:
            self._children(element, place._replace(per="record"), reach)
        elif role == _ERROR_HANDLER:
            self._children(element, place._replace(per="failure"), reach)
        elif role == _BATCH_JOB:
            name = element.get("jobName") or element.get("name") or "(unnamed)"
            self._batch_job(element, name, place, reach)
        elif role == _BATCH_EXECUTE:
            self._batch_execute(element, place, reach)

    def _call(self, element, prefix: str, local: str, place, reach) -> None:
        if len(reach.calls) >= MAX_CALLS_PER_JOB:
            reach.stopped = f"it makes more than {MAX_CALLS_PER_JOB:,} calls"
            return
        method, path, config_ref = call_target(self.index, element, prefix)
        call = Call(
            component=qualified(prefix, local),
            per=place.per,
            step=place.step,
            method=method,
            path=path,
            config_ref=config_ref,
            file=place.file,
            line=element.sourceline,
        )
        reach.calls.append((call, place.batch_job))

    def _flow_ref(self, element, place: _Place, reach: Reach) -> None:
        if reach.stopped or not self._may_follow(place, reach):
            return
        name = element.get("name") or ""
        if "#[" in name:
            self.index.finding(
                "warning",
                "dynamic-flow-ref",
                element,
                f"flow-ref name={name!r} is chosen at run time; its calls are not "
                "counted. Check the flows it can reach by hand",
                file=place.file,
            )
            return
        name = self.index.resolve(name, element, "name")
        if name in place.path:
            return
        target = self.index.lookup(self.index.flows, name, place.file)
        if target is None:
            self.index.finding(
                "warning",
                "unknown-flow-ref",
                element,
                f"flow-ref name={name!r} names no flow or sub-flow in this app; "
                "its calls are not counted. Add the file that defines it",
                file=place.file,
            )
            return
        self.reached.add(target.element)
        path = place.path | {name}
        inner = _Place(target.file, place.per, place.step, place.batch_job, path)
        self._children(target.element, inner, reach, skip_source=True)

    @staticmethod
    def _may_follow(place: _Place, reach: Reach) -> bool:
        """Count one more flow-ref; stop the walk past the depth or count bound."""
        reach.flow_refs_followed += 1
        if len(place.path) > MAX_FLOW_REF_DEPTH:
            reach.stopped = f"flow-refs nest more than {MAX_FLOW_REF_DEPTH} deep"
        elif reach.flow_refs_followed > MAX_FLOW_REFS_FOLLOWED:
            reach.stopped = f"it follows more than {MAX_FLOW_REFS_FOLLOWED:,} flow-refs"
        return reach.stopped is None

    def _batch_execute(self, element, place: _Place, reach: Reach) -> None:
        name = element.get("name") or ""
        if "#[" in name:
            self.index.finding(
                "warning",
                "dynamic-batch-execute",
                element,
                f"batch:execute name={name!r} picks the batch job at run time; no "
                "batch job is linked. Map it by hand or pass a fixed name",
                file=place.file,
            )
            return
        name = self.index.resolve(name, element, "name")
        target = self.index.lookup(self.index.batch_jobs, name, place.file)
        if target is None:
            self.index.finding(
                "warning",
                "unknown-batch-job",
                element,
                f"batch:execute name={name!r} names no batch job in this app; add "
                "the file that defines it",
                file=place.file,
            )
            return
        self.reached.add(target.element)
        self._batch_job(target.element, name, place._replace(file=target.file), reach)

    def _batch_job(self, element, name: str, place: _Place, reach: Reach) -> None:
        if any(found.name == name for found in reach.batch_jobs):
            return
        self.reached.add(element)
        found = ReachedBatchJob(name, _batch_settings(self.index, element))
        reach.batch_jobs.append(found)
        inside = _Place(place.file, "run", None, name, place.path)
        for child in element:
            prefix, local = name_of(child)
            if not local:
                continue
            if local == "input":
                self._children(child, inside, reach, skip_source=True)
            elif local == "process-records":
                self._steps(child, found, inside, reach)
            elif local == "step":
                self._step(child, found, inside, reach)
            elif local == "on-complete":
                self._children(child, inside, reach)
            else:
                self._element(child, prefix, local, _role_of(child)[2], inside, reach)

    def _steps(self, parent, found: ReachedBatchJob, place, reach) -> None:
        for child in parent:
            if name_of(child)[1] == "step":
                self._step(child, found, place, reach)

    def _step(self, element, found: ReachedBatchJob, place, reach) -> None:
        name = element.get("name") or f"step{len(found.steps) + 1}"
        aggregator_size = None
        in_step = place._replace(per="record", step=name)
        for child in element:
            prefix, local = name_of(child)
            if not local:
                continue
            if prefix == "batch" and local in ("aggregator", "commit"):
                aggregator_size = _integer(self.index.attribute(child, "size"))
                # A streaming aggregator sees every record of the run at once.
                streaming = (self.index.attribute(child, "streaming") or "") == "true"
                per = "run" if streaming else "block"
                self._children(child, in_step._replace(per=per), reach)
            else:
                self._element(child, prefix, local, _role_of(child)[2], in_step, reach)
        found.steps.append(
            Step(
                position=len(found.steps) + 1,
                step=name,
                accept_policy=element.get("acceptPolicy")
                or element.get("accept-policy"),
                accept_expression=element.get("acceptExpression")
                or element.get("accept-expression"),
                aggregator_size=aggregator_size,
                file=place.file,
                line=element.sourceline,
            )
        )


def _batch_settings(index: AppIndex, element) -> BatchSettings:
    """Read Mule 4 camelCase and Mule 3 hyphenated batch attributes alike."""

    def number(*names: str) -> int | None:
        return _integer(index.attribute(element, *names))

    return BatchSettings(
        block_size=number("blockSize", "block-size"),
        max_concurrency=number("maxConcurrency", "max-concurrency"),
        max_failed_records=number("maxFailedRecords", "max-failed-records"),
        scheduling_strategy=index.attribute(
            element, "schedulingStrategy", "scheduling-strategy"
        ),
    )


def _integer(text: str | None) -> int | None:
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None
