"""A session's MCP servers, from configuration to the tools the model is offered."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agentrun.mcp.config import load_setup

if TYPE_CHECKING:
    import os
    from collections.abc import Mapping, Sequence

    from agentrun.mcp.client import JailSpawn, McpClient
    from agentrun.mcp.config import Ask


@dataclass
class OpenedMcp:
    client: McpClient | None = None
    tools: list[Any] = field(default_factory=list)
    statuses: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def wanted(name: str, agent_tools: Sequence[str] | None, disallowed: Sequence[str]) -> bool:
    """Whether the agent's ``tools:`` (None: all) keep MCP tool ``name`` and no bare
    disallowed entry removes it. ``mcp__server`` and ``mcp__server__*`` cover a server's tools."""

    def covers(entry: str) -> bool:
        entry = entry.strip()
        if entry in ("*", name):
            return True
        if entry.endswith("*"):
            return name.startswith(entry[:-1])
        return entry.startswith("mcp__") and name.startswith(entry + "__")

    if any(covers(d) for d in disallowed if "(" not in d):
        return False
    return agent_tools is None or any(covers(t) for t in agent_tools)


def in_project(agent: Any, cwd: Path) -> bool:
    """Whether ``agent`` is the repository's own: found in a ``.claude/agents`` up the tree, or
    a file inside the workspace. Such a file may name any command, like its ``.mcp.json``: its
    inline servers need the same consent."""
    agent_path = getattr(agent, "path", None)
    inside = agent_path is not None and cwd.resolve() in Path(agent_path).resolve().parents
    return getattr(agent, "source", "") == "project" or inside


def open_mcp(
    cwd: Path,
    *,
    flags: Sequence[str | os.PathLike[str] | Mapping[str, Any]],
    strict: bool,
    agent: Any,
    disallowed: Sequence[str],
    ask: Ask | None,
    jail_spawn: JailSpawn | None,
    sources: Sequence[str] | None = None,
) -> OpenedMcp:
    """Read the configuration (``sources``: the setting sources read, None: all), start every
    server at once, and gather their tools."""
    setup = load_setup(
        cwd,
        flags=flags,
        strict=strict,
        agent_servers=agent.extra.get("mcpServers"),
        agent_in_project=in_project(agent, cwd),
        ask=ask,
        sources=sources,
    )
    opened = OpenedMcp(warnings=list(setup.warnings))
    if not setup.servers:
        return opened
    from agentrun.mcp.client import McpClient
    from agentrun.mcp.tools import session_tools

    client = opened.client = McpClient(setup.servers, jail_spawn=jail_spawn)
    for server in client.start():
        opened.statuses.append((server.name, server.status))
        if server.status != "connected":
            opened.warnings.append(f"MCP server {server.name!r} failed: {server.error}")
    tools, skipped = session_tools(client)
    opened.warnings += skipped
    opened.tools = [t for t in tools if wanted(t.name, agent.tools, disallowed)]
    return opened
