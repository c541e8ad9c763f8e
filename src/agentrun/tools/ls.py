"""LS: the entries of one directory (Claude Code's legacy tool, kept for agent files that name
it). The directory is opened and listed through the workspace (the jail's file server when
confined); entries the sandbox policy or a deny rule keeps from reads are left out, like Glob's.
"""

from __future__ import annotations

import fnmatch
import os
import stat
from typing import TYPE_CHECKING

from agentrun.core.types import JSON, ToolResult
from agentrun.jail.paths import describe_os_error
from agentrun.tools.morespecs import LS_DESCRIPTION, LS_SCHEMA

if TYPE_CHECKING:
    from pathlib import Path

    from agentrun.tools.base import ToolContext

MAX_ENTRIES = 1000


def _is_dir(path: Path) -> bool:
    try:  # lstat: a symlink is listed as what it is, never followed
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except OSError:
        return False


class LSTool:
    """Claude Code's LS (see the module docstring)."""

    name = "LS"
    description = LS_DESCRIPTION
    input_schema = LS_SCHEMA
    read_only = True

    def run(self, input: JSON, ctx: ToolContext) -> ToolResult:
        path = input.get("path")
        ignore = input.get("ignore") or []
        if not isinstance(path, str) or not path:
            return ToolResult("path must be the absolute path of a directory.", is_error=True)
        if not path.startswith("/"):
            return ToolResult(
                f"path must be an absolute path, not {path!r}: give the full path of the "
                "directory (the working directory's path is in the environment notes).",
                is_error=True,
            )
        if not isinstance(ignore, list) or not all(isinstance(p, str) for p in ignore):
            return ToolResult("ignore must be a list of glob patterns (strings).", is_error=True)
        ws = ctx.workspace
        try:
            real = ws.check_dir(path)
            refused = ctx.refusal(self.name, "read", real)
            if refused is not None:
                return ToolResult(refused, is_error=True)
            names = sorted(ws.list_names(real))
        except OSError as e:
            return ToolResult(describe_os_error(e, path, action="list"), is_error=True)
        hidden = ctx.hidden_from(self.name)
        lines: list[str] = []
        left_out = 0
        for name in names:
            entry = real / name
            if any(fnmatch.fnmatchcase(name, pattern) for pattern in ignore):
                continue
            if not ws.readable(entry) or (hidden is not None and hidden(entry)):
                continue
            if len(lines) >= MAX_ENTRIES:
                left_out += 1
                continue
            lines.append(f"  - {name}/" if _is_dir(entry) else f"  - {name}")
        if not lines:
            return ToolResult(f"{real} is empty (or every entry in it is ignored or hidden).")
        more = f"\n({left_out} more entries not shown; use Glob to narrow)" if left_out else ""
        return ToolResult(f"- {real}/\n" + "\n".join(lines) + more)
