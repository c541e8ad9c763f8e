"""``ClaudeAgentOptions`` -> agentrun's :class:`~agentrun.runner.runtime.RunOptions` keywords.

The options agentrun cannot honour raise :class:`UnsupportedOptionError` naming the option when
they differ from the SDK's default: a program must never believe a setting took effect when it
did not. The jail and the gate are always on; ``bypassPermissions`` skips the gate's asks and
allow checks (deny rules and the jail still hold), as on the command line.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agentrun.core.vocab import DEFAULT_AGENT, PERMISSION_MODES
from agentrun.sdk.errors import UnsupportedOptionError

if TYPE_CHECKING:
    from agentrun.agentfile.agentfile import AgentSpec
    from agentrun.runner.keywords import RunKeywords
    from agentrun.sdk.options import ClaudeAgentOptions
    from agentrun.sdk.types import AgentDefinition

__all__ = ["check_supported", "main_agent", "run_options", "subagents"]


# Options with no meaning here, and why (value checked against the SDK's default).
_UNSUPPORTED: dict[str, str] = {
    "cli_path": "agentrun runs no Claude Code CLI",
    "fallback_model": "agentrun has no fallback model",
    "betas": "beta headers are chosen by agentrun's model table",
    "permission_prompt_tool_name": "use can_use_tool",
    "extra_args": "there is no CLI to pass arguments to",
    "user": "agentrun sends no user identifier",
    "forward_subagent_text": "subagents' messages are not forwarded yet",
    "verbatim_prompts": "agentrun never expands prompts: they are always sent as written",
    "resume_session_at": "agentrun resumes whole sessions only",
    "resume_drops_turn": "agentrun resumes whole sessions only",
    "skills": "agentrun has no skills",
    "plugins": "agentrun loads no plugins",
    "max_thinking_tokens": "use effort",
    "thinking": "agentrun chooses thinking from its model table; use effort",
    "enable_file_checkpointing": "agentrun has no file checkpoints",
    "session_store": "transcripts go to $AGENTRUN_HOME/sessions only",
    "task_budget": "use max_budget_usd",
    "client_app": "agentrun sends no client identifier",
    "session_id": "agentrun names sessions itself (resume takes an id)",
}
_ALL_SOURCES = frozenset({"user", "project", "local"})


def check_supported(o: ClaudeAgentOptions) -> None:
    from dataclasses import fields

    from agentrun.sdk.options import ClaudeAgentOptions

    defaults = ClaudeAgentOptions()
    for f in fields(o):
        why = _UNSUPPORTED.get(f.name)
        if why is not None and getattr(o, f.name) != getattr(defaults, f.name):
            raise UnsupportedOptionError(f.name, f"not supported on agentrun ({why})")
    if o.sandbox not in (None, {}) and dict(o.sandbox) != {"enabled": True}:
        raise UnsupportedOptionError(
            "sandbox",
            "agentrun's jail is always on and is configured by its own mode; only "
            "{'enabled': True} (or nothing) is accepted",
        )
    if o.setting_sources is not None and not _ALL_SOURCES.issuperset(o.setting_sources):
        raise UnsupportedOptionError(
            "setting_sources",
            f"expected a list of 'user', 'project', 'local': {o.setting_sources!r}",
        )
    if o.permission_mode is not None and o.permission_mode not in PERMISSION_MODES:
        raise UnsupportedOptionError("permission_mode", f"unknown mode {o.permission_mode!r}")
    if o.fork_session and o.resume is None and not o.continue_conversation:
        raise UnsupportedOptionError("fork_session", "needs resume or continue_conversation")
    if o.continue_conversation and o.resume is not None:
        raise UnsupportedOptionError("continue_conversation", "cannot be used with resume")


def _env(env: dict[str, str]) -> dict[str, str]:
    for name, value in env.items():
        if not name or "=" in name or "\0" in name or "\0" in str(value):
            raise UnsupportedOptionError("env", f"not a valid environment variable: {name!r}")
    return {name: str(value) for name, value in env.items()}


def _tools(o: ClaudeAgentOptions) -> tuple[str, ...] | None:
    """The built-in tools the agent has; None: all (a preset)."""
    if o.tools is None or isinstance(o.tools, dict):
        if isinstance(o.tools, dict) and o.tools.get("preset") != "claude_code":
            raise UnsupportedOptionError("tools", f"unknown preset {o.tools!r}")
        return None
    return tuple(o.tools)


def main_agent(o: ClaudeAgentOptions, cwd: Path) -> tuple[AgentSpec, str | None]:
    """The session's agent and the text appended to its system prompt."""
    from dataclasses import replace

    from agentrun.agentfile.agentfile import AgentSpec, resolve_agent

    prompt = o.system_prompt
    tools = _tools(o)
    if isinstance(prompt, dict) and prompt.get("type") == "custom":
        prompt = prompt.get("prompt", "")
    if isinstance(prompt, dict) and prompt.get("type") == "file":
        prompt = Path(str(prompt.get("path", ""))).read_text(encoding="utf-8")
    if isinstance(prompt, str):
        own = AgentSpec(
            name="sdk",
            description="The agent of an agentrun.sdk program",
            tools=tools,
            prompt=prompt,
            source="sdk",
        )
        return own, None
    if prompt is not None and not (isinstance(prompt, dict) and prompt.get("type") == "preset"):
        raise UnsupportedOptionError("system_prompt", f"unknown form {prompt!r}")
    append = prompt.get("append") if isinstance(prompt, dict) else None
    # agentrun's default agent, with the SDK's default tools (all of them: Task, MCP, ...):
    # the built-in one unless the sources allow a user or workspace file of that name
    agent = resolve_agent(DEFAULT_AGENT, cwd, sources=o.setting_sources)
    return replace(agent, tools=tools), append


