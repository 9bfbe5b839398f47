"""Read structured sources: CloudHub and Anypoint Monitoring JSON, CSV run histories.

JSON exports become one row per log record, shaped like a parsed text line,
so the same classification applies. For them a "line" is one record.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from kit.errors import ParseError

if TYPE_CHECKING:
    import pyarrow as pa

RUN_HISTORY_COLUMNS = ("job", "instance", "started_at", "finished_at")
# Places tried to read on from after a broken record in a damaged export.
MAX_RESYNC_TRIES = 10_000
# Keys of which a logs-API or Monitoring record has at least one at its top.
_RECORD_KEYS = frozenset(
    {"event", "_source", "message", "loggerName", "recordId", "timestamp"}
)
# Where a record of an array may start: after a comma, at an opening brace.
_RECORD_BOUNDARY = re.compile(r",\s*(?=\{)")
_LEVEL_KEYS = ("priority", "log level", "level")
_JSON_START = re.compile(r'\ufeff?\s*(?:\[\s*[{\]]|\{\s*["}])')


def looks_like_run_history(head: str) -> bool:
    """Tell a CSV run history by its header line.

    >>> looks_like_run_history("job,instance,started_at,finished_at,records_total\\n")
    True
    """
    first = head.lstrip("\ufeff").split("\n", 1)[0].lower()
    columns = {column.strip().strip('"') for column in first.split(",")}
    return set(RUN_HISTORY_COLUMNS) <= columns


def looks_like_json(head: str) -> bool:
    """Tell a JSON export from a text log that also starts with a bracket.

    >>> looks_like_json('[ {"recordId": 1}]'), looks_like_json("[03-02 02:00:00] INFO")
    (True, False)
    """
    return bool(_JSON_START.match(head))


def read_json_records(
    text: str, shown_as: str
) -> tuple[str, pa.Table, list[tuple[int, str]]]:
    """Parse a CloudHub logs-API or Anypoint Monitoring export into log records.

    Returns the layout name, a table with line, text, level, logged_at,
    thread, logger and message, and the stretches of a damaged array that are
    no record, each with its place among the records: an array with a broken
    record, or cut short, keeps its whole records. Raw newlines inside strings
    (as the Monitoring documentation shows them) are accepted.
    """
    import pyarrow as pa  # here, so that reading text logs does not load Arrow

    try:
        document = json.loads(text, strict=False)
        items: list[dict | str] = list(_records_of(document))
    except json.JSONDecodeError:
        salvaged = _salvage_array(text)
        items = salvaged if salvaged is not None else _json_lines(text, shown_as)
    records = [item for item in items if isinstance(item, dict)]
    rows = [
        _row_of(number, item)
        for number, item in enumerate(items, 1)
        if isinstance(item, dict)
    ]
    unread = [
        (number, item) for number, item in enumerate(items, 1) if isinstance(item, str)
    ]
    layout = (
        "monitoring-json" if any("_source" in r for r in records) else "cloudhub-json"
    )
    columns = (
        "line", "text", "level", "logged_at", "thread", "logger", "message",
        "record_app",
    )  # fmt: skip
    table = pa.table(
        {name: [row[index] for row in rows] for index, name in enumerate(columns)},
        schema=pa.schema(
            [
                ("line", pa.int64()),
                ("text", pa.string()),
                ("level", pa.string()),
                ("logged_at", pa.timestamp("ms")),
                ("thread", pa.string()),
                ("logger", pa.string()),
                ("message", pa.string()),
                ("record_app", pa.string()),
            ]
        ),
    )
    return layout, table, unread


def _salvage_array(text: str) -> list[dict | str] | None:
    """The values of a damaged JSON array: its records, and the stretches between
    them that are none (a broken record, a cut end, text after the array).

    None when the text is not an array or holds no whole record. After a broken
    record, reading goes on at the next place where a record parses; at most
    ``MAX_RESYNC_TRIES`` such places are tried in all.
    """
    start = len(text) - len(text.lstrip("\ufeff \t\r\n"))
    if text[start : start + 1] != "[":
        return None
    decoder = json.JSONDecoder(strict=False)
    items: list[dict | str] = []
    tries = [MAX_RESYNC_TRIES]
    position = _after_separators(text, start + 1)
    while position < len(text):
        if text[position] == "]" and not text[position + 1 :].strip():
            break  # the array's end; a ] with text after it is a stretch
        try:
            record, position = decoder.raw_decode(text, position)
        except json.JSONDecodeError:
            resume = _next_record(decoder, text, position + 1, tries)
            items.append(text[position:resume])
            position = resume
        else:
            if isinstance(record, dict):
                items.append(record)
        position = _after_separators(text, position)
    return items if any(isinstance(item, dict) for item in items) else None


def _next_record(
    decoder: json.JSONDecoder, text: str, position: int, tries: list[int]
) -> int:
    """Where the next record that parses starts, or the end of the text."""
    while tries[0] > 0:
        found = _RECORD_BOUNDARY.search(text, position)
        if found is None:
            break
        tries[0] -= 1
        try:
            value, _ = decoder.raw_decode(text, found.end())
        except json.JSONDecodeError:
            value = None
        if isinstance(value, dict) and _RECORD_KEYS & value.keys():
            return found.end()
        position = found.end() + 1  # not a record: an object nested in the broken one
    return len(text)


def _after_separators(text: str, position: int) -> int:
    """Skip the blanks and commas between an array's values."""
    while position < len(text) and text[position] in " \t\r\n,":
        position += 1
    return position


