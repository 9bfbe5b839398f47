"""Look at one log file before parsing it: content hash, size, lines, encoding.

One streamed pass in Python, which leaves the parsing itself to DuckDB.
"""

from __future__ import annotations

import codecs
import gzip
import hashlib
import os
import tempfile
import zlib
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

HEAD_BYTES = 256 * 1024
UTF16_PROBLEM = (
    "looks like UTF-16 text, not UTF-8 (as PowerShell's > writes); convert it "
    "to UTF-8, e.g. iconv -f UTF-16 -t UTF-8 FILE > FILE.utf8.log"
)
_CHUNK = 4 * 1024 * 1024
# What the standard gzip reader raises for a file cut short or corrupt.
_GZIP_ERRORS = (EOFError, gzip.BadGzipFile, zlib.error)


@dataclass
class FileFacts:
    """What the first pass learnt about a file."""

    path: Path
    content_hash: str
    bytes: int
    lines: int
    compressed: bool
    head: str
    binary: bool = False
    utf16: bool = False
    valid_utf8: bool = True
    crlf: bool = False
    cr_only: bool = False
    ends_with_newline: bool = True
    damage: str | None = None
    problems: list[str] = field(default_factory=list)


def inspect_file(path: Path) -> FileFacts:
    """Hash, count and sniff ``path`` (plain or gzip) in one streamed read."""
    facts = sniff_file(path)
    measure_file(facts)
    return facts


def sniff_file(path: Path) -> FileFacts:
    """Read only the head: compression, first bytes as text, binary or not.

    The rest of the facts come from :func:`measure_file`, which reads it all.
    A path that is not a regular file raises OSError before it is opened.
    """
    _check_regular_file(path)
    facts = FileFacts(
        path=path,
        content_hash="",
        bytes=0,
        lines=0,
        compressed=_is_gzip(path),
        head="",
    )
    head = _read_head(facts)
    facts.bytes = len(head)
    facts.head = head.decode("utf-8", errors="replace")
    facts.utf16 = _looks_utf16(head)
    facts.binary = facts.utf16 or _looks_binary(head)
    facts.crlf = b"\r\n" in head
    facts.cr_only = b"\r" in head and b"\n" not in head
    return facts


def measure_file(facts: FileFacts) -> None:
    """Stream the whole file once: content hash, size, lines, UTF-8 validity.

    The hash is of the uncompressed content, so a log and its gzipped copy are
    the same content and ingest once. Hashing and counting release the GIL,
    so this can run in a thread while DuckDB parses the file. A broken gzip
    stream counts as content only what came before the break.
    """
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")()
    lines = size = 0
    tail = b""
    valid_utf8 = True
    for chunk in read_chunks(facts):
        digest.update(chunk)
        size += len(chunk)
        lines += chunk.count(b"\n")
        if valid_utf8 and not chunk.isascii():
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError:
                valid_utf8 = False
        tail = (tail + chunk[-2:])[-2:]

    facts.ends_with_newline = size == 0 or _ends_with_newline(tail, facts.utf16)
    facts.content_hash = digest.hexdigest()
    facts.bytes = size
    facts.lines = lines + (0 if facts.ends_with_newline else 1)
    facts.valid_utf8 = valid_utf8
    facts.problems = _problems(facts)


def read_chunks(facts: FileFacts, size: int = _CHUNK) -> Iterator[bytes]:
    """Yield the file's content in chunks of at most ``size`` bytes, gunzipped.

    Where a gzip stream is cut short or corrupt, the standard reader raises
    and drops what it had read; here the content simply ends at the break,
    and ``facts.damage`` says what broke it.
    """
    opener = gzip.open if facts.compressed else open
    with opener(facts.path, "rb") as stream:
        try:
            while chunk := stream.read1(size):
                yield chunk
        except _GZIP_ERRORS as exc:
            facts.damage = str(exc) or type(exc).__name__


@contextmanager
def readable_path(facts: FileFacts) -> Iterator[tuple[Path, bool]]:
    """Give a path DuckDB can read the content from, and whether it is gzipped.

    That is the file itself, unless its gzip stream is broken: then it is a
    temporary plain copy of the content before the break.
    """
    if facts.damage is None:
        yield facts.path, facts.compressed
        return
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / "readable"
        with open(copy, "wb") as out:
            for chunk in read_chunks(facts):
                out.write(chunk)
        yield copy, False


