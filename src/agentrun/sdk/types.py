"""The Claude Agent SDK's values, with its field names: messages and content blocks, the
permission callback's answers, hook shapes, subagent definitions.

Mutable dataclasses like the SDK's (programs written for it build and compare them).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, NotRequired, TypedDict

from agentrun.core.vocab import PermissionMode
from agentrun.sdk._types_lazy import LAZY as _LAZY

if TYPE_CHECKING:
    from mcp.server import Server as McpServer

    from agentrun.sdk._types_config import *  # noqa: F403
    from agentrun.sdk._types_control import *  # noqa: F403
    from agentrun.sdk._types_hooks import *  # noqa: F403
    from agentrun.sdk._types_messages import *  # noqa: F403
    from agentrun.sdk._types_sessions import *  # noqa: F403
    from agentrun.sdk.options import ClaudeAgentOptions

__all__ = [
    "AgentDefinition",
    "AssistantMessage",
    "BaseHookInput",
    "CanUseTool",
    "ClaudeAgentOptions",
    "ContentBlock",
    "HookCallback",
    "HookContext",
    "HookEvent",
    "HookInput",
    "HookJSONOutput",
    "HookMatcher",
    "McpServer",
    "Message",
    "PermissionMode",
    "PermissionResult",
    "PermissionResultAllow",
    "PermissionResultDeny",
    "PermissionRuleValue",
    "PermissionUpdate",
    "PostToolUseHookInput",
    "PreToolUseHookInput",
    "ResultMessage",
    "ServerToolName",
    "ServerToolResultBlock",
    "ServerToolUseBlock",
    "SettingSource",
    "StreamEvent",
    "SystemMessage",
    "TextBlock",
    "ThinkingBlock",
    "ToolPermissionContext",
    "ToolResultBlock",
    "ToolUseBlock",
    "UserMessage",
]

SettingSource = Literal["user", "project", "local"]
HookEvent = Literal[
    "PreToolUse",
    "PostToolUse",
    "PostToolUseFailure",
    "UserPromptSubmit",
    "Stop",
    "SubagentStop",
    "PreCompact",
    "Notification",
    "SubagentStart",
    "PermissionRequest",
    "SessionStart",
    "SessionEnd",
]


# Content blocks
@dataclass
class TextBlock:
    text: str


@dataclass
class ThinkingBlock:
    thinking: str
    signature: str


@dataclass
class ToolUseBlock:
    id: str
    name: str
    input: dict[str, Any]


@dataclass
class ToolResultBlock:
    tool_use_id: str
    content: str | list[dict[str, Any]] | None = None
    is_error: bool | None = None


ServerToolName = Literal[
    "advisor",
    "web_search",
    "web_fetch",
    "code_execution",
    "bash_code_execution",
    "text_editor_code_execution",
    "tool_search_tool_regex",
    "tool_search_tool_bm25",
]


@dataclass
class ServerToolUseBlock:
    """A tool the API ran itself (``server_tool_use``), when the model's reply carries one."""

    id: str
    name: ServerToolName
    input: dict[str, Any]


@dataclass
class ServerToolResultBlock:
    """Its result block, the API's dict as is (``content["type"]`` says which tool)."""

    tool_use_id: str
    content: dict[str, Any]


ContentBlock = (
    TextBlock
    | ThinkingBlock
    | ToolUseBlock
    | ToolResultBlock
    | ServerToolUseBlock
    | ServerToolResultBlock
)


# Messages
@dataclass
class UserMessage:
    content: str | list[ContentBlock]
    uuid: str | None = None
    parent_tool_use_id: str | None = None
    tool_use_result: dict[str, Any] | None = None


@dataclass
class AssistantMessage:
    content: list[ContentBlock]
    model: str
    parent_tool_use_id: str | None = None
    error: str | None = None
    usage: dict[str, Any] | None = None
    message_id: str | None = None
    stop_reason: str | None = None
    session_id: str | None = None
    uuid: str | None = None


@dataclass
class SystemMessage:
    """``subtype`` ``init`` (first; ``data`` is the stream-json init line), ``hook_response``,
    ``compact_boundary``."""

    subtype: str
    data: dict[str, Any]


@dataclass
class ResultMessage:
    subtype: str
    duration_ms: int
    duration_api_ms: int
    is_error: bool
    num_turns: int
    session_id: str
    stop_reason: str | None = None
    total_cost_usd: float | None = None
    usage: dict[str, Any] | None = None
    result: str | None = None
    structured_output: Any = None
    permission_denials: list[Any] | None = None
    errors: list[str] | None = None
    uuid: str | None = None


