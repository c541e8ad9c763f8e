"""The events of tool calls, hooks, compaction and subagents (see :mod:`agentrun.core.events`,
which they belong to and where they can be imported from too).

Kept apart so that a run that has none of them (a one-turn ``-p``) never builds their
dataclasses: each costs ~0.3 ms of start-up to create.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from agentrun.core.events import Event
    from agentrun.core.types import JSON, ContentBlock, ToolCall, ToolResult


@dataclass(frozen=True)
class ThinkingDelta:
    """A piece of the model's thinking as it streams (live display only: the whole thinking
    block is in the ``AssistantEvent``'s message, and in stream-json there)."""

    text: str

    def stream_json(self) -> JSON | None:
        return None


@dataclass(frozen=True)
class ToolStartEvent:
    """A tool call is about to run (live display only)."""

    call: ToolCall

    def stream_json(self) -> JSON | None:
        return None


@dataclass(frozen=True)
class ToolEndEvent:
    """A tool call finished, with its result and how long it took (live display only)."""

    call: ToolCall
    result: ToolResult
    duration_ms: float

    def stream_json(self) -> JSON | None:
        return None


@dataclass(frozen=True)
class PermissionDeniedEvent:
    """A tool call was refused by the permission rules or the user; it did not run."""

    call: ToolCall
    reason: str

    def stream_json(self) -> JSON | None:
        return None


@dataclass(frozen=True)
class ToolResultsEvent:
    """The user message carrying every tool_result of one turn, in call order."""

    session_id: str
    content: list[ContentBlock]

    def stream_json(self) -> JSON | None:
        return {
            "type": "user",
            "message": {"role": "user", "content": self.content},
            "session_id": self.session_id,
        }


@dataclass(frozen=True)
class CompactEvent:
    """The history was compacted (Claude Code's ``compact_boundary``): ``trigger`` is
    ``"auto"`` or ``"manual"``; token counts are the prompt's size before and after."""

    session_id: str
    trigger: str
    pre_tokens: int
    post_tokens: int
    server: bool = False
    """Done by the API (``compact_20260112``) rather than by a summary request of ours."""

    def stream_json(self) -> JSON | None:
        return {
            "type": "system",
            "subtype": "compact_boundary",
            "session_id": self.session_id,
            "compact_metadata": {
                "trigger": self.trigger,
                "pre_tokens": self.pre_tokens,
                "post_tokens": self.post_tokens,
            },
        }


@dataclass(frozen=True)
class HookEvent:
    """A hook ran: Claude Code's ``system``/``hook_response`` message (``outcome`` is
    ``success``, ``error`` or ``cancelled``; ``blocked`` says it blocked what it was run for)."""

    session_id: str
    hook_id: str
    hook_name: str
    """``Event:matcher`` (``PreToolUse:Bash``), or the event alone."""
    hook_event: str
    command: str
    source: str
    """The settings file (or ``--settings``, ``agent NAME``) that configured it."""
    stdout: str
    stderr: str
    exit_code: int | None
    outcome: str
    blocked: bool = False
    suppress_output: bool = False
    system_message: str = ""
    """What the hook asked to show the user (``systemMessage``)."""

    def stream_json(self) -> JSON | None:
        return {
            "type": "system",
            "subtype": "hook_response",
            "session_id": self.session_id,
            "hook_id": self.hook_id,
            "hook_name": self.hook_name,
            "hook_event": self.hook_event,
            "output": self.stdout + self.stderr,
            "stdout": self.stdout,
            "stderr": self.stderr,
            "exit_code": self.exit_code,
            "outcome": self.outcome,
        }


@dataclass(frozen=True)
class SubagentEvent:
    """An event of a subagent's run (Task/Agent tool), tagged with the Task call it answers.

    In stream-json it is the inner event's line plus ``parent_tool_use_id`` (Claude Code's
    shape); the REPL folds it under the Task line (it shows only the Task call itself)."""

    parent_tool_use_id: str
    agent: str
    event: Event

    def stream_json(self) -> JSON | None:
        line = self.event.stream_json()
        # Only its messages: a subagent's own result line would read as the run's end.
        if line is None or line.get("type") not in ("assistant", "user"):
            return None
        # a nested subagent's line keeps the id of the Task call that started it
        return {"parent_tool_use_id": self.parent_tool_use_id, **line}
