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
from typing import TYPE_CHECKING, Any, Literal

# Where it was defined before the vocabulary had its own module.
from agentrun.core.vocab import INTERRUPTED_STOP as INTERRUPTED_STOP

if TYPE_CHECKING:
    from agentrun.core.types import JSON, Message, Usage

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


if TYPE_CHECKING:
    from agentrun.core.moreevents import (
        CompactEvent as CompactEvent,
    )
    from agentrun.core.moreevents import (
        HookEvent as HookEvent,
    )
    from agentrun.core.moreevents import (
        PermissionDeniedEvent as PermissionDeniedEvent,
    )
    from agentrun.core.moreevents import (
        SubagentEvent as SubagentEvent,
    )
    from agentrun.core.moreevents import (
        ThinkingDelta as ThinkingDelta,
    )
    from agentrun.core.moreevents import (
        ToolEndEvent as ToolEndEvent,
    )
    from agentrun.core.moreevents import (
        ToolResultsEvent as ToolResultsEvent,
    )
    from agentrun.core.moreevents import (
        ToolStartEvent as ToolStartEvent,
    )

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


_ELSEWHERE = frozenset(
    {
        "CompactEvent",
        "HookEvent",
        "PermissionDeniedEvent",
        "SubagentEvent",
        "ThinkingDelta",
        "ToolEndEvent",
        "ToolResultsEvent",
        "ToolStartEvent",
    }
)


def __getattr__(name: str) -> Any:
    """The events of tool calls, hooks, compaction and subagents, defined in
    :mod:`agentrun.core.moreevents` so that a run without them never builds their classes;
    importable from here all the same (and ``Event``, the union of all)."""
    if name in _ELSEWHERE:
        from agentrun.core import moreevents

        return getattr(moreevents, name)
    if name == "Event":
        from agentrun.core import moreevents as more

        return (
            InitEvent
            | TextDelta
            | more.ThinkingDelta
            | AssistantEvent
            | more.ToolStartEvent
            | more.ToolEndEvent
            | more.PermissionDeniedEvent
            | more.ToolResultsEvent
            | more.CompactEvent
            | more.HookEvent
            | ResultEvent
            | more.SubagentEvent
        )
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
