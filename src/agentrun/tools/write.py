"""The Write tool: create a file, or replace one the model has read whole and that has not changed.

The existing file's encoding, byte-order mark, line endings and mode bits are kept; the write is
atomic (:meth:`agentrun.jail.paths.Workspace.write_bytes`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from agentrun.core.types import JSON, ToolResult
from agentrun.jail.paths import Workspace, WriteTarget, describe_os_error
from agentrun.tools import textfile
from agentrun.tools.read import error
from agentrun.tools.specs import WRITE_DESCRIPTION, WRITE_SCHEMA

if TYPE_CHECKING:
    from agentrun.tools.base import ToolContext
    from agentrun.tools.records import ReadRecords

MAX_CHECK_BYTES = 16 * 1024 * 1024
"""Existing files larger than this are not decoded to learn their format (kept as UTF-8/LF)."""


def check_fresh(
    reads: ReadRecords, target: WriteTarget, shown: Path, *, need_whole: bool, verb: str
) -> str | None:
    """The error text when an existing file was not read (whole) or changed since; else None."""
    st = target.existing
    if st is None:
        return None
    rec = reads.get(target.path)
    if rec is None:
        return f"{shown} has not been read in this session. Read it first, then {verb} it."
    if need_whole and not rec.whole:
        return (
            f"{shown} was only read in part. Before you {verb} it, read all of it: no offset, "
            "and a limit of at least its line count (without one only the first 2000 lines are "
            "read). Or use Edit to change part of it."
        )
    if rec.mtime_ns != st.st_mtime_ns or rec.size != st.st_size:
        return (
            f"{shown} has changed on disk since you last read it (by the user or a command). "
            f"Read it again before you {verb} it."
        )
    return None


def current_format(workspace: Workspace, target: WriteTarget) -> textfile.TextFormat:
    """The existing file's text format (PLAIN for new, huge or binary files)."""
    if target.existing is None or target.existing.st_size == 0:
        return textfile.PLAIN
    if target.existing.st_size > MAX_CHECK_BYTES:
        return textfile.PLAIN
    with workspace.open_read(target.path) as opened:
        if opened.stat.st_size > MAX_CHECK_BYTES:  # swapped for a bigger one since
            return textfile.PLAIN
        decoded = textfile.decode(opened.read_all())
    return textfile.PLAIN if decoded is None else decoded[1]


def format_note(before: textfile.TextFormat, after: textfile.TextFormat) -> str:
    if before.codec != after.codec:
        return f" Saved as {after.codec.upper()}: the text has characters {before.codec} lacks."
    return ""


def is_binary(workspace: Workspace, target: WriteTarget) -> bool:
    """Whether the existing file's start looks binary to Read (an image counts too)."""
    with workspace.open_read(target.path) as opened:
        head = os.pread(opened.fd, textfile.SNIFF_BYTES, 0)
    if textfile.sniff_image(head) is not None:
        return False  # Read shows images, so the ordinary "read it first" advice holds
    return textfile.sniff_codec(head) is None


class WriteTool:
    """Claude Code's Write (see the module docstring and ``DESCRIPTION``)."""

    name = "Write"
    description = WRITE_DESCRIPTION
    input_schema = WRITE_SCHEMA
    read_only = False

    def run(self, input: JSON, ctx: ToolContext) -> ToolResult:
        file_path = input.get("file_path")
        content = input.get("content")
        if not isinstance(file_path, str):
            return error("file_path must be a string: the path of the file to write.")
        if not isinstance(content, str):
            return error("content must be a string: the full text of the file.")
        ws = ctx.workspace
        try:
            shown = ws.resolve(file_path)
            target = ws.write_target(file_path)
            refused = ctx.refusal(self.name, "write", target.path)
            if refused is not None:
                return error(refused)
            problem = check_fresh(ctx.reads, target, shown, need_whole=True, verb="overwrite")
            if problem and ctx.reads.get(target.path) is None and is_binary(ws, target):
                # "Read it first" would loop: Read refuses binary files.
                return error(
                    f"{shown} is an existing binary file, which Read cannot show, so Write will "
                    "not replace it. If it really should become this text, remove it first "
                    "with Bash (`rm`), then Write."
                )
            if problem:
                return error(problem)
            fmt = current_format(ws, target)
            if target.existing is None:
                data, used = textfile.encode_new(content), fmt
            else:
                data, used = textfile.encode(content, fmt)
            outcome = ws.write_bytes(target, data)
        except OSError as e:  # PathDenied, or an I/O error while reading the old format
            return error(describe_os_error(e, file_path, action="write"))
        ctx.reads.record(outcome.path, outcome.mtime_ns, outcome.size, whole=True)
        lines = textfile.count_lines(len(textfile.split_lines(content.replace("\r\n", "\n"))))
        verb = "Created" if outcome.created else "Updated"
        return ToolResult(f"{verb} {shown} ({lines}).{format_note(fmt, used)}")
