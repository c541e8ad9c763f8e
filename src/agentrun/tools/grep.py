"""Grep: search file contents with ripgrep (Claude Code's ``Grep`` tool, every parameter).

The regex goes to ``rg`` only (``-e PATTERN``, so a leading ``-`` is a pattern, not a flag);
Python's ``re`` never sees it. Output is streamed and ``rg`` is killed as soon as the window
``offset .. offset + head_limit`` (plus one entry, to know whether more exist) or the
20,000-character cap is reached. A session that spills big outputs to a file (the tool
context's ``spill``) lifts the cap to :data:`SPILL_CAP_CHARS`: the whole result is saved and the
model gets a preview and the path.

Order, and why: ``files_with_matches`` lists the newest modified files first (Claude Code's
order; ``--sortr=modified``); ``content`` and ``count`` go by path (``--sort=path``), so that
paging with ``offset`` gives the same windows even after the agent edits a file in between.
``.gitignore`` rules apply as in plain ``rg``; hidden files are searched; VCS folders, the
session's read-denied trees and symlinked paths are not. CRLF files behave like LF ones: ``$``
matches before ``\r\n`` (``--crlf``) and shown lines carry no ``\r``.
"""

from __future__ import annotations

import errno
import re
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
from agentrun.tools.specs import GREP_DESCRIPTION, GREP_SCHEMA

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator
    from pathlib import Path

    from agentrun.tools.base import ToolContext

DEFAULT_HEAD_LIMIT = 250
MAX_OUTPUT_CHARS = 20_000
SPILL_CAP_CHARS = 16_000_000
"""Grep's cap when its result goes to a file: memory stays bounded on a search of everything."""
MAX_COLUMNS = 500
TIMEOUT_SECONDS = 60.0
# Room kept for the header/summary/paging lines, so the whole result stays within the cap.
_ENTRY_CHARS = MAX_OUTPUT_CHARS - 300


_GLOB_SEPARATORS = frozenset(", \t\n")
_WHOLE_NUMBERS = ("-A", "-B", "-C", "head_limit", "offset")


def split_globs(text: str) -> list[str]:
    """Split a ``glob`` parameter on commas and whitespace outside braces.

    ``"*.py, *.md"`` → two globs; ``"*.{ts,tsx}"`` stays one (its comma is inside braces).
    """
    globs: list[str] = []
    current: list[str] = []
    depth = 0
    for ch in text:
        if ch == "{":
            depth += 1
        elif ch == "}" and depth:
            depth -= 1
        if ch in _GLOB_SEPARATORS and depth == 0:
            if current:
                globs.append("".join(current))
            current = []
        else:
            current.append(ch)
    if current:
        globs.append("".join(current))
    return globs


_COUNT_LINE = re.compile(r"^(.*):(\d+)$")


