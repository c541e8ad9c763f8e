"""MultiEdit: several Edit-style replacements in one file, applied in order and atomically (the
file is written once, after every edit succeeded; one failure leaves it unchanged).

Each edit is checked like Edit's (exact match, unique unless ``replace_all``, different
strings), on the text the edits before it produced; errors name the edit (``edit 2 of 3``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from agentrun.core.types import JSON, ToolResult
from agentrun.jail.paths import describe_os_error
from agentrun.tools import textfile
from agentrun.tools.edit import _LINE_PREFIX, _quote, _snippet, check_change, load_for_edit
from agentrun.tools.morespecs import MULTIEDIT_DESCRIPTION, MULTIEDIT_SCHEMA
from agentrun.tools.read import error, missing_file_text
from agentrun.tools.validate import item_problem
from agentrun.tools.write import format_note

if TYPE_CHECKING:
    from agentrun.tools.base import ToolContext

Change = tuple[str, str, bool]
_KEYS = ("old_string", "new_string", "replace_all")


def _changes(edits: Any) -> list[Change] | str:
    """The edits as (old, new, replace_all), or the error text for the model."""
    if not isinstance(edits, list) or not edits:
        return "edits must be a non-empty list of {old_string, new_string, replace_all} objects."
    out: list[Change] = []
    for i, edit in enumerate(edits, 1):
        where = f"edit {i} of {len(edits)}"
        problem = item_problem(where, edit, _KEYS, "old_string and new_string")
        if problem is not None:
            return problem
        old, new = edit.get("old_string"), edit.get("new_string")
        replace_all = edit.get("replace_all", False)
        change = check_change(old, new, replace_all)
        if isinstance(change, str):
            return f"{where}: {change}"
        out.append(change)
    return out


class MultiEditTool:
    """Claude Code's MultiEdit (see the module docstring)."""

    name = "MultiEdit"
    description = MULTIEDIT_DESCRIPTION
    input_schema = MULTIEDIT_SCHEMA
    read_only = False

    def run(self, input: JSON, ctx: ToolContext) -> ToolResult:
        file_path = input.get("file_path")
        if not isinstance(file_path, str):
            return error("file_path must be a string: the path of the file to edit.")
        changes = _changes(input.get("edits"))
        if isinstance(changes, str):
            return error(changes)
        try:
            return self._edit(file_path, changes, ctx)
        except OSError as e:
            return error(describe_os_error(e, file_path, action="edit"))

    def _edit(self, file_path: str, changes: list[Change], ctx: ToolContext) -> ToolResult:
        ws = ctx.workspace
        shown = ws.resolve(file_path)
        target = ws.write_target(file_path)
        refused = ctx.refusal(self.name, "write", target.path)
        if refused is not None:
            return error(refused)
        existing = target.existing
        creating = changes[0][0] == "" and (existing is None or existing.st_size == 0)
        if existing is None and not creating:
            return error(
                missing_file_text(ws, shown, file_path)
                + " To create a file, use Write (or a first edit with an empty old_string)."
            )
        if creating:
            text, fmt = "", None
            changes = [("", changes[0][1], False), *changes[1:]]
        else:
            loaded = load_for_edit(ctx, target, shown)
            if isinstance(loaded, ToolResult):
                return loaded
            text, fmt = loaded
        first = -1
        total = 0
        for i, (old, new, replace_all) in enumerate(changes, 1):
            where = f"Edit {i} of {len(changes)}"
            new_lf = new.replace("\r\n", "\n")
            if old == "":
                if text:
                    return error(
                        f"{where}: old_string is empty but {shown} already has content. No "
                        "edit was applied."
                    )
                text, first, total = new_lf, 0, total + 1
                continue
            old_lf = old.replace("\r\n", "\n")
            count = text.count(old_lf)
            if count == 0:
                hint = ""
                if _LINE_PREFIX.search(old_lf):
                    hint = " It seems to include Read's line-number prefixes; leave those out."
                return error(
                    f"{where}: old_string was not found in {shown}"
                    f"{' after the edits before it' if i > 1 else ''}:\n{_quote(old)}\n"
                    f"It must match exactly, including whitespace.{hint} No edit was applied."
                )
            if count > 1 and not replace_all:
                return error(
                    f"{where}: old_string occurs {count} times in {shown}, but replace_all is "
                    "false. Add surrounding lines to pick one, or set replace_all. No edit was "
                    "applied."
                )
            at = text.find(old_lf)
            first = at if first < 0 else min(first, at)
            text = text.replace(old_lf, new_lf, -1 if replace_all else 1)
            total += count if replace_all else 1
        if fmt is None:
            data, used = textfile.encode_new(text), None
        else:
            data, used = textfile.encode(text, fmt)
        outcome = ws.write_bytes(target, data)
        rec = ctx.reads.get(target.path)
        whole = creating or (rec is not None and rec.whole)
        ctx.reads.record(outcome.path, outcome.mtime_ns, outcome.size, whole=whole)
        what = f"{len(changes)} edit{'s' if len(changes) > 1 else ''}, {total} replacement"
        head = (
            f"Edited {shown} ({what}{'s' if total > 1 else ''}). Lines around the first change:\n"
        )
        note = format_note(fmt, used) if fmt is not None and used is not None else ""
        return ToolResult(head + _snippet(text, max(first, 0), 1) + note)
