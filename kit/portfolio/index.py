"""Index one app's parsed XML files: flows, sub-flows, batch jobs, global endpoints.

Later passes look flows up by name here, across all files of the app, and read
attributes through :meth:`AppIndex.attribute`, which resolves placeholders and
records a finding for every key it cannot resolve.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kit.portfolio.model import Finding
from kit.portfolio.namespaces import name_of
from kit.portfolio.properties import (
    MASK,
    Properties,
    looks_secret,
    mask_url_credentials,
)


@dataclass
class Definition:
    """A named top-level element of the app: a flow, sub-flow or batch job."""

    name: str
    kind: str
    element: object
    file: str


@dataclass
class AppIndex:
    """All named definitions of one app and what is needed to read them.

    ``globals`` holds the other named top-level elements (connectors, global
    endpoints, configurations), which sources refer to with ``ref`` or
    ``connector-ref``.
    """

    app: str
    properties: Properties
    flows: dict[str, list[Definition]] = field(default_factory=dict)
    batch_jobs: dict[str, list[Definition]] = field(default_factory=dict)
    endpoints: dict[str, object] = field(default_factory=dict)
    globals: dict[str, object] = field(default_factory=dict)
    order: list[Definition] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    _files: dict = field(default_factory=dict)
    _seen: set[Finding] = field(default_factory=set)

    def add_file(self, root, shown_as: str) -> None:
        """Index the top-level definitions of one parsed ``<mule>`` document."""
        self._files[root] = shown_as
        for child in root:
            prefix, local = name_of(child)
            if not local:
                continue
            name = child.get("name") or child.get("jobName")
            if not name:
                continue
            if prefix == "" and local in ("flow", "sub-flow"):
                self._define(self.flows, Definition(name, local, child, shown_as))
            elif prefix == "batch" and local == "job":
                definition = Definition(name, "batch-job", child, shown_as)
                self._define(self.batch_jobs, definition)
            elif prefix == "quartz" and local == "endpoint":
                self.endpoints[name] = child
            else:
                self.globals.setdefault(name, child)

    def _define(
        self, table: dict[str, list[Definition]], definition: Definition
    ) -> None:
        earlier = table.setdefault(definition.name, [])
        if earlier:
            self.finding(
                "warning",
                "duplicate-name",
                definition.element,
                f"{definition.kind} {definition.name!r} is also defined in "
                f"{earlier[0].file}; references from this file use this one, "
                "others the first. Rename one of them",
                file=definition.file,
            )
        earlier.append(definition)
        self.order.append(definition)

    @staticmethod
    def lookup(
        table: dict[str, list[Definition]], name: str, from_file: str
    ) -> Definition | None:
        """Find a definition by name, preferring one in the referring file."""
        candidates = table.get(name, [])
        for candidate in candidates:
            if candidate.file == from_file:
                return candidate
        return candidates[0] if candidates else None

    def file_of(self, element) -> str:
        """The app-relative file that holds ``element``."""
        return self._files[element.getroottree().getroot()]

    def finding(
        self,
        severity: str,
        code: str,
        element,
        message: str,
        file: str | None = None,
    ) -> None:
        """Record a finding at ``element``'s file and line, once however often seen.

        A sub-flow reached by several jobs is walked once per job; its findings
        are still reported once.
        """
        finding = Finding(
            severity,
            code,
            file or self.file_of(element),
            element.sourceline if element is not None else None,
            message,
            self.app,
        )
        if finding not in self._seen:
            self._seen.add(finding)
            self.findings.append(finding)

    def attribute(self, element, *names: str) -> str | None:
        """Read the first present attribute of ``names``, placeholders resolved."""
        for name in names:
            raw = element.get(name)
            if raw is not None:
                return self.resolve(raw, element, name)
        return None

    def resolve(self, raw: str, element, what: str) -> str:
        """Resolve placeholders in ``raw``; warn once per unresolved key."""
        if "${" not in raw:
            return raw
        resolution = self.properties.resolve(raw)
        # The resolved text, not the raw one: a default such as ${token:x} is a
        # value, and the resolution has masked it if its key looks secret.
        shown = MASK if looks_secret(what) else mask_url_credentials(resolution.text)
        for key in resolution.unresolved:
            self.finding(
                "warning",
                "unresolved-placeholder",
                element,
                f"{what}={shown!r}: no property {key!r} in the app's property files; "
                f"pass --property {key}=VALUE or add it to a property file",
            )
        return resolution.text
