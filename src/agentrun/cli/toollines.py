"""How one tool call and one run read in a line: the call's key argument, a result's short
preview or summary, an edit's coloured diff, the cost and the status line."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.text import Text

from agentrun.cli.termsafe import safe

if TYPE_CHECKING:
    from agentrun.core.events import ResultEvent
    from agentrun.core.types import ToolCall, Usage

PREVIEW_LINES = 3
DIFF_MAX_LINES = 40
SNAPSHOT_LIMIT = 512 * 1024  # bigger files get no before/after diff, only the edit's strings
_KEY_ARGS = {
    "Read": "file_path",
    "Write": "file_path",
    "Edit": "file_path",
    "Bash": "command",
    "Glob": "pattern",
    "Grep": "pattern",
    "MultiEdit": "file_path",
    "LS": "path",
    "NotebookEdit": "notebook_path",
    "BashOutput": "bash_id",
    "KillShell": "shell_id",
    "KillBash": "shell_id",
    "Task": "description",
    "Agent": "description",
    "WebFetch": "url",
    "WebSearch": "query",
}


def format_cost(usd: float | None) -> str:
    if usd is None:
        return "cost unknown"
    return f"${usd:.4f}" if usd < 1 else f"${usd:.2f}"


_LIMITS = {
    "error_max_turns": "the turn limit",
    "error_max_budget_usd": "the budget",
    "error_timeout": "the time limit",
}


def stop_text(event: ResultEvent) -> str:
    """Why a run failed, in one line: the limit it reached (its last text says nothing of that),
    else its error."""
    limit = _LIMITS.get(event.subtype)
    if limit is None:
        return one_line(event.result)
    turns = f"{event.num_turns} turn{'' if event.num_turns == 1 else 's'}"
    return f"stopped at {limit} ({turns}, {format_cost(event.total_cost_usd)})"


def footer_text(*, model: str, turns: int, usage: Usage, cost: float | None) -> str:
    """The status line: model, turns, tokens and dollars so far."""
    return (
        f"{model} · {turns} turn{'s' if turns != 1 else ''} · "
        f"{usage.total_input_tokens:,} in / {usage.output_tokens:,} out tokens · "
        f"{format_cost(cost)}"
    )


def key_argument(call: ToolCall, cwd: Path | None = None, width: int = 70) -> str:
    """The one argument that says what a call does, shortened to one line."""
    key = _KEY_ARGS.get(call.name)
    value: Any = call.input.get(key) if key else None
    if value is None:
        value = next((v for v in call.input.values() if isinstance(v, str)), "")
    text = str(value)
    if key in ("file_path", "notebook_path") and cwd is not None:
        text = _relative(text, cwd)
    if call.name in ("Glob", "Grep") and call.input.get("path"):
        text += f" in {_relative(str(call.input['path']), cwd)}"
    first, *rest = safe(text).splitlines() or [""]
    if rest:
        first += " …"
    return first if len(first) <= width else first[: width - 1] + "…"


def tool_name(call: ToolCall) -> str:
    """A tool name as the model sent it: any text, so made safe and kept to one short line."""
    return clip(" ".join(safe(call.name).split()), 40)


def _relative(path: str, cwd: Path | None) -> str:
    if cwd is None:
        return path
    p = Path(path)
    try:
        return str(p.relative_to(cwd)) if p.is_absolute() else path
    except ValueError:
        return path


def diff_lines(before: str, after: str, *, context: int = 2) -> list[Text]:
    """A unified diff as styled lines with new-file line numbers: red removals, green adds."""
    a, b = before.splitlines(), after.splitlines()
    out: list[Text] = []
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    for group in matcher.get_grouped_opcodes(context):
        if out:
            out.append(Text("   ⋮", style="dim"))
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                out += [_diff_line(j1 + k + 1, " ", a[i1 + k], "dim") for k in range(i2 - i1)]
                continue
            out += [_diff_line(i1 + k + 1, "-", a[i1 + k], "red") for k in range(i2 - i1)]
            out += [_diff_line(j1 + k + 1, "+", b[j1 + k], "green") for k in range(j2 - j1)]
    if len(out) > DIFF_MAX_LINES:
        hidden = len(out) - DIFF_MAX_LINES
        out = [*out[:DIFF_MAX_LINES], Text(f"   … {hidden} more diff lines", style="dim")]
    return out


def _diff_line(number: int, sign: str, text: str, style: str) -> Text:
    line = Text()
    line.append(f"{number:>5} ", style="dim")
    line.append(f"{sign} {safe(text)}", style=style)
    return line


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


# Tools whose output is long and self-evident get a one-line summary instead of a preview.
SUMMARIES = {
    "Read": lambda lines: f"Read {_count(len(lines), 'line')}",
    "Glob": lambda lines: (
        "No files found" if lines == ["No files found"] else f"Found {_count(len(lines), 'file')}"
    ),
    "WebSearch": lambda lines: _search_summary(lines),
}


def _search_summary(lines: list[str]) -> str:
    """WebSearch's result in one line: how many links, and the first titles."""
    import json

    for line in lines:
        if line.startswith("Links: "):
            try:
                links = json.loads(line.removeprefix("Links: "))
            except ValueError:
                break
            titles = ", ".join(str(link.get("title", "")) for link in links[:3])
            more = f": {titles}" if titles else ""
            return clip(f"Did 1 search, {_count(len(links), 'result')}{more}", 100)
    return lines[0]


def clip(line: str, width: int) -> str:
    return line if len(line) <= width else line[: width - 1] + "…"


def edit_summary(before: str | None, after: str) -> str:
    if before is None:
        n = len(after.splitlines())
        return f"Wrote {n} line{'s' if n != 1 else ''}"
    a, b = before.splitlines(), after.splitlines()
    added = removed = 0
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b).get_opcodes():
        if tag != "equal":
            removed += i2 - i1
            added += j2 - j1
    return f"Updated: {added} line{'s' if added != 1 else ''} added, {removed} removed"


def one_line(text: str, width: int = 200) -> str:
    line = " ".join(safe(text).split())
    return line if len(line) <= width else line[: width - 1] + "…"
