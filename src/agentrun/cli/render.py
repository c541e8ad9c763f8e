"""Rich rendering of a run's events for people: the interactive screen and ``--verbose``.

One :class:`Renderer` per console. Assistant text streams live and settles as Markdown; each tool
call is one compact line (tool, key argument) with a spinner while it runs and a short preview of
its result; Edit and Write show a coloured diff of the file, taken from the file itself before and
after the call (so the diff is what really changed, with line numbers). Everything is written to
the given ``Console``, so tests render into a buffer.
"""

from __future__ import annotations

import difflib
import signal
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console, Group
from rich.live import Live
from rich.spinner import Spinner
from rich.text import Text

from agentrun.cli.colors import terminal_color
from agentrun.cli.termsafe import safe
from agentrun.core.events import (
    INTERRUPTED_STOP,
    AssistantEvent,
    CompactEvent,
    Event,
    HookEvent,
    InitEvent,
    PermissionDeniedEvent,
    ResultEvent,
    TextDelta,
    ThinkingDelta,
    ToolEndEvent,
    ToolStartEvent,
)

if TYPE_CHECKING:
    from rich.markdown import Markdown

    from agentrun.core.types import JSON, ToolCall, ToolResult, Usage

__all__ = ["Renderer", "diff_lines", "footer_text", "format_cost", "key_argument"]

PREVIEW_LINES = 3
DIFF_MAX_LINES = 40
_SNAPSHOT_LIMIT = 512 * 1024  # bigger files get no before/after diff, only the edit's strings
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
        return _one_line(event.result)
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


def _name(call: ToolCall) -> str:
    """A tool name as the model sent it: any text, so made safe and kept to one short line."""
    return _clip(" ".join(safe(call.name).split()), 40)


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


