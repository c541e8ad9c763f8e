"""Rich rendering of a run's events for people: the interactive screen and ``--verbose``.

One :class:`Renderer` per console. Assistant text streams live and settles as Markdown; each tool
call is one compact line (tool, key argument) with a spinner while it runs and a short preview of
its result; Edit and Write show a coloured diff of the file, taken from the file itself before and
after the call (so the diff is what really changed, with line numbers). Everything is written to
the given ``Console``, so tests render into a buffer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console, Group
from rich.live import Live
from rich.spinner import Spinner
from rich.text import Text

from agentrun.cli.colors import terminal_color
from agentrun.cli.streamtext import blocks_of, folded, latest, markdown, start_live
from agentrun.cli.termsafe import safe
from agentrun.cli.toollines import (
    PREVIEW_LINES,
    SNAPSHOT_LIMIT,
    SUMMARIES,
    clip,
    diff_lines,
    edit_summary,
    footer_text,
    format_cost,
    key_argument,
    one_line,
    stop_text,
    tool_name,
)
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
from agentrun.core.types import block_text

if TYPE_CHECKING:
    from agentrun.core.types import ToolCall, ToolResult, Usage

__all__ = [
    "PREVIEW_LINES",
    "Renderer",
    "diff_lines",
    "footer_text",
    "format_cost",
    "key_argument",
    "markdown",
    "stop_text",
]


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
            self.console.print(Text(f"  ⎿  {one_line(event.reason)}", style="yellow"))
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
            self.console.print(Text(f"  ⎿  {one_line(detail)}", style=style))

    def pause(self) -> None:
        """Stop any live display, for a question asked mid-turn."""
        self._stop_live()

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
        line = Text(f"✻ Thinking… {latest(self._thinking)}", style="dim italic")
        if self._live is not None and self._thinking_live:
            self._live.update(line)
            return
        self._stop_live()
        self._live = Live(line, console=self.console, transient=True, refresh_per_second=12)
        self._thinking_live = True
        start_live(self._live, refresh=True)

    def _delta(self, text: str) -> None:
        if self._thinking_live:  # the answer starts: its thinking settles, folded, above it
            self._stop_live()
            if self._thinking.strip():
                self.console.print(Text(f"✻ {folded(self._thinking)}", style="dim italic"))
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
            start_live(self._live, refresh=True)
        else:
            self._live.update(markdown(self._text))

    def _assistant(self, event: AssistantEvent) -> None:
        if self._thinking_live:
            self._stop_live()
        shown, self._thinking, self._thinking_shown = self._thinking_shown, "", False
        streamed = self._live is not None
        if streamed and self._live is not None:
            text = block_text(blocks_of(event.message))
            self._live.update(markdown(safe(text) or self._text))
        self._stop_live()
        for block in blocks_of(event.message):  # thinking is folded to one dim line
            if block.get("type") == "thinking" and block.get("thinking", "").strip() and not shown:
                self.console.print(Text(f"✻ {folded(block['thinking'])}", style="dim italic"))
            elif block.get("type") == "compaction":
                self.console.print(Text("✻ (the API compacted the conversation)", style="dim"))
        if not streamed:
            for block in blocks_of(event.message):
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
                self.console.print(Text(f"  ⎿  {edit_summary(before, after)}", style="dim"))
                if call.id not in self._previewed:
                    self._print_diff(diff_lines(before or "", after))
                return
        self._preview(call, result)

    def _show_spinner(self) -> None:
        still = [c for c in self._running.values() if c.id not in self._finished]
        if not still or not self.console.is_terminal:
            return
        names = ", ".join(f"{tool_name(c)}({key_argument(c, self.cwd, 30)})" for c in still)
        self._live = Live(
            Spinner("dots", text=Text(f" {names}", style="cyan")),
            console=self.console,
            transient=True,
            refresh_per_second=12,
        )
        start_live(self._live)

    def _call_line(self, call: ToolCall, style: str) -> None:
        line = Text("● ", style=style)
        color = self.agent_colors.get(str(call.input.get("subagent_type")))
        named = call.name in ("Task", "Agent") and color is not None
        line.append(tool_name(call), style=f"bold {terminal_color(color)}" if named else "bold")
        line.append(f"({key_argument(call, self.cwd)})")
        self.console.print(line)

    def _preview(self, call: ToolCall, result: ToolResult) -> None:
        lines = safe(result.text()).splitlines() or ["(no output)"]
        style = "red" if result.is_error else "dim"
        if not result.is_error and call.name in SUMMARIES:
            self.console.print(Text(f"  ⎿  {SUMMARIES[call.name](lines)}", style=style))
            return
        shown = [clip(line.expandtabs(4).rstrip(), 100) for line in lines[:PREVIEW_LINES]]
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

        return read_preview(self.cwd, call.input.get("file_path"), SNAPSHOT_LIMIT)

    def _stop_live(self) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None
        self._thinking_live = False
