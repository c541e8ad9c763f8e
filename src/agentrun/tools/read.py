"""The Read tool: a file's lines, numbered, or an image; each read remembered for Write and Edit."""

from __future__ import annotations

import base64
import codecs
import errno
import io
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agentrun.core.types import JSON, ToolResult
from agentrun.jail.paths import OpenedFile, PathDenied, Workspace, describe_os_error
from agentrun.tools import textfile
from agentrun.tools.specs import READ_DESCRIPTION, READ_SCHEMA

if TYPE_CHECKING:
    from agentrun.tools.base import ToolContext

DEFAULT_LIMIT = 2000
MAX_WHOLE_BYTES = 256 * 1024
MAX_TOKENS = 25_000
"""Past this a read is refused, or with the session's spill saved to a file and previewed
(below it the lines stay in the context, as in Claude Code: the tool runner spills no Read)."""
SPILL_MAX_TOKENS = 4_000_000
"""Refused even with a spill (memory stays bounded)."""
MAX_IMAGE_BYTES = textfile.MAX_IMAGE_BYTES


def error(text: str) -> ToolResult:
    return ToolResult(text, is_error=True)


def missing_file_text(workspace: Workspace, shown: Path, given: str) -> str:
    """ "File does not exist" with up to three similar existing names (did-you-mean)."""
    text = f"File does not exist: {shown}"
    similar = workspace.similar_names(shown)
    if similar:
        text += ". Did you mean " + " or ".join(str(p) for p in similar) + "?"
    if not Path(given).is_absolute():
        text += f" (Relative paths are taken from {workspace.root}.)"
    return text


def open_error(workspace: Workspace, err: PathDenied, given: str) -> ToolResult:
    """The model-facing error for a failed open, with did-you-mean for a missing file."""
    if err.errno == errno.ENOENT and err.path is not None:
        return error(missing_file_text(workspace, err.path, given))
    return error(str(err))


def _optional_int(value: Any, name: str) -> int | str | None:
    """A whole number (``3`` or ``3.0``), None when absent, else the error text naming ``name``.

    The schema says "number", as Claude Code's does, so ``2.5`` passes validation and is
    refused here.
    """
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and value.is_integer():
            return int(value)
        shown = json.dumps(value) if isinstance(value, str | float) else str(value).lower()
        return f'Parameter "{name}" must be a whole number (a line count); got {shown}.'
    return value


_KEEP_BYTES = textfile.MAX_LINE_CHARS * 4 + 4
"""Bytes of a line kept while streaming: enough for the characters Read shows of it."""
_CHUNK = 1 << 16


def _lines(opened: OpenedFile, codec: str, start: int) -> Iterator[str | None]:
    """The file's lines, ending removed and already cut (:func:`textfile.cut_line`), streamed.

    Lines before ``start`` come out as None without being decoded. Memory stays bounded even
    for a gigabyte on one line (a minified bundle, a JSON dump): only its first
    :data:`_KEEP_BYTES` are kept, the rest is only counted. UTF-16 files go through a text
    stream instead, whole line by whole line.
    """
    raw = io.FileIO(opened.fd, "rb", closefd=False)
    raw.seek(0)
    reader = io.BufferedReader(raw, _CHUNK)
    if codec not in ("utf-8-sig", "latin-1"):
        stream = io.TextIOWrapper(reader, encoding=codec, newline="\n")
        for n, line in enumerate(stream, 1):
            yield (
                None if n < start else textfile.cut_line(line.removesuffix("\n").removesuffix("\r"))
            )
        stream.detach()
        return
    text_codec = "utf-8" if codec == "utf-8-sig" else codec
    n = 0
    while part := reader.readline(_KEEP_BYTES):
        n += 1
        if n == 1 and codec == "utf-8-sig":
            part = part.removeprefix(codecs.BOM_UTF8)
        ended = part.endswith(b"\n") or len(part) < _KEEP_BYTES  # readline is short only at EOF
        if n < start:
            while not ended and (part := reader.readline(_CHUNK)):
                ended = part.endswith(b"\n")
            yield None
            continue
        if ended:
            yield textfile.cut_line(part.rstrip(b"\n").removesuffix(b"\r").decode(text_codec))
            continue
        decoder = codecs.getincrementaldecoder(text_codec)()
        kept = decoder.decode(part)
        total = len(kept)
        tail = kept
        while not ended and (part := reader.readline(_CHUNK)):
            ended = part.endswith(b"\n")
            tail = decoder.decode(part)
            total += len(tail)
        total += len(decoder.decode(b"", final=True))
        if tail.endswith("\n"):
            total -= 2 if tail.endswith("\r\n") else 1
        yield textfile.cut_line(kept, total)


