"""Resolve ``${key}`` placeholders from an app's property files, keeping secrets out.

Values of keys that look like credentials, and ``${secure::...}`` placeholders,
never leave this module unmasked.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from kit.errors import ParseError
from kit.portfolio.xmlfile import read_at_most

MASK = "****"
MAX_PROPERTY_FILE_BYTES = 4 * 1024 * 1024

_URL_CREDENTIALS = re.compile(r"(//[^/:@\s]+):[^/@\s]+@")
_PLACEHOLDER = re.compile(r"\$\{([^${}]+)\}")
_SECRET_KEY = re.compile(
    r"pass(word|wd|phrase)?|secret|token|credential|api[._-]?key|private[._-]?key"
    r"|client[._-]?id|(^|[._-])key$|auth",
    re.IGNORECASE,
)


def looks_secret(key: str) -> bool:
    """Tell whether a property key names a credential.

    >>> looks_secret("db.password"), looks_secret("sfdc.securityToken")
    (True, True)
    >>> looks_secret("orders.cron"), looks_secret("http.path")
    (False, False)
    """
    return bool(_SECRET_KEY.search(key))


def mask_url_credentials(text: str) -> str:
    """Mask the password of any ``scheme://user:password@host`` in ``text``.

    >>> mask_url_credentials("https://admin:hunter2@api.example.com/${path}")
    'https://admin:****@api.example.com/${path}'
    """
    return _URL_CREDENTIALS.sub(rf"\1:{MASK}@", text)


def read_properties_text(text: str) -> dict[str, str]:
    """Read Java ``.properties`` text: ``key=value`` or ``key: value``, ``#`` comments.

    >>> read_properties_text("a.b = 1\\n# note\\nc:two\\nd x")
    {'a.b': '1', 'c': 'two', 'd': 'x'}
    """
    values: dict[str, str] = {}
    logical_lines = re.sub(r"\\\r?\n\s*", "", text).splitlines()
    for raw in logical_lines:
        line = raw.strip()
        if not line or line[0] in "#!":
            continue
        match = re.match(r"((?:\\.|[^=:\s])+)\s*[=:\s]\s*(.*)", line)
        if match:
            values[match.group(1).replace("\\", "")] = match.group(2)
    return values


def flatten_yaml(document: object, prefix: str = "") -> dict[str, str]:
    """Flatten nested YAML mappings into dotted keys.

    >>> flatten_yaml({"orders": {"cron": "0 0 2 * * ?", "limit": 500}})
    {'orders.cron': '0 0 2 * * ?', 'orders.limit': '500'}
    """
    if not isinstance(document, Mapping):
        return {prefix: "" if document is None else str(document)} if prefix else {}
    values: dict[str, str] = {}
    for key, value in document.items():
        values.update(flatten_yaml(value, f"{prefix}.{key}" if prefix else str(key)))
    return values


def read_property_file(path: str | Path, shown_as: str) -> dict[str, str]:
    """Read one ``.properties`` or ``.yaml`` file into flat keys."""
    with open(path, "rb") as file:
        data = read_at_most(file, MAX_PROPERTY_FILE_BYTES + 1)
    if len(data) > MAX_PROPERTY_FILE_BYTES:
        raise ParseError(
            f"property file is over {MAX_PROPERTY_FILE_BYTES:,} bytes; its keys are "
            "not used. Shorten it",
            file=shown_as,
        )
    text = data.decode("utf-8", errors="replace")
    if str(path).endswith(".properties"):
        return read_properties_text(text)
    try:
        return flatten_yaml(yaml.safe_load(text))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ParseError(
            f"not valid YAML ({getattr(exc, 'problem', exc)}); its keys are not "
            "used to resolve placeholders. Fix the file",
            file=shown_as,
            line=mark.line + 1 if mark else None,
        ) from None


@dataclass
class Resolution:
    """The resolved text and the keys that could not be resolved."""

    text: str
    unresolved: list[str] = field(default_factory=list)


class Properties:
    """An app's placeholder values: its property files, then command-line overrides."""

    def __init__(
        self, values: Mapping[str, str], overrides: Mapping[str, str] = {}
    ) -> None:
        self._values = {**values, **overrides}

    @classmethod
    def merged(
        cls, sources: Iterable[Mapping[str, str]], overrides: Mapping[str, str] = {}
    ) -> Properties:
        """Merge several files' values; a key keeps its first value."""
        values: dict[str, str] = {}
        for source in sources:
            for key, value in source.items():
                values.setdefault(key, value)
        return cls(values, overrides)

    def resolve(self, text: str | None) -> Resolution | None:
        """Replace every ``${key}`` in ``text``, masking secrets.

        >>> props = Properties({"path": "/customers", "db.password": "changeit"})
        >>> props.resolve("${path}/${id}").text
        '/customers/${id}'
        >>> props.resolve("${db.password}").text
        '****'
        >>> props.resolve("${secure::db.password}").unresolved
        []
        """
        if text is None:
            return None
        if "${" not in text:
            return Resolution(text)
        unresolved: list[str] = []

        def substitute(match: re.Match[str]) -> str:
            key = match.group(1).strip()
            if key.startswith("secure::"):
                return "${" + key + "}"
            if key not in self._values:
                unresolved.append(key)
                return match.group(0)
            return MASK if looks_secret(key) else self._values[key]

        return Resolution(_PLACEHOLDER.sub(substitute, text), unresolved)
