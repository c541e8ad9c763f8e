"""The Claude Agent SDK's Python API, running on agentrun: change
``from claude_agent_sdk import ...`` to ``from agentrun.sdk import ...``.

- :func:`query` — one prompt, messages as an async iterator;
- :class:`ClaudeSDKClient` — a conversation: ``query``, ``receive_response``, ``interrupt``;
- :class:`ClaudeAgentOptions` — the options (:mod:`agentrun.sdk.plan` says what each becomes);
- the messages, blocks, permission and hook types (:mod:`agentrun.sdk.types`);
- ``tool``, ``SdkMcpTool``, ``create_sdk_mcp_server`` — in-process tools
  (:mod:`agentrun.sdk.tools`, imported at first use).

No CLI subprocess: the same runtime as ``agentrun.run`` (the jail, the one permission gate,
the hooks engine, MCP, transcripts) runs in a worker thread. ``anthropic`` and ``mcp`` are
imported at the first request that needs them, not here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from agentrun.sdk.client import ClaudeSDKClient
from agentrun.sdk.errors import (
    ClaudeSDKError,
    CLIConnectionError,
    CLIJSONDecodeError,
    CLINotFoundError,
    ProcessError,
    ResultError,
    UnsupportedOptionError,
)
from agentrun.sdk.options import ClaudeAgentOptions
from agentrun.sdk.query import query

if TYPE_CHECKING:
    from mcp.types import ToolAnnotations  # noqa: F401

    from agentrun.sdk.sessions import get_session_messages, list_sessions
    from agentrun.sdk.types import *  # noqa: F403

# __all__ also names what __getattr__ below loads at first use.
# ruff: noqa: F405
from agentrun.sdk.types import (
    AgentDefinition,
    AssistantMessage,
    CanUseTool,
    ContentBlock,
    HookCallback,
    HookContext,
    HookEvent,
    HookInput,
    HookJSONOutput,
    HookMatcher,
    Message,
    PermissionMode,
    PermissionResult,
    PermissionResultAllow,
    PermissionResultDeny,
    PermissionRuleValue,
    PermissionUpdate,
    PostToolUseHookInput,
    PreToolUseHookInput,
    ResultMessage,
    SettingSource,
    StreamEvent,
    SystemMessage,
    TextBlock,
    ThinkingBlock,
    ToolPermissionContext,
    ToolResultBlock,
    ToolUseBlock,
    UserMessage,
)

__all__ = [
    "AgentDefinition",
    "AssistantMessage",
    "CLIConnectionError",
    "CLIJSONDecodeError",
    "CLINotFoundError",
    "CanUseTool",
    "ClaudeAgentOptions",
    "ClaudeSDKClient",
    "ClaudeSDKError",
    "ContentBlock",
    "HookCallback",
    "HookContext",
    "HookEvent",
    "HookInput",
    "HookJSONOutput",
    "HookMatcher",
    "Message",
    "PermissionMode",
    "PermissionResult",
    "PermissionResultAllow",
    "PermissionResultDeny",
    "PermissionRuleValue",
    "PermissionUpdate",
    "PostToolUseHookInput",
    "PreToolUseHookInput",
    "ProcessError",
    "ResultError",
    "ResultMessage",
    "SdkMcpTool",
    "SettingSource",
    "StreamEvent",
    "SystemMessage",
    "TextBlock",
    "ThinkingBlock",
    "ToolPermissionContext",
    "ToolResultBlock",
    "ToolUseBlock",
    "UnsupportedOptionError",
    "UserMessage",
    "create_sdk_mcp_server",
    "get_session_messages",
    "list_sessions",
    "query",
    "tool",
]

_TOOLS = ("SdkMcpTool", "create_sdk_mcp_server", "tool")

_SESSIONS = ("get_session_messages", "list_sessions")

_STORE = (
    "agentrun keeps sessions in its own transcript store, not the Claude CLI's project files or "
    "an SDK SessionStore; agentrun.sdk.list_sessions and get_session_messages read it (the CLI: "
    "`agentrun sessions`)"
)
# The SDK's functions and classes agentrun does not implement: importing one fails loudly
# with the reason instead of leaving a program to find a missing feature at run time.
_NOT_PROVIDED: dict[str, str] = {
    **dict.fromkeys(
        [
            "list_sessions",
            "get_session_info",
            "get_session_messages",
            "list_subagents",
            "get_subagent_messages",
            "rename_session",
            "tag_session",
            "delete_session",
            "fork_session",
            "project_key_for_directory",
            "fold_session_summary",
            "import_session_to_store",
            "list_sessions_from_store",
            "get_session_info_from_store",
            "get_session_messages_from_store",
            "list_subagents_from_store",
            "get_subagent_messages_from_store",
            "rename_session_via_store",
            "tag_session_via_store",
            "delete_session_via_store",
            "fork_session_via_store",
            "InMemorySessionStore",
        ],
        _STORE,
    ),
    "Transport": "agentrun runs no CLI subprocess, so there is no transport to replace",
}


def __getattr__(name: str) -> Any:
    # In-process tools need the `mcp` SDK: imported when a program first asks for them.
    if name in _TOOLS:
        from agentrun.sdk import tools

        return getattr(tools, name)
    if name == "ToolAnnotations":
        from mcp.types import ToolAnnotations

        return ToolAnnotations
    if name in _SESSIONS:
        from agentrun.sdk import sessions

        return getattr(sessions, name)
    if name in _NOT_PROVIDED:
        raise ImportError(f"agentrun.sdk does not provide {name}: {_NOT_PROVIDED[name]}")
    if name == "__version__":
        from agentrun import __version__

        return __version__
    # Every other SDK type is in agentrun.sdk.types, most of them loaded at first use.
    from agentrun.sdk import types

    if name in types.__all__:
        return getattr(types, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
