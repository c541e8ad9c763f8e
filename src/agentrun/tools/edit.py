"""The Edit tool: exact string replacement in a file the model has read, in tool-spec's check order.

Matching runs on LF text, so a CRLF file is matched and written back as CRLF; everything else
(tabs, trailing spaces, unicode) must match exactly. Each refusal has its own message.
"""

from __future__ import annotations

import contextlib
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agentrun.core.types import JSON, ToolResult
from agentrun.jail.paths import describe_os_error
from agentrun.tools import textfile
from agentrun.tools.read import error, missing_file_text
from agentrun.tools.specs import EDIT_DESCRIPTION, EDIT_SCHEMA
from agentrun.tools.write import MAX_CHECK_BYTES, check_fresh, format_note, is_binary

if TYPE_CHECKING:
    from agentrun.jail.paths import OpenedFile, WriteTarget
    from agentrun.tools.base import ToolContext

_BINARY = "{shown} is a binary file; Edit only changes text files."
CONTEXT_LINES = 3
MAX_SNIPPET_LINES = 30
QUOTE_CHARS = 300
# Read's "    12\t" prefix, copied into old_string by mistake.
_LINE_PREFIX = re.compile(r"^\s*\d+\t", re.MULTILINE)


def _quote(text: str) -> str:
    if len(text) <= QUOTE_CHARS:
        return text
    return f"{text[:QUOTE_CHARS]}… [{len(text) - QUOTE_CHARS:,} more characters]"


def _snippet(text: str, first: int, changed_lines: int) -> str:
    """Numbered lines around offset ``first`` of ``text``.

    Only the window is split into lines: splitting a 1 MB file to show seven lines of it
    cost more than the edit itself.
    """
    line = text.count("\n", 0, first) + 1
    start = text.rfind("\n", 0, first) + 1
    before = 0
    while before < CONTEXT_LINES and start > 0:
        start = text.rfind("\n", 0, start - 1) + 1
        before += 1
    wanted = min(before + changed_lines + CONTEXT_LINES, MAX_SNIPPET_LINES)
    end = start
    for _ in range(wanted):
        nxt = text.find("\n", end)
        if nxt == -1:
            end = len(text)
            break
        end = nxt + 1
    return textfile.number_lines(textfile.split_lines(text[start:end]), line - before)


def load_for_edit(
    ctx: ToolContext, target: WriteTarget, shown: Path, opened: OpenedFile | None = None
) -> tuple[str, textfile.TextFormat] | ToolResult:
    """The existing file's text and format for Edit and MultiEdit, or the error result: it
    must have been read and be unchanged since, not be binary, and not be too large (checked
    again on what was opened: it may have been swapped for a bigger one). ``opened`` is the
    file already opened with ``target`` (:meth:`Workspace.edit_target`); the caller closes it."""
    ws = ctx.workspace
    problem = check_fresh(ctx.reads, target, shown, need_whole=False, verb="edit")
    if problem and ctx.reads.get(target.path) is None and is_binary(ws, target):
        return error(_BINARY.format(shown=shown))  # not "Read it first": Read refuses it
    if problem:
        return error(problem)
    size = target.existing.st_size if target.existing is not None else 0
    if size > MAX_CHECK_BYTES:
        return error(f"{shown} is too large to edit ({size:,} bytes).")
    with (
        contextlib.nullcontext(opened) if opened is not None else ws.open_read(target.path) as file
    ):
        if file.stat.st_size > MAX_CHECK_BYTES:
            return error(f"{shown} is too large to edit ({file.stat.st_size:,} bytes).")
        decoded = textfile.decode(file.read_all())
    if decoded is None:
        return error(_BINARY.format(shown=shown))
    return decoded


def check_change(old: Any, new: Any, replace_all: Any) -> tuple[str, str, bool] | str:
    """One change (Edit's, or each of MultiEdit's) as ``(old, new, replace_all)``, or what is
    wrong with its values, for the model."""
    if not isinstance(old, str) or not isinstance(new, str):
        return "old_string and new_string must both be strings."
    if not isinstance(replace_all, bool):
        return "replace_all must be true or false."
    if old == new:
        return "old_string and new_string are the same, so there is nothing to change."
    return old, new, replace_all


