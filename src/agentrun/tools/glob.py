"""Glob: find files by name pattern, newest first (Claude Code's ``Glob`` tool).

Runs ``rg --files --hidden --no-ignore --glob PATTERN --sortr=modified`` in the searched
directory. Choices, and why:

- **Newest first** (``--sortr``, where Claude Code's ``--sort`` is oldest first): with a
  100-path cap, the files touched most recently are the ones an agent most likely wants, and
  Grep's file list uses the same order, so the two tools agree.
- ``.gitignore`` is not applied (build output and vendored files can still be found by name),
  but VCS folders and the session's read-denied trees are never listed, and symbolic links are
  never followed (a link to a directory outside the workspace is not a way out).
- An absolute pattern (``/repo/src/*.py``) is split at its first wildcard into a directory
  (which wins over ``path``) and a pattern anchored to it (``/*.py``: the files directly in
  ``/repo/src``, not those at any depth), since that is plainly what the model meant. A leading
  ``../`` likewise moves the search directory up (rg itself never matches ``..``).
"""

from __future__ import annotations

import errno
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from agentrun.core.types import JSON, ToolResult
from agentrun.jail.paths import PathDenied
from agentrun.tools.rg import (
    COMMON_FLAGS,
    MISSING_RG,
    RgStream,
    SearchRoot,
    refuse_nul,
    rg_binary,
)
from agentrun.tools.specs import GLOB_DESCRIPTION, GLOB_SCHEMA

if TYPE_CHECKING:
    from agentrun.tools.base import ToolContext

MAX_FILES = 100
TIMEOUT_SECONDS = 60.0
_WILDCARDS = frozenset("*?[{")
_PATH_ADVICE = {
    errno.ENOENT: ". Give an existing directory, or leave path out to search the working "
    "directory.",
    errno.ENOTDIR: ". path must be a directory; to look at one file, use Read.",
}


def split_absolute(pattern: str) -> tuple[str | None, str]:
    """``/a/b/*.py`` → (``/a/b``, ``/*.py``); a relative pattern → (None, pattern).

    The rest keeps a leading ``/``, which anchors it to the directory in rg's glob syntax: without
    it ``*.py`` would match at any depth below ``/a/b``.
    """
    if not pattern.startswith("/"):
        return None, pattern
    parts = PurePosixPath(pattern).parts
    for i, part in enumerate(parts):
        if any(ch in _WILDCARDS for ch in part):
            base = str(PurePosixPath(*parts[:i]))
            return base, "/" + "/".join(parts[i:])
    # No wildcard at all: an exact file; search its directory for its name.
    return str(PurePosixPath(*parts[:-1])), "/" + parts[-1]


class GlobTool:
    """Claude Code's ``Glob``: ``pattern`` (required), ``path`` (a directory)."""

    name = "Glob"
    description = GLOB_DESCRIPTION
    input_schema = GLOB_SCHEMA
    read_only = True

    def run(self, input: JSON, ctx: ToolContext) -> ToolResult:
        refused = refuse_nul(input, ("pattern",))
        if refused is not None:
            return refused
        pattern = str(input["pattern"])
        path: Any = input.get("path") or None
        base, pattern = split_absolute(pattern)
        if base is not None:
            path = base  # an absolute pattern names its directory; a path beside it cannot
        pattern = pattern.removeprefix("./")
        # rg never matches "..": a leading "../" moves the search up instead, as the model meant.
        if pattern.startswith("../"):
            while pattern.startswith("../"):
                pattern = pattern[3:]
                path = f"{path if path is not None else '.'}/.."
            pattern = "/" + pattern  # anchored, like the absolute pattern it stands for
        if pattern.strip("/") == "":
            return ToolResult("The glob pattern is empty; give one, e.g. **/*.py.", is_error=True)
        ws = ctx.workspace
        try:
            directory = ws.check_dir(path if path is not None else ws.root)
        except PathDenied as e:
            return ToolResult(str(e) + _PATH_ADVICE.get(e.errno or 0, ""), is_error=True)
        denial = ctx.refusal(self.name, "read", directory)
        if denial is not None:
            return ToolResult(denial, is_error=True)
        binary = rg_binary()
        if binary is None:
            return ToolResult(MISSING_RG, is_error=True)

        where = SearchRoot.for_dir(directory, root=ws.root, policy=ws.policy)
        args = [
            *COMMON_FLAGS,
            "--files",
            "--no-ignore",
            "--sortr=modified",
            "--glob",
            pattern,
            *where.excludes,
            where.target,
        ]
        hidden = ctx.hidden_from("Glob")
        if hidden is not None:
            args.insert(0, "--null")  # NUL-ended paths: a newline in a name cannot split it
        found: list[str] = []
        more = False
        with RgStream(
            args,
            cwd=where.cwd,
            cancel=ctx.cancel,
            timeout=TIMEOUT_SECONDS,
            binary=binary,
            terminator=b"\0" if hidden is not None else b"\n",
            spawn=ws.search,
        ) as stream:
            for line in stream:
                if hidden is not None and hidden(where.cwd / line):
                    continue  # a file a deny rule keeps from Glob: not even its name
                if len(found) == MAX_FILES:
                    more = True
                    break
                found.append(where.display(line))
        outcome = stream.close()
        if outcome.failed and not found:
            return ToolResult(
                f"Invalid glob pattern or search: {outcome.error_text()}", is_error=True
            )
        if outcome.cancelled:
            return ToolResult(
                "Interrupted by the user: the file search was stopped.", is_error=True
            )
        notes = []
        if more:
            notes.append(
                f"(Results are truncated: showing the {MAX_FILES} most recently modified "
                "matches. Use a more specific pattern or path to see the others.)"
            )
        if outcome.timed_out:
            notes.append(
                f"(The search stopped after {TIMEOUT_SECONDS:.0f} s; results are incomplete. "
                "Search a smaller directory.)"
            )
        if not found:
            return ToolResult("\n".join(["No files found", *notes]))
        return ToolResult("\n".join([*found, *notes]))
