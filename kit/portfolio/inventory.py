"""Take the inventory of a portfolio: apps, flows, jobs, steps, calls, findings.

This is the first stage of the pipeline; it reads Mule XML and property files
and returns what it found; :mod:`kit.portfolio.tables` writes the ``apps``,
``flows``, ``jobs``, ``steps``, ``calls`` and ``findings`` tables.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path

from tqdm import tqdm

from kit.errors import InputError, ParseError
from kit.portfolio.apps import AppFolder, find_apps
from kit.portfolio.index import AppIndex
from kit.portfolio.model import App, Finding, FlowInfo, Inventory, Job
from kit.portfolio.namespaces import CORE, name_of
from kit.portfolio.properties import Properties, read_property_file
from kit.portfolio.triggers import mode_of, read_trigger
from kit.portfolio.wiring import Reach, Walker
from kit.portfolio.xmlfile import read_xml

log = logging.getLogger(__name__)

DEFAULT_MICRO_BATCH_THRESHOLD_MIN = 15.0
BATCH_JOB_TAG = "{http://www.mulesoft.org/schema/mule/batch}job"
_MULE3_SIGNS = frozenset({"poll", "inbound-endpoint", "beans", "property-placeholder"})
_MULE4_SIGNS = frozenset({"scheduler", "error-handler", "configuration-properties"})


class StrictStop(InputError):
    """Raised in strict mode at the first error finding."""


def take_inventory(
    paths: Sequence[Path | str],
    *,
    properties: Mapping[str, str] | None = None,
    micro_batch_threshold_min: float = DEFAULT_MICRO_BATCH_THRESHOLD_MIN,
    strict: bool = False,
) -> Inventory:
    """Assess every app under ``paths`` and return what was found.

    Bad files become error findings and the rest of the portfolio is still
    assessed; with ``strict`` the first error stops the run with
    :class:`StrictStop`.
    """
    apps = find_apps([Path(path) for path in paths])
    if not apps:
        log.warning(
            "no Mule configuration files (*.xml) under %s; point at the folder "
            "that holds the apps",
            ", ".join(repr(str(path)) for path in paths),
        )
    inventory = Inventory()
    total_files = sum(len(app.xml_files) for app in apps)
    with tqdm(total=total_files, unit="file", disable=None, leave=False) as bar:
        for folder in apps:
            _assess_app(
                folder, inventory, properties or {}, micro_batch_threshold_min * 60
            )
            bar.update(len(folder.xml_files))
            if strict and inventory.has_errors:
                first = next(f for f in inventory.findings if f.severity == "error")
                line = f":{first.line}" if first.line is not None else ""
                raise StrictStop(f"{folder.name}/{first.file}{line}: {first.message}")
    inventory.findings.sort(key=lambda f: (f.app or "", f.file or "", f.line or 0))
    log.info(
        "inventory: %d apps, %d files, %d jobs, %d findings (%d errors)",
        len(apps),
        total_files,
        len(inventory.jobs),
        len(inventory.findings),
        sum(f.severity == "error" for f in inventory.findings),
    )
    return inventory


def _assess_app(
    folder: AppFolder,
    inventory: Inventory,
    overrides: Mapping[str, str],
    threshold_s: float,
) -> None:
    index = AppIndex(folder.name, _read_properties(folder, overrides, inventory))
    roots = _parse_files(folder, index)
    version = folder.mule_version or _guess_version(roots)
    inventory.apps.append(
        App(
            folder.name,
            folder.root,
            version,
            len(folder.xml_files),
            len(folder.property_files),
        )
    )

    walker = Walker(index)
    for definition in index.order:
        trigger = None
        if definition.kind in ("flow", "batch-job"):
            trigger = read_trigger(index, definition.element)
        inventory.flows.append(
            FlowInfo(
                folder.name,
                definition.name,
                definition.kind,
                definition.file,
                definition.element.sourceline,
                trigger is not None,
            )
        )
        if trigger is None:
            continue
        _report_stopped(index, definition)
        mode = mode_of(trigger, threshold_s)
        per = "record" if trigger.kind in ("message", "request") else "run"
        reach = walker.walk_flow(definition, per)
        inventory.jobs.extend(_jobs_of(folder.name, definition, trigger, mode, reach))

    _report_unreached_batch_jobs(index, roots, walker)
    inventory.findings.extend(index.findings)


def _read_properties(
    folder: AppFolder, overrides: Mapping[str, str], inventory: Inventory
) -> Properties:
    sources = []
    for path in folder.property_files:
        try:
            sources.append(read_property_file(path, folder.relative(path)))
        except ParseError as exc:
            inventory.findings.append(_finding_of(exc, folder, "property-file"))
    return Properties.merged(sources, overrides)


def _parse_files(folder: AppFolder, index: AppIndex) -> list:
    roots = []
    for path in folder.xml_files:
        shown_as = folder.relative(path)
        try:
            root = read_xml(path, shown_as)
        except ParseError as exc:
            index.findings.append(_finding_of(exc, folder, "xml-invalid"))
            continue
        except OSError as exc:
            index.finding(
                "error", "file-unreadable", None, f"cannot read: {exc}", shown_as
            )
            continue
        if root.tag != f"{{{CORE}}}mule":
            index.finding(
                "info",
                "not-mule-config",
                root,
                f"root element {root.tag!r} is not a Mule configuration; skipped",
                file=shown_as,
            )
            continue
        index.add_file(root, shown_as)
        roots.append(root)
    return roots


def _finding_of(exc: ParseError, folder: AppFolder, code: str) -> Finding:
    return Finding("error", code, exc.file, exc.line, exc.message, folder.name)


def _guess_version(roots: list) -> int | None:
    """Guess Mule 3 or 4 for a loose folder from the elements its files use."""
    votes = {3: 0, 4: 0}
    for root in roots:
        for child in root:
            prefix, local = name_of(child)
            if not local:
                continue
            if prefix == "batch" and local == "job":
                votes[3] += 1
            for element in (child, *child[:2]):
                local = name_of(element)[1]
                votes[3] += local in _MULE3_SIGNS
                votes[4] += local in _MULE4_SIGNS
    if votes[3] == votes[4]:
        return None
    return 3 if votes[3] > votes[4] else 4


def _jobs_of(app: str, definition, trigger, mode: str, reach: Reach) -> list[Job]:
    """One job per batch job the flow runs (or one without), with its calls.

    Calls outside any batch job go with the first batch job the flow runs, so
    that summing calls over jobs counts each once.
    """
    line = definition.element.sourceline
    if not reach.batch_jobs:
        calls = tuple(call for call, _ in reach.calls)
        return [
            Job(
                app,
                definition.file,
                line,
                definition.name,
                None,
                mode,
                trigger,
                calls=calls,
            )
        ]
    jobs = []
    for position, batch_job in enumerate(reach.batch_jobs):
        calls = tuple(
            call
            for call, owner in reach.calls
            if owner == batch_job.name or (owner is None and position == 0)
        )
        jobs.append(
            Job(
                app,
                definition.file,
                line,
                definition.name,
                batch_job.name,
                mode,
                trigger,
                steps=tuple(batch_job.steps),
                calls=calls,
                batch=batch_job.settings,
            )
        )
    return jobs


def _report_stopped(index: AppIndex, definition) -> None:
    """Say so when a job's flow is deployed stopped: it fires only once started."""
    if (definition.element.get("initialState") or "").strip().lower() == "stopped":
        index.finding(
            "info",
            "flow-stopped",
            definition.element,
            f"flow {definition.name!r} starts stopped (initialState='stopped'); its "
            "trigger fires only after someone starts it, so expect fewer runs",
            file=definition.file,
        )


def _report_unreached_batch_jobs(index: AppIndex, roots: list, walker: Walker):
    for root in roots:
        for element in root.iter(BATCH_JOB_TAG):
            if element in walker.reached:
                continue
            name = element.get("jobName") or element.get("name")
            index.finding(
                "info",
                "batch-job-not-triggered",
                element,
                f"batch job {name!r} is not run by any scheduled, listening or "
                "request flow of this app, so it is not assessed as a job",
            )
