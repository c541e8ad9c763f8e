"""Typed events the loop emits, in order. The stream-json output is a rendering of these.

Order within a run: ``InitEvent``; then per turn ``ThinkingDelta``* and ``TextDelta``* (while
the model streams),
``AssistantEvent``, then for its tool calls ``ToolStartEvent``/``ToolEndEvent`` pairs (and
``PermissionDeniedEvent`` for refused calls) followed by one ``ToolResultsEvent``; last
``ResultEvent``. A ``HookEvent`` follows each hook that ran, where it ran. Only ``InitEvent``,
``AssistantEvent``, ``ToolResultsEvent``, ``HookEvent`` and ``ResultEvent`` appear in
stream-json (``stream_json()`` returns None for the others).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

# Where it was defined before the vocabulary had its own module.
from agentrun.core.vocab import INTERRUPTED_STOP as INTERRUPTED_STOP

if TYPE_CHECKING:
    from agentrun.core.types import JSON, ContentBlock, Message, ToolCall, ToolResult, Usage

ResultSubtype = Literal[
    "success",
    "error_max_turns",
    "error_max_budget_usd",
    "error_during_execution",
    "error_timeout",
]
"""Claude Code's four result subtypes, plus ``error_timeout`` for the wall-clock limit (each
limit has its own subtype). Every other way a run can end unsuccessfully — an API
failure, a script mismatch, a refusal, a full context window, Ctrl-C — is
``error_during_execution``, told apart by ``stop_reason`` (``"error"``, ``"refusal"``,
``"model_context_window_exceeded"``, ``"interrupted"``)."""


@dataclass(frozen=True)
class InitEvent:
    """The run's first event: who runs, with which tools, under which sandbox layers."""

    session_id: str
    cwd: str
    model: str
    tools: tuple[str, ...]
    permission_mode: str
    agent: str
    sandbox_mode: str
    sandbox_enforced: tuple[str, ...]
    agent_file: str = ""
    """The agent file used, when it shadows a built-in or user agent of the same name."""
    agent_shadows: str = ""
    """The built-in or user agent file it shadows."""
    mcp_servers: tuple[tuple[str, str], ...] = ()
    """``(name, status)`` of each MCP server (``connected`` or ``failed``)."""

    def stream_json(self) -> JSON | None:
        shadow = {"agent_file": self.agent_file, "agent_shadows": self.agent_shadows}
        return {
            "type": "system",
            "subtype": "init",
            "session_id": self.session_id,
            "cwd": self.cwd,
            "model": self.model,
            "tools": list(self.tools),
            "permissionMode": self.permission_mode,
            "agent": self.agent,
            "sandbox": {"mode": self.sandbox_mode, "enforced": list(self.sandbox_enforced)},
            "mcp_servers": [{"name": n, "status": s} for n, s in self.mcp_servers],
            **(shadow if self.agent_shadows else {}),
        }


@dataclass(frozen=True)
class TextDelta:
    """A piece of assistant text as it streams (live display only)."""

    text: str

    def stream_json(self) -> JSON | None:
        return None


@dataclass(frozen=True)
class ThinkingDelta:
    """A piece of the model's thinking as it streams (live display only: the whole thinking
    block is in the ``AssistantEvent``'s message, and in stream-json there)."""

    text: str

    def stream_json(self) -> JSON | None:
        return None


@dataclass(frozen=True)
class AssistantEvent:
    """One complete model response (text and tool calls), with its usage."""

    session_id: str
    message: Message
    usage: Usage
    stop_reason: str
    model: str = ""
    """The model that answered, as the API reported it."""
    id: str = ""
    """The API's message id (``msg_...``)."""

    def stream_json(self) -> JSON | None:
        # Claude Code's shape: the Messages API's own message object.
        msg: JSON = {
            "id": self.id,
            "type": "message",
            "role": "assistant",
            "model": self.model,
            "content": self.message["content"],
            "stop_reason": self.stop_reason,
            "usage": self.usage.to_dict(),
        }
        return {"type": "assistant", "message": msg, "session_id": self.session_id}


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
class ResultEvent:
    """The run's last event: how it ended, what it cost, and the final text."""

    subtype: ResultSubtype
    is_error: bool
    result: str
    num_turns: int
    duration_ms: int
    total_cost_usd: float | None
    usage: Usage
    session_id: str
    permission_denials: list[JSON] = field(default_factory=list)
    stop_reason: str | None = None

    def stream_json(self) -> JSON | None:
        return {
            "type": "result",
            "subtype": self.subtype,
            "is_error": self.is_error,
            "result": self.result,
            "num_turns": self.num_turns,
            "duration_ms": self.duration_ms,
            "total_cost_usd": self.total_cost_usd,
            "usage": self.usage.to_dict(),
            "session_id": self.session_id,
            "permission_denials": self.permission_denials,
            "stop_reason": self.stop_reason,
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


Event = (
    InitEvent
    | TextDelta
    | ThinkingDelta
    | AssistantEvent
    | ToolStartEvent
    | ToolEndEvent
    | PermissionDeniedEvent
    | ToolResultsEvent
    | CompactEvent
    | HookEvent
    | ResultEvent
    | SubagentEvent
)
