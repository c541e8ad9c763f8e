"""Text files as the file tools see them: encoding and line endings kept, lines numbered.

The model works on LF text; the file keeps its own form. :func:`decode` detects the encoding
(UTF-8 with or without BOM, UTF-16 with BOM, else Latin-1, which decodes any byte) and whether
lines end in CRLF, and returns LF text; :func:`encode` turns LF text back into that form.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass

MAX_LINE_CHARS = 2000
"""Longer lines are cut in Read output (minified files would drown the context)."""

SNIFF_BYTES = 8192
"""How much of a file's start decides text or binary."""

_BOMS = (
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)
# Control characters that do not occur in text (tab, LF, VT, FF, CR and ESC do).
_CONTROL = bytes(set(range(32)) - {8, 9, 10, 11, 12, 13, 27})

MAX_IMAGE_BYTES = 5 * 1024 * 1024
"""The largest image a tool result carries (Read's files, MCP servers' images)."""

IMAGE_TYPES = {
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
    b"GIF87a": "image/gif",
    b"GIF89a": "image/gif",
}


@dataclass(frozen=True)
class TextFormat:
    """How a text file is stored: Python codec name, byte-order mark, CRLF or LF line ends."""

    codec: str = "utf-8"
    bom: bytes = b""
    crlf: bool = False


PLAIN = TextFormat()
"""New files: UTF-8, no BOM, the line endings the model wrote."""


def sniff_image(head: bytes) -> str | None:
    """The media type of a PNG, JPEG, GIF or WebP file from its first bytes, else None."""
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    for magic, media in IMAGE_TYPES.items():
        if head.startswith(magic):
            return media
    return None


def sniff_codec(head: bytes) -> tuple[str, bytes] | None:
    """(codec, BOM) for a file starting with ``head``; None when it looks binary.

    Without a BOM the codec is UTF-8; callers fall back to Latin-1 if decoding fails.
    """
    for bom, codec in _BOMS:
        if head.startswith(bom):
            return codec, bom
    if b"\x00" in head:
        return None
    if head and (len(head) - len(head.translate(None, _CONTROL))) * 10 > len(head):
        return None
    return "utf-8", b""


def uses_crlf(text: str) -> bool:
    """Whether most line ends are CRLF (a mixed file keeps its majority style)."""
    if "\r" not in text:  # the common case, found with one fast scan
        return False
    crlf = text.count("\r\n")
    return crlf > 0 and crlf * 2 >= text.count("\n")


def decode(data: bytes) -> tuple[str, TextFormat] | None:
    """LF text and the file's format; None for binary data."""
    sniffed = sniff_codec(data[:SNIFF_BYTES])
    if sniffed is None:
        return None
    codec, bom = sniffed
    body = data[len(bom) :]
    try:
        text = body.decode(codec)
    except UnicodeDecodeError:
        if codec != "utf-8" or bom:
            return None
        codec, text = "latin-1", body.decode("latin-1")
    crlf = uses_crlf(text)
    if crlf:
        text = text.replace("\r\n", "\n")
    return text, TextFormat(codec=codec, bom=bom, crlf=crlf)


def encode(text: str, fmt: TextFormat) -> tuple[bytes, TextFormat]:
    """``text`` in ``fmt`` (LF becomes CRLF for CRLF files); the format actually used.

    A Latin-1 file given characters Latin-1 cannot hold is written as UTF-8 instead (the format
    returned says so) rather than losing them.
    """
    body = text.replace("\r\n", "\n") if "\r" in text else text
    if fmt.crlf:
        body = body.replace("\n", "\r\n")
    try:
        return fmt.bom + body.encode(fmt.codec), fmt
    except UnicodeEncodeError:
        if fmt.codec == "latin-1":
            fmt = dataclasses.replace(fmt, codec="utf-8")
        return fmt.bom + body.encode(fmt.codec, errors="replace"), fmt


def encode_new(text: str) -> bytes:
    """A new file's bytes: UTF-8, exactly the text given (lone surrogates replaced)."""
    return text.encode("utf-8", errors="replace")


def count_lines(n: int) -> str:
    """``"1 line"``, ``"2,000 lines"``."""
    return "1 line" if n == 1 else f"{n:,} lines"


def split_lines(text: str) -> list[str]:
    """Lines without their ``\\n``; a final newline does not start another line."""
    if not text:
        return []
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    return lines


def cut_line(line: str, total: int | None = None) -> str:
    """``line``, cut at :data:`MAX_LINE_CHARS` with a marker saying how long it was.

    ``total`` is the full length when ``line`` holds only the start of a longer line (a
    streamed read never holds a huge line whole).
    """
    length = len(line) if total is None else total
    if length <= MAX_LINE_CHARS:
        return line
    return f"{line[:MAX_LINE_CHARS]}… [line cut: {length:,} characters]"


def number_lines(lines: Iterable[str], start: int = 1, *, cut: bool = True) -> str:
    """Lines as Read shows them: a right-aligned 1-based number, a tab, the (cut) text.

    ``cut=False``: the lines were already cut with :func:`cut_line`.
    """
    return "\n".join(
        f"{n:>6}\t{line if not cut or len(line) <= MAX_LINE_CHARS else cut_line(line)}"
        for n, line in enumerate(lines, start)
    )