class GrepTool:
    """Claude Code's ``Grep`` (see the module docstring for order and limits)."""

    name = "Grep"
    description = GREP_DESCRIPTION
    input_schema = GREP_SCHEMA
    read_only = True

    def run(self, input: JSON, ctx: ToolContext) -> ToolResult:
        for name in _WHOLE_NUMBERS:
            value = input.get(name)
            # "number", as in Claude Code's schema: 2.5 passes validation and is refused here.
            if isinstance(value, float) and not value.is_integer():
                return ToolResult(
                    f'Parameter "{name}" must be a whole number; got {value}.', is_error=True
                )
        refused = refuse_nul(input, ("pattern", "glob", "type"))
        if refused is not None:
            return refused
        pattern = str(input["pattern"])
        mode = str(input.get("output_mode") or "files_with_matches")
        head_limit = int(input.get("head_limit", DEFAULT_HEAD_LIMIT))
        offset = int(input.get("offset", 0))
        where = _search_root(ctx, input.get("path") or None)
        if isinstance(where, ToolResult):
            return where
        denial = ctx.refusal(self.name, "read", where.cwd / where.target)
        if denial is not None:
            return ToolResult(denial, is_error=True)
        binary = rg_binary()
        if binary is None:
            return ToolResult(MISSING_RG, is_error=True)

        hidden = ctx.hidden_from("Grep")
        numbers = bool(input.get("-n", True))
        if hidden is None:
            args = _argv(input, mode, pattern, where)
        else:
            # --null ends each path with a NUL, so it is told apart from the text after it (or,
            # listing files, from a newline in its name) and tested against the rules. Line
            # numbers tell match lines from context lines; they go again if not asked for.
            args = ["--null", *_argv({**input, "-n": True}, mode, pattern, where)]
        window = offset + head_limit if head_limit else None
        entries: list[str] = []
        chars = 0
        seen = 0
        more = False
        capped = False
        listing = hidden is not None and mode == "files_with_matches"
        cap = _ENTRY_CHARS if ctx.spill is None else SPILL_CAP_CHARS
        with RgStream(
            args,
            cwd=where.cwd,
            cancel=ctx.cancel,
            timeout=TIMEOUT_SECONDS,
            binary=binary,
            terminator=b"\0" if listing else b"\n",
            spawn=ctx.workspace.search,
        ) as stream:
            lines = stream if hidden is None else _visible(stream, mode, where, hidden, numbers)
            for line in lines:
                if window is not None and seen == window:
                    more = True
                    break
                seen += 1
                if seen <= offset:
                    continue
                # CRLF files: the model sees the line, not its carriage return.
                shown = where.display(line.removesuffix("\r"))
                chars += len(shown) + 1
                if chars > cap:
                    capped = more = True
                    break
                entries.append(shown)
        outcome = stream.close()
        if outcome.cancelled:
            return ToolResult("Interrupted by the user: the search was stopped.", is_error=True)
        if outcome.failed and not entries and seen == 0:
            return _rg_error(outcome.error_text())
        text = _format(
            mode, entries, offset=offset, seen=seen, more=more, capped=capped, cap=cap + 300
        )
        if outcome.timed_out:
            text += (
                f"\n[The search stopped after {TIMEOUT_SECONDS:.0f} s, so results are "
                "incomplete. Search a smaller path or use glob/type filters.]"
            )
        return ToolResult(text)


_NUMBERED = re.compile(r"(\d+)([:-])")


def _visible(
    stream: Iterable[str],
    mode: str,
    where: SearchRoot,
    hidden: Callable[[Path], bool],
    numbers: bool,
) -> Iterator[str]:
    """rg's ``--null`` output in its usual form, without the lines of hidden files and without
    the separators of their context groups: for a search hiding nothing, exactly rg's lines."""
    separator = False  # a "--" is due before the next line shown
    shown = False
    carried = ""
    for raw in stream:
        if mode == "files_with_matches":  # NUL-terminated paths
            if not hidden(where.cwd / raw):
                yield raw
            continue
        line = carried + raw
        carried = ""
        if line.removesuffix("\r") == "--":  # rg ends it with \r between groups of one file
            separator = shown
            continue
        if "\0" not in line:
            # A file name holding a newline: its start came alone. Join it to the rest rather
            # than judge (or show) a fragment.
            carried = line + "\n"
            continue
        kept = _unless_hidden(line.removesuffix("\r"), mode, where, hidden, numbers=numbers)
        if kept is None:
            continue
        if separator:
            yield "--"
            separator = False
        shown = True
        yield kept


def _unless_hidden(
    line: str, mode: str, where: SearchRoot, hidden: Callable[[Path], bool], *, numbers: bool
) -> str | None:
    """One ``path NUL rest`` output line in rg's usual form, or None when its file is hidden."""
    path, _, rest = line.partition("\0")
    if hidden(where.cwd / path):
        return None
    if mode == "count":
        return f"{path}:{rest}"
    numbered = _NUMBERED.match(rest)
    if numbered is None:
        return f"{path}:{rest}"
    sep = numbered.group(2)  # ":" a matching line, "-" a context line
    return f"{path}{sep}{rest if numbers else rest[numbered.end() :]}"