@dataclass
class StreamEvent:
    """One Messages API stream event (``event``), with ``include_partial_messages``."""

    uuid: str
    session_id: str
    event: dict[str, Any]
    parent_tool_use_id: str | None = None


Message = UserMessage | AssistantMessage | SystemMessage | ResultMessage | StreamEvent


# Permissions
@dataclass
class PermissionRuleValue:
    tool_name: str
    rule_content: str | None = None


@dataclass
class PermissionUpdate:
    """A change to the permission rules offered with a callback's allow. An ``addRules``
    ``allow`` for the ``session`` takes the grant the gate offered for that call (its
    ``suggestions``; like answering "always": it never outranks a deny or ask rule); other
    updates are not applied, and a warning says so."""

    type: Literal[
        "addRules", "replaceRules", "removeRules", "setMode", "addDirectories", "removeDirectories"
    ]
    rules: list[PermissionRuleValue] | None = None
    behavior: Literal["allow", "deny", "ask"] | None = None
    mode: PermissionMode | None = None
    directories: list[str] | None = None
    destination: Literal["userSettings", "projectSettings", "localSettings", "session"] | None = (
        None
    )


@dataclass
class ToolPermissionContext:
    signal: Any | None = None
    suggestions: list[PermissionUpdate] = field(default_factory=list)
    tool_use_id: str | None = None
    agent_id: str | None = None
    blocked_path: str | None = None
    decision_reason: str | None = None
    title: str | None = None
    display_name: str | None = None
    description: str | None = None


@dataclass
class PermissionResultAllow:
    behavior: Literal["allow"] = "allow"
    updated_input: dict[str, Any] | None = None
    updated_permissions: list[PermissionUpdate] | None = None


@dataclass
class PermissionResultDeny:
    behavior: Literal["deny"] = "deny"
    message: str = ""
    interrupt: bool = False


PermissionResult = PermissionResultAllow | PermissionResultDeny
CanUseTool = Callable[[str, dict[str, Any], ToolPermissionContext], Awaitable[PermissionResult]]


# Hooks
class BaseHookInput(TypedDict):
    session_id: str
    transcript_path: str
    cwd: str
    permission_mode: NotRequired[str]


class _SubagentContextMixin(TypedDict, total=False):
    # Set when the hook fires inside a subagent.
    agent_id: str
    agent_type: str


class PreToolUseHookInput(BaseHookInput, _SubagentContextMixin):
    hook_event_name: Literal["PreToolUse"]
    tool_name: str
    tool_input: dict[str, Any]
    tool_use_id: str


class PostToolUseHookInput(BaseHookInput, _SubagentContextMixin):
    hook_event_name: Literal["PostToolUse"]
    tool_name: str
    tool_input: dict[str, Any]
    tool_response: Any
    tool_use_id: str


HookInput = dict[str, Any]
"""The envelope a command hook reads on stdin (``hook_event_name`` tells which event)."""
HookJSONOutput = dict[str, Any]
"""What a command hook prints as JSON; ``continue_`` and ``async_`` stand for the Python
keywords ``continue`` and ``async``."""


class HookContext(TypedDict):
    signal: Any | None


HookCallback = Callable[[HookInput, "str | None", HookContext], Awaitable[HookJSONOutput]]


@dataclass
class HookMatcher:
    matcher: str | None = None
    hooks: list[HookCallback] = field(default_factory=list)
    timeout: float | None = None
    """Seconds for each callback (default 60)."""
    on_failure: Literal["continue", "block"] | None = None


# Subagents
@dataclass
class AgentDefinition:
    description: str
    prompt: str
    tools: list[str] | None = None
    disallowedTools: list[str] | None = None  # noqa: N815 (the SDK's name)
    model: str | None = None
    skills: list[str] | None = None
    memory: Literal["user", "project", "local"] | None = None
    mcpServers: list[str | dict[str, Any]] | None = None  # noqa: N815
    initialPrompt: str | None = None  # noqa: N815
    maxTurns: int | None = None  # noqa: N815
    background: bool | None = None
    effort: str | int | None = None
    permissionMode: PermissionMode | None = None  # noqa: N815


# The SDK's remaining types live in small modules loaded at first use (keeps import fast and
# lets them build on the classes above without an import cycle); the table says where.
def __getattr__(name: str) -> Any:
    if name == "ClaudeAgentOptions":
        from agentrun.sdk.options import ClaudeAgentOptions

        return ClaudeAgentOptions
    if name == "McpServer":
        # The `mcp` SDK's server class: importing it costs start-up, so only when asked.
        from mcp.server import Server

        return Server
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(f"agentrun.sdk.{module}"), name)


__all__ += list(_LAZY)
