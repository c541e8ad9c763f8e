"""The tool set of a session and the dispatcher that runs one turn's tool calls.

:func:`build_tools` gives the tools by name as :class:`LazyTool` stand-ins: what the model is told
comes from :mod:`agentrun.tools.specs`, and a tool's module is imported at its first call (Bash
pulls in the shell; a run that answers without tools should not pay for any of them).

:class:`ToolRunner` is the boundary between the model and the tools. For every call it:

1. checks the name (unknown → an error result listing the available tools);
2. validates the input against the tool's schema (:mod:`agentrun.tools.validate`);
3. runs the tool, turning any unexpected exception into an error result with the exception's
   text (cut in the middle past 10,000 characters), logged with its traceback and re-raised
   when strict, so the test suite sees bugs the model would otherwise be told about politely;
4. hands a result too big for the context to the session's spill (:mod:`agentrun.tools.spill`):
   the model gets a preview and the path of the whole output.

Ordering: consecutive read-only calls (Read, Glob, Grep) form a batch that runs concurrently;
any other call (Write, Edit, Bash) runs alone, after everything before it and before everything
after it. So ``[Read a, Edit a, Read a]`` can never see the edit early or late, while ``[Read a,
Read b, Grep]`` overlaps. Results always come back in call order.
"""

from __future__ import annotations

import importlib
import json
import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from agentrun.core.types import JSON, ToolCall, ToolResult, ToolSpec
from agentrun.core.vocab import INTERRUPTED_NOT_RUN, TOOL_ALIASES
from agentrun.tools.specs import READ_ONLY, TOOL_SPECS
from agentrun.tools.spill import OWN_LIMITS

if TYPE_CHECKING:
    from concurrent.futures import Future

    from agentrun.core.protocols import Tool
    from agentrun.tools.base import ToolContext

ALL_TOOL_NAMES: tuple[str, ...] = tuple(TOOL_SPECS)

# name -> (module, class); imported on demand by build_tools.
_TOOL_CLASSES: dict[str, tuple[str, str]] = {
    "Read": ("agentrun.tools.read", "ReadTool"),
    "Write": ("agentrun.tools.write", "WriteTool"),
    "Edit": ("agentrun.tools.edit", "EditTool"),
    "Bash": ("agentrun.tools.bash", "BashTool"),
    "Glob": ("agentrun.tools.glob", "GlobTool"),
    "Grep": ("agentrun.tools.grep", "GrepTool"),
    "MultiEdit": ("agentrun.tools.multiedit", "MultiEditTool"),
    "LS": ("agentrun.tools.ls", "LSTool"),
    "TodoWrite": ("agentrun.tools.todo", "TodoWriteTool"),
    "NotebookEdit": ("agentrun.tools.notebook", "NotebookEditTool"),
    "BashOutput": ("agentrun.tools.jobtools", "BashOutputTool"),
    "KillShell": ("agentrun.tools.jobtools", "KillShellTool"),
    "WebFetch": ("agentrun.tools.web.webfetch", "WebFetchTool"),
    "WebSearch": ("agentrun.tools.web.websearch", "WebSearchTool"),
    "TaskOutput": ("agentrun.tools.taskoutput", "TaskOutputTool"),
}

MAX_ERROR_CHARS = 10_000
_KEEP = 5_000
MAX_PARALLEL = 10
"""At most this many read-only calls run at once (a turn rarely asks for more)."""

OnStart = Callable[[ToolCall], None]
OnEnd = Callable[[ToolCall, ToolResult, float], None]


class LazyTool:
    """One of the six tools, described from its spec; its module is imported and the real tool
    made at the first call (once, even when a concurrent batch calls it from several threads)."""

    def __init__(self, name: str) -> None:
        spec = TOOL_SPECS[name]
        self.name = name
        self.description = spec.description
        self.input_schema = spec.input_schema
        self.read_only = name in READ_ONLY
        self._tool: Tool | None = None
        self._lock = threading.Lock()

    def load(self) -> Tool:
        """The real tool (imported on the first use)."""
        with self._lock:
            if self._tool is None:
                module, cls = _TOOL_CLASSES[self.name]
                self._tool = getattr(importlib.import_module(module), cls)()
            return self._tool

    def run(self, input: JSON, ctx: ToolContext) -> ToolResult:
        return self.load().run(input, ctx)


