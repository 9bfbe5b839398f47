"""Name each engine line's message and take out its instance, job and counts.

The SQL is generated from :data:`kit.runlog.messages.PATTERNS`: a ``LIKE``
prefix picks the kind, then that kind's regular expression fills the fields.
A line whose message matches no kind, or whose kind's expression fails, is a
reject with its reason.
"""

from __future__ import annotations

from kit.runlog.messages import FIELDS, NUMERIC_FIELDS, PATTERNS, MessagePattern
from kit.runlog.text import sql_text

# A Mule 4 thread names its app after the runtime's prefix, as in
# [[MuleRuntime].uber.04: [orders].flow.CPU_LITE @1]; a Mule 3 one starts with
# it, as in [[orders].HTTP_Listener.worker.01].
APP_AFTER_RUNTIME = r": \[([^\[\]]+)\]\."
APP_AT_START = r"^\[([^\[\]]+)\]\."


def classified_sql(
    engine_lines: str, file_app: str | None, record_app: bool = False
) -> str:
    """SQL adding ``kind``, ``matched``, the message fields and ``app``.

    ``engine_lines`` is a query with columns line, text, level, logged_at,
    thread, logger and message, and ``record_app`` when its records name their
    application. The app is the record's, else the thread's, else ``file_app``.
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
        f"nullif(nullif({at_start}, ''), 'MuleRuntime'), {sql_text(file_app or '')})"
    )
    branches = [_branch_sql(pattern) for pattern in PATTERNS]
    branches.append(_branch_sql(None))
    numbers = ", ".join(
        f"try_cast({field} AS BIGINT) AS {field}"
        if field in NUMERIC_FIELDS
        else f"nullif({field}, '') AS {field}"
        for field in FIELDS
    )
    union = "\n        UNION ALL\n".join(branches)
    return f"""
        WITH named AS MATERIALIZED (
            SELECT *, {kind} AS kind, nullif({app}, '') AS app
            FROM ({engine_lines})
        ),
        extracted AS (
        {union}
        )
        SELECT line, text, level, logged_at, thread, logger, message, kind, matched,
               app, {numbers}
        FROM extracted
    """


def _branch_sql(pattern: MessagePattern | None) -> str:
    """One kind's lines with its fields taken out by a single regular expression.

    ``None`` gives the lines of no known kind, all unmatched.
    """
    common = "line, text, level, logged_at, thread, logger, message, kind, app"
    if pattern is None:
        blanks = ", ".join(f"NULL::VARCHAR AS {field}" for field in FIELDS)
        return (
            f"SELECT {common}, false AS matched, {blanks} FROM named WHERE kind IS NULL"
        )
    regex = sql_text(pattern.regex)
    if not pattern.fields:
        blanks = ", ".join(f"NULL::VARCHAR AS {field}" for field in FIELDS)
        return (
            f"SELECT {common}, regexp_matches(message, {regex}) AS matched, {blanks} "
            f"FROM named WHERE kind = {sql_text(pattern.kind)}"
        )
    names = ", ".join(sql_text(field) for field in pattern.fields)
    values = ", ".join(
        f"parts.{field} AS {field}" if field in pattern.fields else f"NULL AS {field}"
        for field in FIELDS
    )
    return (
        f"SELECT {common}, parts.{pattern.fields[0]} <> '' AS matched, {values} "
        f"FROM (SELECT *, regexp_extract(message, {regex}, [{names}]) AS parts "
        f"FROM named WHERE kind = {sql_text(pattern.kind)})"
    )
