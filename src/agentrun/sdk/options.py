"""``ClaudeAgentOptions``: the SDK's run options, with its field names and defaults.

Which of them agentrun honours, and how, is :mod:`agentrun.sdk.plan`'s job; a field set to a
value agentrun cannot honour makes the query raise :class:`UnsupportedOptionError` naming it.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from collections.abc import Callable

    from agentrun.sdk.types import (
        AgentDefinition,
        CanUseTool,
        HookMatcher,
        PermissionMode,
        SettingSource,
    )

__all__ = ["ClaudeAgentOptions"]


@dataclass
class ClaudeAgentOptions:
    """Options of :func:`agentrun.sdk.query` and :class:`agentrun.sdk.ClaudeSDKClient`.

    ``model`` also takes agentrun's specs: ``script:PATH``, ``replay:PATH``, or a Model object
    (``ScriptedModel``, ``FunctionModel`` from :mod:`agentrun.testing`), so SDK programs run
    offline. ``system_prompt`` None runs agentrun's default agent with every tool.
    """

    tools: list[str] | dict[str, Any] | None = None
    allowed_tools: list[str] = field(default_factory=list)
    system_prompt: str | dict[str, Any] | None = None
    mcp_servers: dict[str, Any] | str | Path = field(default_factory=dict)
    strict_mcp_config: bool = False
    permission_mode: PermissionMode | None = None
    continue_conversation: bool = False
    resume: str | None = None
    session_id: str | None = None
    max_turns: int | None = None
    max_budget_usd: float | None = None
    disallowed_tools: list[str] = field(default_factory=list)
    model: Any = None
    fallback_model: str | None = None
    betas: list[str] = field(default_factory=list)
    permission_prompt_tool_name: str | None = None
    cwd: str | Path | None = None
    cli_path: str | Path | None = None
    settings: str | None = None
    add_dirs: list[str | Path] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    """Added to every Bash command's environment (inside the jail); ``ANTHROPIC_*`` entries
    never reach a command."""
    extra_args: dict[str, str | None] = field(default_factory=dict)
    max_buffer_size: int | None = None
    debug_stderr: Any = sys.stderr
    stderr: Callable[[str], None] | None = None
    can_use_tool: CanUseTool | None = None
    hooks: dict[str, list[HookMatcher]] | None = None
    user: str | None = None
    include_partial_messages: bool = False
    include_hook_events: bool = False
    forward_subagent_text: bool = False
    verbatim_prompts: bool = False
    fork_session: bool = False
    resume_session_at: str | None = None
    resume_drops_turn: str | None = None
    agents: dict[str, AgentDefinition] | None = None
    setting_sources: list[SettingSource] | None = None
    skills: list[str] | Literal["all"] | None = None
    sandbox: dict[str, Any] | None = None
    plugins: list[dict[str, Any]] = field(default_factory=list)
    max_thinking_tokens: int | None = None
    thinking: dict[str, Any] | None = None
    effort: str | None = None
    output_format: dict[str, Any] | None = None
    enable_file_checkpointing: bool = False
    session_store: Any = None
    session_store_flush: Literal["batched", "eager"] = "batched"
    load_timeout_ms: int = 60_000
    task_budget: dict[str, Any] | None = None
    client_app: str | None = None
