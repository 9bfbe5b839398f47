"""Name each engine line's message and take out its instance, job and counts.

The SQL is generated from :data:`kit.runlog.messages.PATTERNS`: a ``LIKE``
prefix picks the kind, then that kind's regular expression fills the fields.
A line whose message matches no kind, or whose kind's expression fails, is a
reject with its reason.
"""

from __future__ import annotations

from kit.runlog.messages import FIELDS, NUMERIC_FIELDS, PATTERNS
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

    matched = "CASE kind\n"
    for pattern in PATTERNS:
        matched += (
            f"  WHEN {sql_text(pattern.kind)} "
            f"THEN regexp_matches(message, {sql_text(pattern.regex)})\n"
        )
    matched += "  ELSE false END"

    fields = [_field_sql(field) for field in FIELDS]
    after_runtime = f"regexp_extract(thread, {sql_text(APP_AFTER_RUNTIME)}, 1)"
    at_start = f"regexp_extract(thread, {sql_text(APP_AT_START)}, 1)"
    app = (
        f"coalesce({'record_app, ' if record_app else ''}"
        f"nullif({after_runtime}, ''), "
        f"nullif(nullif({at_start}, ''), 'MuleRuntime'), {sql_text(file_app or '')})"
    )
    return f"""
        WITH named AS (
            SELECT *, {kind} AS kind FROM ({engine_lines})
        )
        SELECT line, text, level, logged_at, thread, logger, message, kind,
               {matched} AS matched,
               nullif({app}, '') AS app,
               {", ".join(fields)}
        FROM named
    """


def _field_sql(field: str) -> str:
    """One field: the capture group of the kind whose pattern carries it."""
    branches = ""
    for pattern in PATTERNS:
        if field in pattern.fields:
            group = pattern.fields.index(field) + 1
            branches += (
                f"  WHEN {sql_text(pattern.kind)} THEN nullif(regexp_extract("
                f"message, {sql_text(pattern.regex)}, {group}), '')\n"
            )
    value = f"CASE kind\n{branches}END"
    if field in NUMERIC_FIELDS:
        value = f"try_cast({value} AS BIGINT)"
    return f"{value} AS {field}"
