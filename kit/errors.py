"""The kit's exceptions: one root, a few kinds, each also its matching built-in.

KitError
├── InputError (ValueError)        bad user input: a file, a scenario, an option
│   └── ParseError                 a file that cannot be read, with file and line
└── StoreError (RuntimeError)      the DuckDB file cannot be opened or migrated
"""

from __future__ import annotations


class KitError(Exception):
    """Root of every error the kit raises on purpose."""


class InputError(KitError, ValueError):
    """Input that the kit cannot use; the message says what to change."""


class ParseError(InputError):
    """A file that cannot be parsed, with where and why.

    >>> str(ParseError("not well-formed", file="a.xml", line=3, column=7))
    'a.xml:3:7: not well-formed'
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        self.message = message
        self.file = file
        self.line = line
        self.column = column
        super().__init__(self._located())

    def _located(self) -> str:
        where = [str(part) for part in (self.file, self.line, self.column) if part]
        return ": ".join([":".join(where), self.message]) if where else self.message


class StoreError(KitError, RuntimeError):
    """The assessment database cannot be opened, created or migrated."""
