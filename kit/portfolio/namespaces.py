"""Name Mule elements by namespace URI, never by the prefix a file happens to use.

A Mule namespace ``http://www.mulesoft.org/schema/mule/NAME`` gets the
conventional prefix ``NAME``; the core namespace has none.
"""

from __future__ import annotations

from functools import lru_cache

MULE_NAMESPACE_ROOT = "http://www.mulesoft.org/schema/mule/"
CORE = MULE_NAMESPACE_ROOT + "core"

# Namespaces whose elements run inside the app and call nothing outside it.
IN_PROCESS_PREFIXES = frozenset(
    {
        "",
        "apikit",
        "aggregators",
        "api-platform-gw",
        "batch",
        "bti",
        "compatibility",
        "compression",
        "context",
        "crypto",
        "data-mapper",
        "doc",
        "documentation",
        "dw",
        "ee",
        "java",
        "json",
        "json-logger",
        "mock",
        "munit",
        "munit-tools",
        "quartz",
        "schedulers",
        "scripting",
        "secure-properties",
        "spring",
        "test",
        "tls",
        "tracking",
        "validation",
        "xml",
        "xml-module",
    }
)

# Elements that describe or tune a flow or batch job rather than process messages.
_ANNOTATION_NAMES = frozenset({"description", "threading-profile"})
_ANNOTATION_PREFIXES = frozenset({"doc", "documentation"})

# Broker namespaces: a source here is a subscription, so the job streams.
MESSAGING_PREFIXES = frozenset(
    {
        "activemq",
        "amqp",
        "anypoint-mq",
        "azure-service-bus",
        "ibm-mq",
        "jms",
        "kafka",
        "mqtt",
        "mqtt3",
        "rabbitmq",
        "solace",
        "sqs",
        "vm",
        "wmq",
    }
)

REQUEST_PREFIXES = frozenset({"http", "https", "websocket", "ws"})

SOURCE_NAMES = frozenset(
    {
        "batch-message-listener",
        "inbound-endpoint",
        "listener",
        "message-listener",
        "new-object-listener",
        "modified-object-listener",
        "deleted-object-listener",
        "subscriber",
        "subscribe-topic",
        "subscribe-streaming-channel",
        "replay-streaming-channel",
    }
)

# Sources that subscribe to a stream of events (Salesforce PushTopics, platform
# events, change data capture) in a connector whose other elements are calls.
EVENT_SOURCE_NAMES = frozenset(
    {
        "subscribe-topic",
        "subscribe-topic-listener",
        "replay-topic-listener",
        "subscribe-channel-listener",
        "replay-channel-listener",
        "subscribe-streaming-channel",
        "replay-streaming-channel",
    }
)


@lru_cache(maxsize=512)
def conventional_prefix(namespace: str | None, fallback: str | None = None) -> str:
    """Return the usual prefix for a namespace URI.

    >>> conventional_prefix("http://www.mulesoft.org/schema/mule/anypoint-mq")
    'anypoint-mq'
    >>> conventional_prefix("http://www.mulesoft.org/schema/mule/ee/core")
    'ee'
    >>> conventional_prefix("http://www.mulesoft.org/schema/mule/ee/wmq")
    'wmq'
    >>> conventional_prefix("http://www.mulesoft.org/schema/mule/core")
    ''
    >>> conventional_prefix("urn:acme:erp", "acme")
    'acme'
    """
    if not namespace or namespace == CORE:
        return ""
    if namespace.startswith(MULE_NAMESPACE_ROOT):
        parts = namespace[len(MULE_NAMESPACE_ROOT) :].split("/")
        # Mule 3 Enterprise modules live under ee/: ee/wmq is wmq, ee/core is ee.
        if parts[0] == "ee" and len(parts) > 1 and parts[1] not in ("", "core"):
            return parts[1]
        return parts[0]
    return fallback or namespace.rstrip("/").rsplit("/", 1)[-1]


_NAMES: dict[str, tuple[str, str]] = {}


def name_of(element) -> tuple[str, str]:
    """Return ``(prefix, local name)`` of an element; ``("", "")`` for a comment.

    Names are cached per tag: a portfolio repeats a few hundred tags millions
    of times. A namespace outside Mule's takes the prefix the file gives it.
    """
    tag = element.tag
    known = _NAMES.get(tag)
    if known is not None:
        return known
    if not isinstance(tag, str):
        return "", ""
    if tag[:1] != "{":
        name = ("", tag)
    else:
        namespace, local = tag[1:].split("}", 1)
        name = (conventional_prefix(namespace, element.prefix), local)
    _NAMES[tag] = name
    return name


def is_annotation(prefix: str, local: str) -> bool:
    """Tell a description or tuning element, which may come before a flow's source.

    >>> is_annotation("documentation", "description"), is_annotation("", "logger")
    (True, False)
    """
    return prefix in _ANNOTATION_PREFIXES or local in _ANNOTATION_NAMES


def qualified(prefix: str, local: str) -> str:
    """Join a prefix and a local name as Mule writes them (``file:listener``)."""
    return f"{prefix}:{local}" if prefix else local


def is_source(element, prefix: str, local: str) -> bool:
    """Tell whether an element, as a flow's first child, is a message source.

    Connector sources are named ``listener``, ``subscriber``, ``*-listener``,
    ``listener-*`` (``email:listener-imap``), ``*-source`` or
    ``inbound-endpoint``, or carry a ``<scheduling-strategy>``.
    """
    if not prefix:
        return local in {"scheduler", "poll", "inbound-endpoint", "composite-source"}
    if prefix in IN_PROCESS_PREFIXES and prefix != "quartz":
        return False
    return (
        local in SOURCE_NAMES
        or local.endswith(("-listener", "-source"))
        or local.startswith("listener-")
        or any(
            isinstance(child.tag, str) and child.tag.endswith("}scheduling-strategy")
            for child in element
        )
    )