def _records_of(document: object) -> list[dict]:
    if isinstance(document, dict):
        hits = document.get("hits")
        if isinstance(hits, dict) and isinstance(hits.get("hits"), list):
            return [hit for hit in hits["hits"] if isinstance(hit, dict)]
        return [document]
    if isinstance(document, list):
        return [record for record in document if isinstance(record, dict)]
    return []


def _json_lines(text: str, shown_as: str) -> list[dict]:
    """Read newline-delimited JSON, one record per line."""
    records = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line, strict=False))
        except json.JSONDecodeError as exc:
            raise ParseError(
                f"neither a JSON document nor JSON lines ({exc.msg}); export the "
                "logs again as JSON",
                file=shown_as,
                line=number,
            ) from None
    return records


def _row_of(number: int, record: dict) -> tuple:
    """One record as (line, text, level, logged_at, thread, logger, message, app).

    Monitoring documents name their application (``orders.us-e1.cloudhub.io``
    gives ``orders``); CloudHub logs-API records do not.
    """
    event = record.get("event") if isinstance(record.get("event"), dict) else None
    source = record.get("_source") if isinstance(record.get("_source"), dict) else None
    fields = event or source or record
    message = str(fields.get("message") or "")
    level = next((fields[key] for key in _LEVEL_KEYS if key in fields), None)
    thread = fields.get("threadName") or fields.get("thread") or fields.get("class")
    return (
        number,
        json.dumps(record, ensure_ascii=False)[:2000],
        str(level).upper() if level else None,
        _timestamp(fields.get("timestamp")),
        str(thread) if thread is not None else None,
        str(fields.get("loggerName") or fields.get("logger") or ""),
        message.split("\n", 1)[0],
        str(source["application"]).split(".", 1)[0]
        if source and source.get("application")
        else None,
    )


def _timestamp(value: object) -> datetime | None:
    """Epoch milliseconds or an ISO string, as a naive UTC datetime."""
    if isinstance(value, (int, float)):
        moment = datetime.fromtimestamp(value / 1000, tz=timezone.utc)
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        if moment.tzinfo is None:
            return moment
    else:
        return None
    return moment.astimezone(timezone.utc).replace(tzinfo=None)
