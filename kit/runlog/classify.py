"""Name each engine line's message and take out its instance, job and counts.

The SQL is generated from :data:`kit.runlog.messages.PATTERNS`: a ``LIKE``
prefix picks the kind, then that kind's regular expression alone fills the
fields, in one pass over the lines. A line whose message matches no kind, or
whose kind's expression fails, is a reject with its reason.
"""

from __future__ import annotations

from kit.runlog.messages import FIELDS, NUMERIC_FIELDS, PATTERNS
from kit.runlog.text import sql_text

# A Mule 4 thread names its app after the runtime's prefix, as in
# [[MuleRuntime].uber.04: [orders].flow.CPU_LITE @1]; a Mule 3 one starts with
# it, as in [[orders].HTTP_Listener.worker.01].
APP_AFTER_RUNTIME = r": \[([^\[\]]+)\]\."
APP_AT_START = r"^\[([^\[\]]+)\]\."


def classified_sql(engine_lines: str, record_app: bool = False) -> str:
    """SQL adding ``kind``, ``matched``, the message fields and ``app``.

    ``engine_lines`` is a query with columns line, text, level, logged_at,
    thread, logger and message, and ``record_app`` when its records name their
    application. The app is the record's, else the thread's, else NULL: the
    file's fallback app is applied per run (see :mod:`kit.runlog.runs`), so
    that a line naming its app wins over it for the whole run.
    """
    kind = "CASE WHEN logger = '' THEN NULL WHEN trim(message) = '' THEN 'blank'\n"
    for pattern in PATTERNS:
        if pattern.prefix:
            kind += (
                f"  WHEN message LIKE {sql_text(pattern.prefix)} "
                f"THEN {sql_text(pattern.kind)}\n"
            )
    kind += "END"

    after_runtime = f"regexp_extract(thread, {sql_text(APP_AFTER_RUNTIME)}, 1)"
    at_start = f"regexp_extract(thread, {sql_text(APP_AT_START)}, 1)"
    app = (
        f"coalesce({'record_app, ' if record_app else ''}"
        f"nullif({after_runtime}, ''), "
        f"nullif(nullif({at_start}, ''), 'MuleRuntime'))"
    )
    numbers = ", ".join(
        f"try_cast(parts.{field} AS BIGINT) AS {field}"
        if field in NUMERIC_FIELDS
        else f"nullif(parts.{field}, '') AS {field}"
        for field in FIELDS
    )
    return f"""
        WITH named AS (
            SELECT *, {kind} AS kind, nullif({app}, '') AS app
            FROM ({engine_lines})
        ),
        extracted AS (
            SELECT *, {_parts_sql()} AS parts FROM named
        )
        SELECT line, text, level, logged_at, thread, logger, message, kind,
               {_matched_sql()} AS matched, app, {numbers}
        FROM extracted
    """


def _parts_sql() -> str:
    """A struct of the fields a line's kind carries, taken out by that kind's regex.

    DuckDB evaluates only the branch of each line's own kind. The branches'
    structs unite by field name, so a field the kind does not carry is NULL.
    """
    branches = []
    for pattern in PATTERNS:
        if pattern.fields:
            names = ", ".join(sql_text(field) for field in pattern.fields)
            branches.append(
                f"  WHEN {sql_text(pattern.kind)} THEN "
                f"regexp_extract(message, {sql_text(pattern.regex)}, [{names}])"
            )
    return "CASE kind\n" + "\n".join(branches) + "\nEND"


def _matched_sql() -> str:
    """Whether the kind's regex matched: its first field is not empty, or it matches.

    A line of no known kind is unmatched.
    """
    branches = []
    for pattern in PATTERNS:
        test = (
            f"parts.{pattern.fields[0]} <> ''"
            if pattern.fields
            else f"regexp_matches(message, {sql_text(pattern.regex)})"
        )
        branches.append(f"  WHEN {sql_text(pattern.kind)} THEN {test}")
    return "CASE kind\n" + "\n".join(branches) + "\n  ELSE false\nEND"