def build_tools(names: Sequence[str] | None = None) -> list[Tool]:
    """The named tools, in the order given (``None``: all six, canonical order).

    Unknown names are skipped: agent files name MCP tools and other tools agentrun does not
    have, and the agent loader already warns about them. An old name (``KillBash``) gives the
    tool it became. Duplicates are kept once.
    """
    chosen = (
        ALL_TOOL_NAMES
        if names is None
        else tuple(dict.fromkeys(TOOL_ALIASES.get(n, n) for n in names))
    )
    return [LazyTool(name) for name in chosen if name in _TOOL_CLASSES]


def tool_specs(tools: Sequence[Tool]) -> list[ToolSpec]:
    """What the model is told about ``tools``: name, description and input schema, in order."""
    return [ToolSpec(t.name, t.description, t.input_schema) for t in tools]


def specs_json(specs: Sequence[ToolSpec]) -> str:
    """The specs as the exact JSON text the snapshot holds and ``agentrun tools --json`` prints."""
    return json.dumps([s.to_dict() for s in specs], indent=2, ensure_ascii=False) + "\n"


def cut_middle(text: str, *, limit: int = MAX_ERROR_CHARS, keep: int = _KEEP) -> str:
    """``text`` if it fits in ``limit`` characters, else its first and last ``keep`` with a
    marker saying how much was left out (the ends of a traceback or log hold the clues)."""
    if len(text) <= limit:
        return text
    omitted = len(text) - 2 * keep
    return f"{text[:keep]}\n\n... [{omitted} characters cut] ...\n\n{text[-keep:]}"


INTERRUPTED = INTERRUPTED_NOT_RUN