def _read_head(facts: FileFacts) -> bytes:
    """The first ``HEAD_BYTES`` of the content (fewer if it is shorter)."""
    head = b""
    with closing(read_chunks(facts, HEAD_BYTES)) as chunks:
        for chunk in chunks:
            head += chunk
            if len(head) >= HEAD_BYTES:
                break
    return head[:HEAD_BYTES]


def _check_regular_file(path: Path) -> None:
    """Raise OSError, saying why, when ``path`` is not a regular file.

    Checked before opening: opening a named pipe would wait for a writer, and
    the error for a broken symbolic link would not name the link's target.
    """
    if path.is_file():
        return
    if path.is_symlink():
        raise FileNotFoundError(
            f"symbolic link to {os.readlink(path)!r}, which leads to no file"
        )
    if path.exists():
        raise OSError("not a regular file (a pipe, socket or device?)")
    raise FileNotFoundError("no such file; was it removed while reading?")


def _ends_with_newline(tail: bytes, utf16: bool) -> bool:
    """Whether the last two bytes end in a line feed, a two-byte one in UTF-16."""
    if utf16:
        return tail in (b"\n\x00", b"\x00\n")
    return tail[-1:] == b"\n"


def _is_gzip(path: Path) -> bool:
    with open(path, "rb") as stream:
        return stream.read(2) == b"\x1f\x8b"


def _looks_binary(head: bytes) -> bool:
    """A NUL byte, or many control bytes, in the first bytes means binary."""
    if not head:
        return False
    if b"\x00" in head:
        return True
    controls = sum(1 for byte in head[:8192] if byte < 9 or 13 < byte < 32)
    return controls > len(head[:8192]) * 0.1


def _looks_utf16(head: bytes) -> bool:
    """A UTF-16 byte order mark, or a NUL in nearly every other byte, means UTF-16.

    That is what Windows PowerShell's ``>`` writes. Nearly all NULs on one side
    and almost none on the other tells text from other binary content.

    >>> _looks_utf16("INFO  started\\n".encode("utf-16-le")), _looks_utf16(b"\\0" * 64)
    (True, False)
    """
    if head[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        return True
    sample = head[:8192]
    if len(sample) < 8:
        return False
    halves = (sample[0::2], sample[1::2])
    nul_shares = [half.count(0) / len(half) for half in halves]
    return max(nul_shares) > 0.9 and min(nul_shares) < 0.1


def _problems(facts: FileFacts) -> list[str]:
    """What a user should know about the file before trusting its counts."""
    problems = []
    if facts.damage is not None:
        problems.append(
            f"gzip stream broken after {facts.bytes:,} bytes of content "
            f"({facts.damage}); the rest is not read"
        )
    if facts.bytes == 0:
        problems.append("empty file")
    if facts.utf16:
        # Read as UTF-8, its bytes would add problems that are not the file's.
        problems.append(UTF16_PROBLEM)
        return problems
    if facts.binary:
        problems.append("binary content")
    if not facts.valid_utf8:
        problems.append("invalid UTF-8; such lines read as Latin-1")
    if facts.cr_only:
        problems.append(
            "lines end in carriage returns alone (classic Mac OS), so they are "
            "read as one line; convert them, e.g. tr '\\r' '\\n' < FILE > FILE.log"
        )
    if facts.crlf:
        problems.append("CRLF line endings")
    if not facts.ends_with_newline:
        problems.append("last line has no newline")
    return problems


def find_log_files(paths: list[Path]) -> list[Path]:
    """Every file under ``paths`` (folders recursively), sorted, hidden ones skipped.

    A path given that is not a folder is kept even if it cannot be read, so
    that ingesting it reports it rather than dropping it.
    """
    found: list[Path] = []
    for path in paths:
        if not path.is_dir():
            found.append(path)
            continue
        for folder, subfolders, files in os.walk(path):
            subfolders[:] = sorted(name for name in subfolders if name[0] != ".")
            found.extend(
                Path(folder) / name for name in sorted(files) if name[0] != "."
            )
    return found