def _search_root(ctx: ToolContext, path: Any) -> SearchRoot | ToolResult:
    ws = ctx.workspace
    try:
        return SearchRoot.for_dir(
            ws.check_dir(path if path is not None else ws.root), root=ws.root, policy=ws.policy
        )
    except PathDenied as e:
        if path is None or e.errno != errno.ENOTDIR:
            # Grep takes files too, so "directory does not exist" would mislead.
            text = str(e).replace("Directory does not exist", "Path does not exist")
            if e.errno == errno.ENOENT:
                text += ". Give an existing file or directory, or leave path out to search the "
                text += "working directory."
            return ToolResult(text, is_error=True)
    # A single file: open_read applies the same policy, and refuses FIFOs and devices (rg would
    # block on them).
    try:
        with ws.open_read(path) as opened:
            return SearchRoot.for_file(opened.path, root=ws.root)
    except PathDenied as e:
        return ToolResult(str(e), is_error=True)


def _argv(input: JSON, mode: str, pattern: str, where: SearchRoot) -> list[str]:
    # --crlf: "$" also matches before "\r\n", so anchored patterns work in CRLF files too.
    args = [*COMMON_FLAGS, "--crlf", "--max-columns", str(MAX_COLUMNS), "--max-columns-preview"]
    if input.get("multiline"):
        args += ["--multiline", "--multiline-dotall"]
    if input.get("-i"):
        args.append("--ignore-case")
    if input.get("type"):
        args += ["--type", str(input["type"])]
    for glob in split_globs(str(input.get("glob") or "")):
        args += ["--glob", glob]
    if mode == "files_with_matches":
        args += ["--files-with-matches", "--sortr=modified"]
    elif mode == "count":
        args += ["--count", "--with-filename", "--sort=path"]
    else:
        args += ["--with-filename", "--sort=path"]
        args.append("--line-number" if input.get("-n", True) else "--no-line-number")
        # rg lets -A/-B win over -C whatever the order, as Claude Code's users expect.
        for flag in ("-C", "-A", "-B"):
            if input.get(flag) is not None:
                args += [flag, str(int(input[flag]))]
    # Exclusions last: rg lets the last matching glob win, so a user's "*" cannot re-include .git.
    return [*args, *where.excludes, "-e", pattern, "--", where.target]


def _rg_error(message: str) -> ToolResult:
    if "regex parse error" in message or "error parsing" in message:
        return ToolResult(
            f"Invalid regex pattern (ripgrep syntax):\n{message}\n"
            "Escape literal special characters with a backslash, e.g. \\( or \\{.",
            is_error=True,
        )
    if "unrecognized file type" in message:
        return ToolResult(
            f"{message}\nUse a ripgrep type name such as py, js, ts, rust, go, java, md, "
            "or filter by file name with the glob parameter instead.",
            is_error=True,
        )
    return ToolResult(f"The search failed: {message}", is_error=True)


def _format(
    mode: str,
    entries: list[str],
    *,
    offset: int,
    seen: int,
    more: bool,
    capped: bool,
    cap: int = MAX_OUTPUT_CHARS,
) -> str:
    if not entries:
        if offset and seen:
            return f"No results at offset {offset}: there are only {seen} entries."
        return "No files found" if mode == "files_with_matches" else "No matches found"
    lines: list[str]
    if mode == "files_with_matches":
        noun = "file" if len(entries) == 1 else "files"
        lines = [f"Found {len(entries)} {noun}", *entries]
    elif mode == "count":
        total = 0
        for entry in entries:
            match = _COUNT_LINE.match(entry)
            total += int(match.group(2)) if match else 0
        files = "file" if len(entries) == 1 else "files"
        times = "occurrence" if total == 1 else "occurrences"
        lines = [*entries, "", f"Found {total} total {times} across {len(entries)} {files}."]
    else:
        lines = list(entries)
    if capped:
        lines.append(
            f"[Output cut at {cap:,} characters. Narrow the search (path, glob, "
            f"pattern) or page with offset={offset + len(entries)}.]"
        )
    elif more:
        lines.append(
            f"[Showing entries {offset + 1}-{offset + len(entries)}; more exist. "
            f"Use offset={offset + len(entries)} to see the next ones.]"
        )
    return "\n".join(lines)
