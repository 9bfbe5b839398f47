"""The text layouts of Mule runtime logs, and telling which one a file uses.

Each layout is a pair of RE2 expressions for DuckDB: one that tells whether a
line starts a log event, and one that takes apart the fields before the message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_LEVEL = r"(?:TRACE|DEBUG|INFO|WARN|ERROR|FATAL)"
_DATE = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d[,.]\d{3}"
# A thread name may hold one level of brackets: [[MuleRuntime].uber.04: [app].flow]
_THREAD = r"((?:[^\[\]]|\[[^\[\]]*\])*)"
_LOGGER = r"([\w.$]+)"


@dataclass(frozen=True)
class TextLayout:
    """One line layout: how an event line starts and where its fields are.

    ``fields`` matches the head of an event line, from its start to where the
    message begins; the message is the rest of the line. That keeps the groups
    at four, the most RE2's fast one-pass matcher takes apart (measured: with
    the message as a fifth group, the fields took three times as long).
    """

    name: str
    start: str
    fields: str
    order: tuple[str, ...]
    date_formats: tuple[str, ...] = ("%Y-%m-%d %H:%M:%S.%g",)
    needs_year: bool = False


LEVEL_FIRST = TextLayout(
    name="level-first",
    start=rf"^{_LEVEL} +{_DATE} \[",
    fields=(
        rf"^({_LEVEL}) +({_DATE}) \[{_THREAD}\] (?:\[[^\]]*\] |\{{[^}}]*\}} )*"
        rf"{_LOGGER}: ?"
    ),
    order=("level", "logged_at", "thread", "logger"),
)
CONSOLE = TextLayout(
    name="console",
    start=rf"^{_DATE} \[",
    fields=rf"^({_DATE}) \[{_THREAD}\] ({_LEVEL}) +{_LOGGER} - ?",
    order=("logged_at", "thread", "level", "logger"),
)
CLOUDHUB = TextLayout(
    name="cloudhub",
    start=r"^\[\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d{3})?\] ",
    fields=(
        rf"^\[(\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d{{3}})?)\] ({_LEVEL}) +{_LOGGER} "
        rf"\[{_THREAD}\]: ?"
    ),
    order=("logged_at", "level", "logger", "thread"),
    date_formats=("%Y-%m-%d %H:%M:%S.%g", "%Y-%m-%d %H:%M:%S"),
    needs_year=True,
)
TEXT_LAYOUTS = (LEVEL_FIRST, CONSOLE, CLOUDHUB)


def detect_text_layout(head: str) -> tuple[TextLayout | None, str]:
    """Pick the layout whose event starts match most of the first lines.

    Returns the layout (None when no line matches any) and a finer label for
    the ``log_files`` table: ``mule4`` or ``mule3-app`` for the level-first
    layout, told apart by the loggers the lines name.

    >>> layout, label = detect_text_layout(
    ...     "2017-12-04 16:38:24,188 [pool-14-thread-1] INFO  a.B - x\\n"
    ... )
    >>> layout.name, label
    ('console', 'mule3-console')
    """
    lines = head.splitlines()[:2000]
    scores = [
        (sum(1 for line in lines if re.match(layout.start, line)), layout)
        for layout in TEXT_LAYOUTS
    ]
    best, layout = max(scores, key=lambda pair: pair[0])
    if best == 0:
        return None, "unknown"
    if layout is CONSOLE:
        return layout, "mule3-console"
    if layout is CLOUDHUB:
        return layout, "cloudhub"
    runtime_4 = "org.mule.runtime." in head or "[MuleRuntime]" in head
    mule4_batch = "com.mulesoft.mule.runtime." in head
    return layout, "mule4" if runtime_4 or mule4_batch else "mule3-app"