@dataclass
class Renderer:
    """Turns events into terminal output. ``on_event`` is the loop's ``on_event`` callback."""

    console: Console
    cwd: Path = field(default_factory=Path.cwd)
    model: str = ""
    _text: str = ""
    _live: Live | None = None
    _running: dict[str, ToolCall] = field(default_factory=dict)
    """Calls started and not yet shown, in call order."""
    _finished: dict[str, ToolResult] = field(default_factory=dict)
    """Results of running calls that wait for an earlier call to be shown first."""
    _before: dict[str, str | None] = field(default_factory=dict)
    _previewed: set[str] = field(default_factory=set)
    """Calls whose diff the approval prompt already showed (not shown twice)."""
    verbose: bool = False
    """Show every hook's output (``--verbose``); else only a line for a block or a failure."""
    agent_colors: dict[str, str] = field(default_factory=dict)
    """The ``color:`` of each agent a Task may start: its Task lines are drawn in it."""
    _thinking: str = ""
    _thinking_live: bool = False
    _thinking_shown: bool = False
    """The live display shows streaming thinking (replaced by the answer when it starts)."""

    def on_event(self, event: Event) -> None:
        if isinstance(event, TextDelta):
            self._delta(event.text)
        elif isinstance(event, ThinkingDelta):
            self._thinking_delta(event.text)
        elif isinstance(event, AssistantEvent):
            self._assistant(event)
        elif isinstance(event, ToolStartEvent):
            self._tool_start(event.call)
        elif isinstance(event, ToolEndEvent):
            self._tool_end(event.call, event.result, event.duration_ms)
        elif isinstance(event, PermissionDeniedEvent):
            self._stop_live()
            self._call_line(event.call, "yellow")
            self.console.print(Text(f"  ⎿  {_one_line(event.reason)}", style="yellow"))
        elif isinstance(event, InitEvent):
            self.model = self.model or event.model
        elif isinstance(event, CompactEvent):
            self._stop_live()
            self.console.print(
                Text(
                    f"✻ conversation compacted ({event.trigger}): "
                    f"{event.pre_tokens:,} → {event.post_tokens:,} tokens",
                    style="dim",
                )
            )
        elif isinstance(event, HookEvent):
            self._hook(event)
        elif isinstance(event, ResultEvent):
            self._stop_live()
            # an interrupted turn is announced by whoever interrupted it (see close())
            if event.is_error and event.stop_reason != INTERRUPTED_STOP:
                self.console.print(Text(f"✗ {event.subtype}: {stop_text(event)}", "red"))

    def _hook(self, event: HookEvent) -> None:
        """One line for a hook that blocked or failed (``--verbose``: for every hook, with
        its output unless it asked ``suppressOutput``)."""
        failed = event.outcome != "success"
        if event.system_message:
            self._stop_live()
            self.console.print(Text(f"⚑ {safe(event.system_message)}", style="yellow"))
        if not (self.verbose or event.blocked or failed):
            return
        self._stop_live()
        what = "blocked" if event.blocked else "failed" if failed else "ran"
        code = "" if event.exit_code is None else f" (exit {event.exit_code})"
        style = "yellow" if event.blocked or failed else "dim"
        line = f"⚑ {safe(event.hook_name)} hook {what}{code}: {safe(event.command)}"
        self.console.print(Text(line, style))
        detail = event.stderr if event.blocked or failed else event.stdout
        if detail.strip() and ((self.verbose and not event.suppress_output) or event.blocked):
            self.console.print(Text(f"  ⎿  {_one_line(detail)}", style=style))

    def close(self) -> None:
        """Stop any live display; calls still running (a cancelled turn) are marked so."""
        self._stop_live()
        for call in self._running.values():
            if call.id in self._finished:  # done, only waiting for an earlier call
                self._show_end(call, self._finished.pop(call.id))
                continue
            self._call_line(call, "yellow")
            self.console.print(Text("  ⎿  interrupted", style="yellow"))
        self._running.clear()
        self._finished.clear()
        self._previewed.clear()
        self._before.clear()

    def header(self, init: InitEvent) -> None:
        """One dim line on the first turn: model, sandbox layers, permission mode."""
        layers = ", ".join(init.sandbox_enforced) or "no layers"
        self.console.print(
            Text(
                safe(
                    f"{init.model} · sandbox {init.sandbox_mode} ({layers}) · "
                    f"permissions {init.permission_mode}"
                ),
                style="dim",
            )
        )

    def footer(self, *, turns: int, usage: Usage, cost: float | None) -> None:
        text = safe(footer_text(model=self.model, turns=turns, usage=usage, cost=cost))
        self.console.print(Text(f"─ {text}", style="dim"))

    def approval_preview(self, call: ToolCall) -> None:
        """What a call would do, shown above the approval question."""
        self._stop_live()
        self._call_line(call, "bold yellow")
        if call.name in ("Edit", "Write"):
            self._previewed.add(call.id)
        if call.name == "Edit":
            self._print_diff(self._edit_preview(call))
        elif call.name == "Write":
            before = self._snapshot(call)
            self._print_diff(diff_lines(before or "", str(call.input.get("content", ""))))
        elif call.name == "Bash" and "\n" in str(call.input.get("command", "")):
            self.console.print(Text(safe(str(call.input["command"])), style="cyan"))

    def _edit_preview(self, call: ToolCall) -> list[Text]:
        """The diff an Edit would make, on the file itself when the edit applies cleanly (real
        line numbers), else between its two strings."""
        old = str(call.input.get("old_string", ""))
        new = str(call.input.get("new_string", ""))
        before = self._snapshot(call)
        if before is not None and old and old in before:
            count = -1 if call.input.get("replace_all") else 1
            return diff_lines(before, before.replace(old, new, count))
        return diff_lines(old, new)

    # -- assistant text ------------------------------------------------------------------------
    def _thinking_delta(self, text: str) -> None:
        """Thinking as it streams: one dim line showing its latest words, gone when the answer
        starts (the message then shows it folded, like Claude Code)."""
        self._thinking += text
        if not self.console.is_terminal:
            return
        line = Text(f"✻ Thinking… {_latest(self._thinking)}", style="dim italic")
        if self._live is not None and self._thinking_live:
            self._live.update(line)
            return
        self._stop_live()
        self._live = Live(line, console=self.console, transient=True, refresh_per_second=12)
        self._thinking_live = True
        _start_live(self._live, refresh=True)

    def _delta(self, text: str) -> None:
        if self._thinking_live:  # the answer starts: its thinking settles, folded, above it
            self._stop_live()
            if self._thinking.strip():
                self.console.print(Text(f"✻ {_folded(self._thinking)}", style="dim italic"))
                self._thinking_shown = True
        self._text += safe(text)
        if not self.console.is_terminal:
            return  # a file or pipe gets the settled Markdown once, at the end of the message
        if self._live is None:
            self._live = Live(
                markdown(self._text),
                console=self.console,
                refresh_per_second=12,
                vertical_overflow="ellipsis",  # a long answer never smears; stop() prints it whole
            )
            _start_live(self._live, refresh=True)
        else:
            self._live.update(markdown(self._text))

    def _assistant(self, event: AssistantEvent) -> None:
        if self._thinking_live:
            self._stop_live()
        shown, self._thinking, self._thinking_shown = self._thinking_shown, "", False
        streamed = self._live is not None
        if streamed and self._live is not None:
            text = "".join(
                b.get("text", "") for b in _blocks(event.message) if b.get("type") == "text"
            )
            self._live.update(markdown(safe(text) or self._text))
        self._stop_live()
        for block in _blocks(event.message):  # thinking is folded to one dim line
            if block.get("type") == "thinking" and block.get("thinking", "").strip() and not shown:
                self.console.print(Text(f"✻ {_folded(block['thinking'])}", style="dim italic"))
            elif block.get("type") == "compaction":
                self.console.print(Text("✻ (the API compacted the conversation)", style="dim"))
        if not streamed:
            for block in _blocks(event.message):
                if block.get("type") == "text" and block.get("text", "").strip():
                    self.console.print(markdown(safe(block["text"])))
        self._text = ""

    # -- tools ---------------------------------------------------------------------------------
    def _tool_start(self, call: ToolCall) -> None:
        self._stop_live()
        self._running[call.id] = call
        if call.name in ("Edit", "Write"):
            self._before[call.id] = self._snapshot(call)
        self._show_spinner()

    def _tool_end(self, call: ToolCall, result: ToolResult, duration_ms: float) -> None:
        """Calls run together finish in any order, but are shown in call order (as stream-json
        gives them): a finished call waits while one started before it still runs."""
        self._stop_live()
        if call.id not in self._running:
            self._show_end(call, result)
        else:
            self._finished[call.id] = result
            self._flush_finished()
        self._show_spinner()

    def _flush_finished(self) -> None:
        while self._running:
            first = next(iter(self._running))
            if first not in self._finished:
                return
            self._show_end(self._running.pop(first), self._finished.pop(first))

    def _show_end(self, call: ToolCall, result: ToolResult) -> None:
        self._call_line(call, "red" if result.is_error else "green")
        before = self._before.pop(call.id, None)
        if call.name in ("Edit", "Write") and not result.is_error:
            after = self._snapshot(call)
            if after is not None:
                self.console.print(Text(f"  ⎿  {_edit_summary(before, after)}", style="dim"))
                if call.id not in self._previewed:
                    self._print_diff(diff_lines(before or "", after))
                return
        self._preview(call, result)

    def _show_spinner(self) -> None:
        still = [c for c in self._running.values() if c.id not in self._finished]
        if not still or not self.console.is_terminal:
            return
        names = ", ".join(f"{_name(c)}({key_argument(c, self.cwd, 30)})" for c in still)
        self._live = Live(
            Spinner("dots", text=Text(f" {names}", style="cyan")),
            console=self.console,
            transient=True,
            refresh_per_second=12,
        )
        _start_live(self._live)

    def _call_line(self, call: ToolCall, style: str) -> None:
        line = Text("● ", style=style)
        color = self.agent_colors.get(str(call.input.get("subagent_type")))
        named = call.name in ("Task", "Agent") and color is not None
        line.append(_name(call), style=f"bold {terminal_color(color)}" if named else "bold")
        line.append(f"({key_argument(call, self.cwd)})")
        self.console.print(line)

    def _preview(self, call: ToolCall, result: ToolResult) -> None:
        lines = safe(result.text()).splitlines() or ["(no output)"]
        style = "red" if result.is_error else "dim"
        if not result.is_error and call.name in _SUMMARIES:
            self.console.print(Text(f"  ⎿  {_SUMMARIES[call.name](lines)}", style=style))
            return
        shown = [_clip(line.expandtabs(4).rstrip(), 100) for line in lines[:PREVIEW_LINES]]
        if len(lines) > PREVIEW_LINES:
            shown.append(f"… +{len(lines) - PREVIEW_LINES} lines")
        body = "\n".join(("  ⎿  " if i == 0 else "     ") + s for i, s in enumerate(shown))
        self.console.print(Text(body, style=style))

    def _print_diff(self, lines: list[Text]) -> None:
        if lines:
            self.console.print(Group(*lines))

    def _snapshot(self, call: ToolCall) -> str | None:
        # The runtime reads unconfined: never through a symlink, out of cwd, a FIFO or a device.
        from agentrun.cli.filepreview import read_preview

        return read_preview(self.cwd, call.input.get("file_path"), _SNAPSHOT_LIMIT)

    def _stop_live(self) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None
        self._thinking_live = False