class EditTool:
    """Claude Code's Edit (see the module docstring and ``DESCRIPTION``)."""

    name = "Edit"
    description = EDIT_DESCRIPTION
    input_schema = EDIT_SCHEMA
    read_only = False

    def run(self, input: JSON, ctx: ToolContext) -> ToolResult:
        file_path = input.get("file_path")
        old = input.get("old_string")
        new = input.get("new_string")
        replace_all = input.get("replace_all") or False
        if not isinstance(file_path, str):
            return error("file_path must be a string: the path of the file to edit.")
        change = check_change(old, new, replace_all)
        if isinstance(change, str):
            return error(change)
        try:
            return self._edit(file_path, *change, ctx)
        except OSError as e:  # PathDenied, or an I/O error while reading the file
            return error(describe_os_error(e, file_path, action="edit"))

    def _edit(
        self, file_path: str, old: str, new: str, replace_all: bool, ctx: ToolContext
    ) -> ToolResult:
        shown = ctx.workspace.resolve(file_path)
        target, opened = ctx.workspace.edit_target(file_path)
        try:
            return self._change(file_path, shown, target, opened, (old, new), replace_all, ctx)
        finally:
            if opened is not None:
                opened.close()

    def _change(
        self,
        file_path: str,
        shown: Path,
        target: WriteTarget,
        opened: OpenedFile | None,
        change: tuple[str, str],
        replace_all: bool,
        ctx: ToolContext,
    ) -> ToolResult:
        ws = ctx.workspace
        old, new = change
        refused = ctx.refusal(self.name, "write", target.path)
        if refused is not None:
            return error(refused)
        existing = target.existing
        if old == "" and (existing is None or existing.st_size == 0):
            outcome = ws.write_bytes(target, textfile.encode_new(new))
            ctx.reads.record(outcome.path, outcome.mtime_ns, outcome.size, whole=True)
            verb = "Created" if outcome.created else "Wrote"
            lines = textfile.count_lines(len(textfile.split_lines(new)))
            return ToolResult(f"{verb} {shown} ({lines}).")
        if old == "":
            return error(
                f"old_string is empty but {shown} already has content. Give the exact text "
                "to replace, or use Write to replace the whole file."
            )
        if existing is None:
            return error(
                missing_file_text(ws, shown, file_path)
                + " To create a file, use Write (or Edit with an empty old_string)."
            )
        loaded = load_for_edit(ctx, target, shown, opened)
        if isinstance(loaded, ToolResult):
            return loaded
        text, fmt = loaded
        old_lf = old.replace("\r\n", "\n")
        new_lf = new.replace("\r\n", "\n")
        # One scan: find the first match, then look for a second only from there on.
        first = text.find(old_lf)
        matches = 0 if first < 0 else (1 if text.find(old_lf, first + 1) < 0 else 2)
        if matches == 0:
            hint = ""
            if _LINE_PREFIX.search(old_lf):
                hint = " It seems to include Read's line-number prefixes; leave those out."
            return error(
                f"old_string was not found in {shown}:\n{_quote(old)}\n"
                "It must match the file exactly, including whitespace and indentation."
                f"{hint} Read the file again if unsure."
            )
        if matches > 1:
            matches = text.count(old_lf)
        if matches > 1 and not replace_all:
            return error(
                f"old_string occurs {matches} times in {shown}, but replace_all is false. "
                "Add surrounding lines to old_string to pick one occurrence, or set replace_all "
                "to true to replace all of them."
            )
        # replace(..., 1) builds the result in one copy; slicing and concatenating made three
        # (~1 ms on a 1 MB file, a third of the whole edit). The first match is at ``first``.
        updated = text.replace(old_lf, new_lf, -1 if replace_all else 1)
        data, used = textfile.encode(updated, fmt)
        count = matches if replace_all else 1
        summary: list[str] = []
        # Numbering the lines around the change scans the file up to it: done while the
        # new content is being made durable.
        outcome = ws.write_bytes(
            target,
            data,
            meanwhile=lambda: summary.append(self._summary(shown, updated, first, new_lf, count)),
        )
        rec = ctx.reads.get(target.path)
        ctx.reads.record(
            outcome.path, outcome.mtime_ns, outcome.size, whole=rec is not None and rec.whole
        )
        return ToolResult(summary[0] + format_note(fmt, used))

    @staticmethod
    def _summary(shown: Path, updated: str, first: int, new: str, count: int) -> str:
        what = f"{count} replacements" if count > 1 else "1 replacement"
        head = f"Edited {shown} ({what}). Lines around the first change:\n"
        return head + _snippet(updated, first, max(len(textfile.split_lines(new)), 1))
