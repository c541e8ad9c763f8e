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

from typing import Any

from agentrun.sdk.client import ClaudeSDKClient
from agentrun.sdk.errors import (
    ClaudeSDKError,
    CLIConnectionError,
    CLIJSONDecodeError,
    CLINotFoundError,
    ProcessError,
    UnsupportedOptionError,
)
from agentrun.sdk.options import ClaudeAgentOptions
from agentrun.sdk.query import query
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
    "query",
    "tool",
]

_TOOLS = ("SdkMcpTool", "create_sdk_mcp_server", "tool")


def __getattr__(name: str) -> Any:
    # In-process tools need the `mcp` SDK: imported when a program first asks for them.
    if name in _TOOLS:
        from agentrun.sdk import tools

        return getattr(tools, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