class ToolRunner:
    """Validates and runs a turn's tool calls against one session's :class:`ToolContext`."""

    def __init__(self, tools: Sequence[Tool], ctx: ToolContext, *, strict: bool = False) -> None:
        self._tools = {tool.name: tool for tool in tools}
        self.ctx = ctx
        self.strict = strict or ctx.strict

    @property
    def tools(self) -> list[Tool]:
        return list(self._tools.values())

    def specs(self) -> list[ToolSpec]:
        """What the model is told about the tools, in the order they were given."""
        return tool_specs(list(self._tools.values()))

    def run_calls(
        self,
        calls: Sequence[ToolCall],
        *,
        on_start: OnStart | None = None,
        on_end: OnEnd | None = None,
        admit: Callable[[ToolCall], ToolResult | ToolCall | None] | None = None,
    ) -> list[ToolResult]:
        """Run ``calls``; one result per call, in call order.

        ``on_start`` and ``on_end`` (with the duration in seconds) are always called from the
        calling thread: ``on_start`` in call order as each batch begins, ``on_end`` as each
        call finishes (completion order within a concurrent batch).

        ``admit`` (the permission decision) is asked about each call in call order, from the
        calling thread, immediately before the call's batch starts, so it judges what earlier
        calls left behind; a result it returns is the call's result and the call does not run;
        a call it returns runs instead (same id: a hook rewrote the input; validated as usual).
        """
        calls = list(calls)
        results: list[ToolResult | None] = [None] * len(calls)
        index = 0
        while index < len(calls):
            end = index + 1
            if self._read_only(calls[index]):
                while end < len(calls) and self._read_only(calls[end]):
                    end += 1
            if self.ctx.cancel.is_set():
                break
            batch = range(index, end)
            if admit is not None:
                for i in batch:
                    said = admit(calls[i])
                    if isinstance(said, ToolCall):
                        calls[i] = said
                    else:
                        results[i] = said
                admitted = [i for i in range(index, end) if results[i] is None]
            else:
                admitted = list(range(index, end))
            if len(admitted) == 1:
                results[admitted[0]] = self._run_one(calls[admitted[0]], on_start, on_end)
            elif admitted:
                self._run_batch(calls, admitted, results, on_start, on_end)
            index = end
        return [r if r is not None else ToolResult(INTERRUPTED, is_error=True) for r in results]

    def _tool(self, name: str) -> Tool | None:
        """The tool a call names, by its name or an old one (``KillBash``)."""
        tool = self._tools.get(name)
        if tool is None and name in TOOL_ALIASES:
            tool = self._tools.get(TOOL_ALIASES[name])
        return tool

    def _read_only(self, call: ToolCall) -> bool:
        tool = self._tool(call.name)
        # An unknown tool "runs" instantly and touches nothing, so it may join a batch.
        return tool is None or bool(tool.read_only)

    def _run_one(
        self, call: ToolCall, on_start: OnStart | None, on_end: OnEnd | None
    ) -> ToolResult:
        if on_start is not None:
            on_start(call)
        started = time.perf_counter()
        result = self._execute(call)
        if on_end is not None:
            on_end(call, result, time.perf_counter() - started)
        return result

    def _run_batch(
        self,
        calls: Sequence[ToolCall],
        batch: Sequence[int],
        results: list[ToolResult | None],
        on_start: OnStart | None,
        on_end: OnEnd | None,
    ) -> None:
        from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait  # ~1 ms: on use

        if on_start is not None:
            for i in batch:
                on_start(calls[i])
        with ThreadPoolExecutor(max_workers=min(MAX_PARALLEL, len(batch))) as pool:
            pending: dict[Future[tuple[ToolResult, float]], int] = {
                pool.submit(self._timed, calls[i]): i for i in batch
            }
            try:
                while pending:
                    done, _ = wait(pending, return_when=FIRST_COMPLETED)
                    for future in done:
                        i = pending.pop(future)
                        # .result() re-raises a strict-mode exception here, in this thread.
                        result, seconds = future.result()
                        results[i] = result
                        if on_end is not None:
                            on_end(calls[i], result, seconds)
            except KeyboardInterrupt:
                # Leaving the pool waits for the running tools; the cancel flag makes them
                # stop now (rg is killed) instead of finishing a long search first.
                self.ctx.cancel.set()
                raise

    def _timed(self, call: ToolCall) -> tuple[ToolResult, float]:
        started = time.perf_counter()
        result = self._execute(call)
        return result, time.perf_counter() - started

    def _execute(self, call: ToolCall) -> ToolResult:
        if self.ctx.cancel.is_set():
            return ToolResult(INTERRUPTED, is_error=True)
        tool = self._tool(call.name)
        if tool is None:
            available = ", ".join(self._tools) or "none"
            return ToolResult(
                f"No tool named {json.dumps(call.name, ensure_ascii=False)} is available. "
                f"Available tools: {available}.",
                is_error=True,
            )
        # Imported at the first call, like the tools: a run without tool calls never needs it.
        from agentrun.tools.validate import validate_input

        checked = validate_input(tool.input_schema, call.input)
        if not checked.ok:
            return ToolResult(checked.message(tool.name), is_error=True)
        try:
            run_call = getattr(tool, "run_call", None)
            if run_call is not None:  # a tool that needs its call's id (Task tags its events)
                result: ToolResult = run_call(call.id, checked.input, self.ctx)
            else:
                result = tool.run(checked.input, self.ctx)
        except Exception as e:
            import logging  # ~3 ms to import: only on this rare path

            logging.getLogger(__name__).exception("tool %s raised on call %s", tool.name, call.id)
            if self.strict:
                raise
            detail = f"{type(e).__name__}: {e}" if str(e) else type(e).__name__
            return ToolResult(
                cut_middle(f"{tool.name} failed unexpectedly: {detail}"), is_error=True
            )
        # Every big result, whichever tool made it, goes to the one spill: preview plus path.
        spill = self.ctx.spill
        if spill is None or tool.name in OWN_LIMITS:
            return result
        return spill.kept(result, tool.name)
