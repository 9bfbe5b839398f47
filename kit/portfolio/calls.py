"""Tell outbound operations from everything else, and read what each one calls."""

from __future__ import annotations

import re

from kit.portfolio.index import AppIndex
from kit.portfolio.namespaces import IN_PROCESS_PREFIXES
from kit.portfolio.properties import mask_url_credentials

_PATH_ATTRIBUTES = (
    "path",
    "url",
    "destination",
    "queueName",
    "queue",
    "topic",
    "destinationName",
    "type",
    "objectType",
    "sObjectType",
    "address",
    "directory",
    "key",
)
_SQL_TABLE = re.compile(
    r"\b(?:from|into|update|merge\s+into|join)\s+([\w.\"`\[\]]+)", re.IGNORECASE
)
_NOT_OPERATIONS = re.compile(r"(^|-)(config|connection|configuration)$")
_CORE_OPERATIONS = frozenset({"outbound-endpoint", "request-reply"})


def is_operation(prefix: str, local: str) -> bool:
    """Tell whether an element inside a flow calls something outside the app.

    >>> is_operation("http", "request"), is_operation("db", "bulk-insert")
    (True, True)
    >>> is_operation("ee", "transform"), is_operation("", "logger")
    (False, False)
    >>> is_operation("acme-erp", "create-order")
    True
    """
    if not prefix:
        return local in _CORE_OPERATIONS
    if prefix in IN_PROCESS_PREFIXES:
        return False
    return not _NOT_OPERATIONS.search(local)


def call_target(
    index: AppIndex, element, prefix: str
) -> tuple[str | None, str | None, str | None]:
    """Return ``(method, path, config_ref)`` of an operation, secrets masked.

    HTTP calls give their method and path; database statements give the table
    they touch; other connectors give their destination, object type or path.
    """
    config_ref = index.attribute(element, "config-ref", "connector-ref")
    method = None
    if prefix in ("http", "https"):
        method = (index.attribute(element, "method") or "GET").upper()
    path = index.attribute(element, *_PATH_ATTRIBUTES)
    if path is None and prefix == "db":
        path = _table_of(_statement_text(element))
    if path is not None:
        path = mask_url_credentials(path)
    return method, path, config_ref


def _statement_text(element) -> str:
    inline = element.get("sql") or element.get("query") or ""
    nested = " ".join(
        text for child in element for text in child.itertext() if isinstance(text, str)
    )
    return f"{inline} {nested}"


def _table_of(sql: str) -> str | None:
    """Name the first table a SQL statement reads or writes.

    >>> _table_of("SELECT * FROM orders_staging WHERE status = 'PENDING'")
    'orders_staging'
    >>> _table_of("insert into crm.customers (id) values (:id)")
    'crm.customers'
    """
    match = _SQL_TABLE.search(sql)
    return match.group(1).strip('"`[]') if match else None