def _start_live(live: Live, *, refresh: bool = False) -> None:
    """Start a live display whose refresh thread can never receive SIGINT.

    A Ctrl-C delivered to that thread (it may linger a moment after ``stop()``) would not wake
    the main thread out of readline's ``select()``: the approval question would ignore it.
    Threads inherit their creator's signal mask, so SIGINT is blocked just around the start.
    """
    if not hasattr(signal, "pthread_sigmask"):  # pragma: no cover - not POSIX
        live.start(refresh=refresh)
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        live.start(refresh=refresh)
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


# Tools whose output is long and self-evident get a one-line summary instead of a preview.
_SUMMARIES = {
    "Read": lambda lines: f"Read {_count(len(lines), 'line')}",
    "Glob": lambda lines: (
        "No files found" if lines == ["No files found"] else f"Found {_count(len(lines), 'file')}"
    ),
}


def _clip(line: str, width: int) -> str:
    return line if len(line) <= width else line[: width - 1] + "…"


def _edit_summary(before: str | None, after: str) -> str:
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


def _blocks(message: JSON) -> list[JSON]:
    content = message.get("content", [])
    return [{"type": "text", "text": content}] if isinstance(content, str) else list(content)


def _one_line(text: str, width: int = 200) -> str:
    line = " ".join(safe(text).split())
    return line if len(line) <= width else line[: width - 1] + "…"


def markdown(text: str) -> Markdown:
    # rich.markdown (markdown-it, pygments) is ~90 ms of the interactive start: imported at the
    # first answer (interactive mode warms it while the user types).
    from rich.markdown import Markdown

    return Markdown(text)


def _latest(thinking: str, width: int = 90) -> str:
    """The end of the thinking so far, on one line: what the model is thinking about now."""
    tail = " ".join(safe(thinking[-4 * width :]).split())
    return tail if len(tail) <= width else "…" + tail[-(width - 1) :]


def _folded(thinking: str, width: int = 100) -> str:
    """Thinking folded to its first line, with how much was folded away."""
    lines = [line for line in thinking.strip().splitlines() if line.strip()]
    first = _one_line(safe(lines[0]))
    if len(first) > width:
        first = first[: width - 1] + "…"
    words = sum(len(line.split()) for line in lines[1:])
    return f"Thinking: {first}" + (f" (+{words} words folded)" if len(lines) > 1 else "")