def _say(agent: str, key: str | None, message: str) -> str:
    return f"agents[{agent!r}].{key}: {message}"


def subagents(agents: dict[str, AgentDefinition] | None) -> tuple[AgentSpec, ...]:
    """``agents=`` as agent specs; their optional fields read as an agent file's would be."""
    from agentrun.agentfile.agentfile import AgentSpec
    from agentrun.agentfile.fields import read_fields

    out: list[AgentSpec] = []
    for name, d in (agents or {}).items():
        if d.initialPrompt is not None:
            key = f"agents[{name!r}].initialPrompt"
            raise UnsupportedOptionError(key, "not supported on agentrun")
        keys = (
            "maxTurns",
            "permissionMode",
            "skills",
            "memory",
            "background",
            "effort",
            "mcpServers",
        )
        extra: dict[str, Any] = {k: getattr(d, k) for k in keys if getattr(d, k) is not None}
        problems: list[str] = []
        fields = read_fields(extra, functools.partial(_say, name), problems)
        if problems:
            raise UnsupportedOptionError(f"agents[{name!r}]", "; ".join(problems))
        out.append(
            AgentSpec(
                name=name,
                description=d.description,
                tools=tuple(d.tools) if d.tools is not None else None,
                disallowed_tools=tuple(d.disallowedTools or ()),
                model=d.model,
                prompt=d.prompt,
                extra=extra,
                fields=fields,
                source="sdk",
            )
        )
    return tuple(out)


def _mcp(servers: dict[str, Any] | str | Path) -> tuple[Any, ...]:
    if isinstance(servers, Path):
        return (str(servers),)
    if isinstance(servers, str):
        return (servers,)
    return ({"mcpServers": dict(servers)},) if servers else ()


def run_options(o: ClaudeAgentOptions) -> RunKeywords:
    """RunOptions keywords for everything but the callbacks (the driver adds those)."""
    check_supported(o)
    cwd = Path(o.cwd if o.cwd is not None else ".").expanduser().resolve()
    agent, append = main_agent(o, cwd)
    return {
        "agent": agent,
        "cwd": cwd,
        "model": o.model,
        "max_turns": o.max_turns,
        "max_budget_usd": o.max_budget_usd,
        "permission_mode": o.permission_mode or "default",
        "allowed_tools": tuple(o.allowed_tools),
        "disallowed_tools": tuple(o.disallowed_tools),
        "add_dirs": tuple(o.add_dirs),
        "resume": o.resume,
        "continue_session": o.continue_conversation,
        "fork_session": o.fork_session,
        "append_system_prompt": append,
        "mcp_config": _mcp(o.mcp_servers),
        "strict_mcp_config": o.strict_mcp_config,
        "settings": o.settings,
        "effort": o.effort,
        "bash_env": _env(o.env),
        "setting_sources": None if o.setting_sources is None else tuple(o.setting_sources),
        "agents": subagents(o.agents),
    }
