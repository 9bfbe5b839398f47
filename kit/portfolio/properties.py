"""Resolve ``${key}`` placeholders from an app's property files, keeping secrets out.

Values of keys that look like credentials, and ``${secure::...}`` placeholders,
never leave this module unmasked.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from kit.errors import ParseError
from kit.portfolio.xmlfile import read_at_most

MASK = "****"
MAX_PROPERTY_FILE_BYTES = 4 * 1024 * 1024
MAX_RESOLVE_PASSES = 10
MAX_RESOLVED_CHARS = 1_000_000

_URL_USER = re.compile(r"//([^/:@\s]+):")
_URL_TOKEN = re.compile(r"//[^/:@\s]+@")
_PORT_AND_PATH = re.compile(r"\d+/")
_AFTER_AUTHORITY = re.compile(r"[?#,;]")
_PLACEHOLDER = re.compile(r"\$\{([^${}]+)\}")
_DEFAULT_SEPARATOR = re.compile(r"((?:[^:]|::)+?):(?!:)(.*)", re.DOTALL)
_SECRET_KEY = re.compile(
    r"pass|pwd|secret|token|credential|api[._\s-]?key|private[._\s-]?key"
    r"|client[._\s-]?id|(^|[._\s-])key$|auth",
    re.IGNORECASE,
)
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_BLANKS = " \t\f"
_PROPERTY_KEY = re.compile(r"(?:\\.|[^\\=: \t\f])*", re.DOTALL)
_ESCAPE = re.compile(r"\\(u[0-9a-fA-F]{4}|.)", re.DOTALL)
_CONTROL_ESCAPES = {"t": "\t", "n": "\n", "r": "\r", "f": "\f"}


def looks_secret(key: str) -> bool:
    """Tell whether a property key names a credential.

    >>> looks_secret("db.password"), looks_secret("sfdc.securityToken")
    (True, True)
    >>> looks_secret("db.pwd"), looks_secret("signing.private key")
    (True, True)
    >>> looks_secret("orders.cron"), looks_secret("http.path")
    (False, False)
    """
    return bool(_SECRET_KEY.search(key))


def mask_url_credentials(text: str) -> str:
    """Mask the password of any ``scheme://user:password@host`` in ``text``.

    The password runs to the last ``@`` before the next whitespace, so one that
    holds ``@`` or ``/`` is hidden whole.

    >>> mask_url_credentials("https://admin:hunter2@api.example.com/${path}")
    'https://admin:****@api.example.com/${path}'
    >>> mask_url_credentials("ftp://bob:p@ss/w0rd@files.example.com/in")
    'ftp://bob:****@files.example.com/in'
    >>> mask_url_credentials("https://ghp_abc@github.com/x http://h:8080/a@b")
    'https://****@github.com/x http://h:8080/a@b'
    >>> mask_url_credentials("https://u:pw@h/cb?next=a@b.com")
    'https://u:****@h/cb?next=a@b.com'
    """
    if "@" not in text or "//" not in text:  # most paths: nothing to mask
        return text
    return re.sub(r"\S+", _mask_word_credentials, text)


def _mask_word_credentials(match: re.Match[str]) -> str:
    """Mask from ``//user:`` to the word's last ``@``, or a token alone before ``@``.

    A port followed by a path (``//host:8080/a@b``) holds no credentials.
    """
    word = match.group(0)
    start = word.find("//")
    # The credentials end before the query, fragment or next address of a list.
    end = _AFTER_AUTHORITY.search(word, max(start, 0)) if start >= 0 else None
    last_at = word.rfind("@", 0, end.start() if end else len(word))
    if start < 0 or last_at < start:
        return word
    user = _URL_USER.match(word, start)
    if user is not None and user.end() <= last_at:
        if _PORT_AND_PATH.match(word, user.end(), last_at):
            return word
        return f"{word[: user.end()]}{MASK}{word[last_at:]}"
    token = _URL_TOKEN.match(word, start)
    if token is None:
        return word
    return f"{word[: start + 2]}{MASK}{word[token.end() - 1 :]}"


def read_properties_text(text: str) -> dict[str, str]:
    r"""Read Java ``.properties`` text the way ``java.util.Properties`` does.

    Keys end at the first unescaped ``=``, ``:`` or blank; backslash escapes are
    decoded in keys and values; a later duplicate key wins.

    >>> read_properties_text("a.b = 1\n# note\nc:two\nd x\nurl=http\\://h\\:80")
    {'a.b': '1', 'c': 'two', 'd': 'x', 'url': 'http://h:80'}
    """
    values: dict[str, str] = {}
    for line in _logical_lines(text.removeprefix("\ufeff")):
        key = _PROPERTY_KEY.match(line).group(0)
        value = line[len(key) :].lstrip(_BLANKS)
        if value[:1] in ("=", ":"):
            value = value[1:].lstrip(_BLANKS)
        values[_unescape(key)] = _unescape(value)
    return values


def _logical_lines(text: str) -> Iterator[str]:
    """Yield one line per entry, continued lines joined, blanks and comments skipped."""
    natural_lines = iter(_LINE_BREAK.split(text))
    for natural_line in natural_lines:
        part = natural_line.lstrip(_BLANKS)
        if not part or part[0] in "#!":
            continue
        parts = []
        while _continues(part):
            parts.append(part[:-1])
            part = next(natural_lines, "").lstrip(_BLANKS)
        parts.append(part)
        yield "".join(parts)


def _continues(part: str) -> bool:
    """An odd run of trailing backslashes escapes the line break itself."""
    return (len(part) - len(part.rstrip("\\"))) % 2 == 1


def _unescape(text: str) -> str:
    """Decode escapes so values read as the app sees them, not as written.

    Unlike Java, a malformed ``\\u`` escape is read as a plain ``u`` rather than
    failing the whole file. Surrogate pairs join; a lone surrogate becomes U+FFFD.
    """
    if "\\" not in text:
        return text
    decoded = _ESCAPE.sub(_unescape_one, text)
    return decoded.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def _unescape_one(match: re.Match[str]) -> str:
    """Turn one escape into its character."""
    code = match.group(1)
    if len(code) == 5:
        return chr(int(code[1:], 16))
    return _CONTROL_ESCAPES.get(code, code)


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

        Values may hold placeholders of their own and keys may be nested; both
        resolve over up to ``MAX_RESOLVE_PASSES`` passes, so a cycle ends and
        its keys are reported unresolved. ``${key:default}`` gives the default
        when ``key`` is missing.

        >>> props = Properties({"path": "/customers", "db.password": "changeit",
        ...                     "env": "dev", "dev.base": "/v1${path}"})
        >>> props.resolve("${path}/${id}").text
        '/customers/${id}'
        >>> props.resolve("${${env}.base}?limit=${limit:50}").text
        '/v1/customers?limit=50'
        >>> props.resolve("${db.password}").text
        '****'
        >>> props.resolve("${secure::db.password}").unresolved
        []
        """
        if text is None:
            return None
        if "${" not in text:
            return Resolution(text)

        for _ in range(MAX_RESOLVE_PASSES):
            resolved = self._substitute_innermost(text)
            if resolved == text:
                break
            text = resolved
            if "${" not in text:
                break

        left = (match.group(1).strip() for match in _PLACEHOLDER.finditer(text))
        unresolved = [key for key in left if not key.startswith("secure::")]
        return Resolution(text, list(dict.fromkeys(unresolved)))

    def _substitute_innermost(self, text: str) -> str:
        """Replace placeholders that hold no other, growing no longer than the bound."""
        room = MAX_RESOLVED_CHARS - len(text)

        def substitute(match: re.Match[str]) -> str:
            nonlocal room
            replacement = self._replacement(match.group(1).strip())
            if replacement is None:
                return match.group(0)
            growth = len(replacement) - len(match.group(0))
            if growth > room:
                return match.group(0)
            room -= growth
            return replacement

        return _PLACEHOLDER.sub(substitute, text)

    def _replacement(self, key: str) -> str | None:
        """Give ``${key}``'s value or default, masked if secret; None if unknown.

        A ``secure::`` key is left for Mule to decrypt, and a ``::`` prefix such
        as ``file::`` is part of the key, not a default separator.
        """
        if key.startswith("secure::"):
            return None
        name, value = key, self._values.get(key)
        split = None if value is not None else _DEFAULT_SEPARATOR.fullmatch(key)
        if split:
            name = split.group(1).strip()
            value = self._values.get(name, split.group(2))
        if value is None:
            return None
        return MASK if looks_secret(name) else value
