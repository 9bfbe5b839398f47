"""Read one untrusted XML file: no DTD, no entities, no network, bounded size."""

from __future__ import annotations

import os
from pathlib import Path
from typing import BinaryIO

from lxml import etree

from kit.errors import ParseError

MAX_FILE_BYTES = 16 * 1024 * 1024


def _safe_parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


_PARSER = _safe_parser()


def read_xml(path: str | Path, shown_as: str, max_bytes: int | None = None):
    """Parse ``path`` safely and return its root element.

    ``shown_as`` is the name used in messages (the path relative to its app).
    Raises :class:`ParseError` with the line and column of the problem.
    """
    max_bytes = MAX_FILE_BYTES if max_bytes is None else max_bytes
    with open(path, "rb") as file:
        data = read_at_most(file, max_bytes + 1)
    if len(data) > max_bytes:
        raise ParseError(
            f"file is over the {max_bytes:,}-byte limit that keeps untrusted input "
            "bounded; split it into several configuration files",
            file=shown_as,
        )
    return parse_xml_bytes(data, shown_as)


def read_at_most(file: BinaryIO, limit: int) -> bytes:
    """Read up to ``limit`` bytes, asking for no more than the file's size first.

    ``file.read(limit)`` reserves ``limit`` bytes before it reads anything; with
    a 16 MiB cap that is a large allocation per file, which costs more than
    parsing a typical config. A file that grew since it was measured, or one
    whose size the system does not report, is still read on up to ``limit``.
    """
    expected = min(os.fstat(file.fileno()).st_size + 1, limit)
    data = file.read(expected)
    if len(data) < expected or len(data) >= limit:
        return data
    return data + file.read(limit - len(data))


def parse_xml_bytes(data: bytes, shown_as: str):
    """Parse XML bytes with the safe parser; refuse any DTD or entity declaration.

    Entities are never expanded and nothing is fetched, even while the parser
    reads a DOCTYPE; a document that has one is then refused as a whole.
    """
    try:
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as exc:
        line, column = exc.position if exc.position else (exc.lineno, None)
        message = exc.msg.split(", line ")[0] if exc.msg else "not well-formed"
        if "Excessive depth" in message:
            message = (
                "elements nest more than 256 deep, past the bound kept for "
                "untrusted input"
            )
        raise ParseError(
            f"not well-formed XML at column {column}: {message}. Fix the file in "
            "Anypoint Studio or an XML editor",
            file=shown_as,
            line=line,
            column=column,
        ) from None
    if root.getroottree().docinfo.doctype:
        raise ParseError(
            "document declares a DOCTYPE; DTDs and entities are refused for safety. "
            "Remove the declaration and assess again",
            file=shown_as,
            line=data.count(b"\n", 0, max(data.find(b"<!DOCTYPE"), 0)) + 1,
        )
    return root