class ReadTool:
    """Claude Code's Read (see the module docstring and ``DESCRIPTION``)."""

    name = "Read"
    description = READ_DESCRIPTION
    input_schema = READ_SCHEMA
    read_only = True

    def run(self, input: JSON, ctx: ToolContext) -> ToolResult:
        file_path = input.get("file_path")
        if not isinstance(file_path, str):
            return error("file_path must be a string: the path of the file to read.")
        offset = _optional_int(input.get("offset"), "offset")
        limit = _optional_int(input.get("limit"), "limit")
        if isinstance(offset, str):
            return error(offset)
        if isinstance(limit, str):
            return error(limit)
        if limit is not None and limit < 1:
            return error(f"limit must be at least 1, got {limit}.")
        try:
            opened = ctx.workspace.open_read(file_path)
        except PathDenied as e:
            return open_error(ctx.workspace, e, file_path)
        shown = ctx.workspace.resolve(file_path)
        with opened:
            refused = ctx.refusal(self.name, "read", opened.path)
            if refused is not None:
                return error(refused)
            try:
                return self._read(opened, shown, offset, limit, ctx)
            except OSError as e:  # an I/O error mid-read (EIO, a vanished network mount)
                return error(describe_os_error(e, shown, action="read"))

    def _read(
        self,
        opened: OpenedFile,
        shown: Path,
        offset: int | None,
        limit: int | None,
        ctx: ToolContext,
    ) -> ToolResult:
        st = opened.stat
        head = os.pread(opened.fd, textfile.SNIFF_BYTES, 0)
        if not head:
            # Judged by content, not st_size: procfs files report size 0 and are not empty.
            ctx.reads.record(opened.path, st.st_mtime_ns, st.st_size, whole=True)
            return ToolResult(f"The file {shown} exists but is empty.")
        media = textfile.sniff_image(head)
        if media is not None:
            return self._image(opened, shown, media, ctx)
        if shown.suffix == ".ipynb" and offset is None and limit is None:
            from agentrun.tools import nbread  # only for notebooks

            notebook = nbread.read(opened, shown, ctx)
            if notebook is not None:
                return notebook
        sniffed = textfile.sniff_codec(head)
        if sniffed is None:
            return error(
                f"Cannot read {shown}: it is a binary file ({st.st_size:,} bytes), not text. "
                "Use Bash (e.g. `file`, `xxd | head`) to inspect it."
            )
        whole_request = offset is None and limit is None
        if whole_request and st.st_size > MAX_WHOLE_BYTES:
            return error(
                f"{shown} is {st.st_size // 1024:,} KB, over the {MAX_WHOLE_BYTES // 1024} KB "
                "limit for reading a whole file. Read a part with offset and limit, or search "
                "it with Grep."
            )
        start = max(offset or 1, 1)
        count = limit or DEFAULT_LIMIT
        codec = "utf-8-sig" if sniffed[0] == "utf-8" else "utf-16"
        try:
            lines, seen, more = self._select(opened, codec, start, count)
        except UnicodeDecodeError:
            if codec != "utf-8-sig":
                return error(f"Cannot read {shown}: it is not valid text (UTF-16 with errors).")
            lines, seen, more = self._select(opened, "latin-1", start, count)
        if not lines:
            ctx.reads.record(opened.path, st.st_mtime_ns, st.st_size, whole=False)
            return ToolResult(
                f"The file {shown} has {seen:,} lines; offset {start:,} is past its end. "
                "Use a smaller offset."
            )
        text = textfile.number_lines(lines, start, cut=False)
        tokens = len(text) // 4
        if tokens > MAX_TOKENS and ctx.spill is not None and tokens <= SPILL_MAX_TOKENS:
            # Too big for the context: saved whole, the model gets a preview and the path.
            kept = ctx.spill.keep(text, "read")
            if kept is not text:
                ctx.reads.record(opened.path, st.st_mtime_ns, st.st_size, whole=False)
                return ToolResult(kept)
        if tokens > MAX_TOKENS:
            return error(
                f"Reading {shown} this way would return about {tokens:,} tokens, over the "
                f"{MAX_TOKENS:,} limit. Read fewer lines with offset and limit, or search it "
                "with Grep."
            )
        ctx.reads.record(opened.path, st.st_mtime_ns, st.st_size, whole=start == 1 and not more)
        if more and limit is None:
            end = start + len(lines)
            text += f"\n\n(The file has more lines. Continue with offset={end}.)"
        return ToolResult(text)

    @staticmethod
    def _select(
        opened: OpenedFile, codec: str, start: int, count: int
    ) -> tuple[list[str], int, bool]:
        """Lines ``start .. start+count-1`` (cut), lines seen, and whether more follow.

        Files up to the whole-read cap are decoded in one go (several times faster than
        streaming); bigger ones stream, so reading a part never holds the whole file.
        """
        if opened.stat.st_size <= MAX_WHOLE_BYTES:
            text = opened.read_all().decode(codec)
            lines = text.split("\n")
            if lines[-1] == "":
                lines.pop()
            chosen = lines[start - 1 : start - 1 + count]
            if "\r" in text:
                chosen = [line.removesuffix("\r") for line in chosen]
            chosen = [textfile.cut_line(line) for line in chosen]
            seen = len(lines) if start > len(lines) else start - 1 + len(chosen)
            return chosen, seen, start - 1 + count < len(lines)
        selected: list[str] = []
        seen = 0
        for line in _lines(opened, codec, start):
            seen += 1
            if line is None:
                continue
            if len(selected) == count:
                return selected, seen, True
            selected.append(line)
        return selected, seen, False

    @staticmethod
    def _image(opened: OpenedFile, shown: Path, media: str, ctx: ToolContext) -> ToolResult:
        st = opened.stat
        if st.st_size > MAX_IMAGE_BYTES:
            return error(
                f"{shown} is a {st.st_size / 1048576:.1f} MB image, over the "
                f"{MAX_IMAGE_BYTES // 1048576} MB limit for images."
            )
        data = opened.read_all()
        ctx.reads.record(opened.path, st.st_mtime_ns, st.st_size, whole=True)
        return ToolResult(
            [
                {
                    "type": "image",
                    "source": {
                        "type": "base64",
                        "media_type": media,
                        "data": base64.b64encode(data).decode("ascii"),
                    },
                }
            ]
        )
